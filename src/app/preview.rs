//! The designer's preview: any portal page rendered with a settings draft, as a chosen contact. List,
//! ticket and form pages are built by the same `pages` functions and `web::render::Renderer` the live
//! portal uses (so the preview equals what the portal serves and what `portal view-as` prints); system
//! pages use example data. A "Previewing as ..." banner is added, and forms are disabled unless the
//! designer acts as the contact (then the desktop app writes through `conversations`).

use crate::app::customer::{self, Customer, PageError};
use crate::app::{conversations, view_as};
use crate::domain::model::Catalog;
use crate::domain::rules::{ContactView, View};
use crate::domain::settings::{FieldError, Settings};
use crate::site::pages::ListQuery;
use crate::site::render::{
    check_templates, form_view, sample_page, AssetMode, Frame, MessageView, Page, PageKind,
    Renderer, TemplateProblem, TicketView, Viewer,
};
use crate::{Result, Workspace};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// What to preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PreviewRequest {
    pub page: PageKind,
    /// The contact's email; `None` previews with example data.
    pub contact: Option<String>,
    /// The ticket of the ticket page; `None` takes the contact's first visible ticket.
    pub ticket: Option<String>,
    /// The list view (where the contact has the switch).
    pub view: Option<View>,
    /// "Act as this contact": forms stay enabled (the app sends them through the engine).
    pub act_as: bool,
}

/// A template that does not parse or render, with where (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TemplateError {
    pub template: String,
    #[ts(type = "number | null")]
    pub line: Option<usize>,
    #[ts(type = "number | null")]
    pub column: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.template)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(column) = self.column {
            write!(f, ", column {column}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl TemplateError {
    /// "template \"list\" does not compile (line 2, column 4): ...", the reason a save is refused.
    pub fn refusal(&self) -> String {
        let at = match (self.line, self.column) {
            (Some(line), Some(column)) => format!(" (line {line}, column {column})"),
            (Some(line), None) => format!(" (line {line})"),
            _ => String::new(),
        };
        format!(
            "template \"{}\" does not compile{at}: {}",
            self.template, self.message
        )
    }

    /// The problem as a settings field error on `templates.<name>` (the settings editor's form).
    pub fn field_error(&self) -> FieldError {
        FieldError {
            field: format!("templates.{}", self.template),
            message: self.refusal(),
        }
    }
}

/// The rendered preview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PreviewResult {
    pub html: String,
    /// Template overrides that fail; the page shows the shipped template in their place.
    pub errors: Vec<TemplateError>,
    /// The ticket the ticket page shows (the first visible one when none was asked for).
    pub ticket: Option<String>,
    /// The simulated login's explanation (`None` without a contact).
    pub explanation: Option<ContactView>,
}

/// Line and column (1-based) of byte `offset` in `source`.
pub fn line_and_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |rest| rest.chars().count())
        + 1;
    (line, column)
}

/// Where a syntax error in `source` is, by compiling it alone.
fn syntax_position(source: &str) -> Option<(usize, usize)> {
    let environment = minijinja::Environment::new();
    let error = environment.template_from_str(source).err()?;
    match error.range() {
        Some(range) => Some(line_and_column(source, range.start)),
        None => error.line().map(|line| (line, 1)),
    }
}

fn template_error(settings: &Settings, problem: TemplateProblem) -> TemplateError {
    let position = settings
        .templates
        .get(&problem.template)
        .and_then(|source| syntax_position(source))
        .filter(|(line, _)| Some(*line) == problem.line);
    TemplateError {
        line: problem.line,
        column: position.map(|(_, column)| column),
        template: problem.template,
        message: problem.message,
    }
}

/// Every problem of the draft's template overrides, with line and column where known.
pub fn template_errors(settings: &Settings, catalog: &Catalog) -> Vec<TemplateError> {
    if settings.templates.is_empty() {
        // The shipped templates render (the render module's tests hold them to it).
        return Vec::new();
    }
    check_templates(settings, catalog)
        .into_iter()
        .map(|problem| template_error(settings, problem))
        .collect()
}

/// Whether the forms of `page` send when the designer acts as the contact: the reply form of a ticket
/// page and the support form (the desktop app sends them through `reply_as` and `submit_form_as`).
pub fn forms_send(page: PageKind) -> bool {
    matches!(page, PageKind::Detail | PageKind::Form)
}

/// The banner on top of a previewed page.
fn banner(customer: Option<&Customer>, live_forms: bool) -> String {
    let who = match customer {
        Some(customer) => format!(
            "Previewing as {} &lt;{}&gt;",
            crate::site::encode::escape_html(&customer.contact.display_name()),
            crate::site::encode::escape_html(&customer.contact.email)
        ),
        None => "Previewing with example data".into(),
    };
    let mode = if live_forms {
        "acting as this contact: replies and forms really send"
    } else {
        "replies and forms are disabled"
    };
    format!(
        "<div data-preview-banner style=\"position:sticky;top:0;z-index:9999;background:#1e293b;color:#fff;\
font:600 13px/1.4 system-ui,sans-serif;padding:6px 14px;display:flex;gap:10px;align-items:center\">\
<span>{who}</span><span style=\"font-weight:400;opacity:.75\">· {mode}</span></div>"
    )
}

/// Said above every form that does not send, so that an inert form never looks live.
const FORM_NOTE: &str = "<p data-preview-note role=\"note\" style=\"margin:0 0 8px;padding:6px 10px;\
border:1px dashed #64748b;border-radius:6px;background:#f8fafc;color:#334155;\
font:400 13px/1.4 system-ui,sans-serif\">Preview: this form does not send. To send it as the contact, \
pick a contact and tick \u{201c}Act as this contact\u{201d} in Portal Studio.</p>";

/// Dims the page's forms that do not send (they are inert: they take no clicks or typing).
const FORM_STYLE: &str =
    "<style>form[data-preview-explained]{opacity:.55;filter:grayscale(.6)}</style>";

/// True for a form that writes something for the customer (a reply, a ticket, a sign-in): a POST that is
/// not the header's sign-out. Searches and signing out are never sent from the preview.
fn is_page_form(tag: &str) -> bool {
    let tag = tag.to_ascii_lowercase();
    tag.contains("method=\"post\"") && !tag.contains("logout\"")
}

/// Makes every form inert except, when `live`, the page's own forms; the page's inert forms are dimmed and
/// say why they do not send.
fn decorate_forms(html: &str, live: bool) -> String {
    let mut out = String::with_capacity(html.len() + 512);
    let mut rest = html;
    while let Some(at) = rest.find("<form") {
        out.push_str(&rest[..at]);
        let tag_end = rest[at..].find('>').map_or(rest.len(), |end| at + end);
        let page_form = is_page_form(&rest[at..tag_end]);
        if page_form && live {
            out.push_str("<form");
        } else if page_form {
            out.push_str(FORM_NOTE);
            out.push_str("<form inert data-preview-disabled data-preview-explained");
        } else {
            out.push_str("<form inert data-preview-disabled");
        }
        rest = &rest[at + "<form".len()..];
    }
    out.push_str(rest);
    out
}

/// Inserts the banner after `<body ...>` and makes the forms that do not send inert (`decorate_forms`).
fn decorate(html: String, customer: Option<&Customer>, live_forms: bool) -> String {
    let mut html = decorate_forms(&html, live_forms);
    let mut banner = banner(customer, live_forms);
    banner.push_str(FORM_STYLE);
    match html.find("<body") {
        Some(at) => {
            let end = html[at..].find('>').map_or(html.len(), |end| at + end + 1);
            html.insert_str(end, &banner);
            html
        }
        None => banner + &html,
    }
}

/// The page of `request` rendered with `settings` (typically the unsaved draft).
pub async fn render(
    workspace: &Workspace,
    settings: &Settings,
    request: &PreviewRequest,
) -> Result<PreviewResult> {
    let catalog = workspace.catalog().await?;
    let renderer = Renderer::new(settings, &catalog, AssetMode::Inline);
    let errors = template_errors(settings, &catalog);
    let Some(email) = &request.contact else {
        let (page, frame) = sample_page(request.page, settings, &catalog);
        return Ok(PreviewResult {
            html: decorate(renderer.render(&page, &frame), None, false),
            errors,
            ticket: None,
            explanation: None,
        });
    };
    let customer = customer::by_email(workspace, email).await?;
    let explanation = view_as::view_as_with(workspace, settings, email, request.view).await?;
    let frame = Frame {
        viewer: Some(Viewer {
            name: customer.contact.display_name(),
            email: customer.contact.email.clone(),
        }),
        csrf: "preview".into(),
    };
    let mut shown_ticket = None;
    let page = match request.page {
        PageKind::List => {
            let query = ListQuery {
                view: request.view,
                page: 1,
                ..ListQuery::default()
            };
            match customer::load_list(workspace, settings, &catalog, &customer, &query).await {
                Ok(list) => Page::from(list),
                Err(PageError::AccessDenied(_)) => Page::AccessDenied,
                Err(PageError::NotFound) => Page::Message(MessageView::not_found()),
                Err(PageError::Storage(error)) => return Err(error.into()),
            }
        }
        PageKind::Detail => {
            let id = request
                .ticket
                .clone()
                .or_else(|| explanation.tickets.first().map(|ticket| ticket.id.clone()));
            match id {
                None => Page::Message(MessageView::not_found()),
                Some(id) => {
                    match customer::load_ticket(workspace, settings, &catalog, &customer, &id).await
                    {
                        Err(PageError::AccessDenied(_)) => Page::AccessDenied,
                        Err(PageError::NotFound) => Page::Message(MessageView::not_found()),
                        Err(PageError::Storage(error)) => return Err(error.into()),
                        Ok(ticket) => {
                            shown_ticket = Some(ticket.id.clone());
                            Page::Ticket(TicketView {
                                ticket,
                                reply_text: String::new(),
                                error: None,
                                notice: None,
                                max_mb: conversations::AttachmentPolicy::default()
                                    .max_bytes
                                    .div_ceil(1024 * 1024),
                            })
                        }
                    }
                }
            }
        }
        PageKind::Form => {
            if customer::may_use_portal(settings, &catalog, &customer).is_err() {
                Page::AccessDenied
            } else if settings.support_form.is_none() {
                Page::Message(MessageView::not_available())
            } else {
                Page::Form(form_view(settings, &catalog, &BTreeMap::new(), None))
            }
        }
        other => sample_page(other, settings, &catalog).0,
    };
    // A contact who cannot sign in never gets past the login: no signed-in header for them.
    let frame = match request.page {
        PageKind::List | PageKind::Detail | PageKind::Form if explanation.can_sign_in => frame,
        _ => Frame {
            viewer: None,
            csrf: "preview".into(),
        },
    };
    // A customised template may fail for this contact only (a render over a bound): show why.
    let (html, failed) = renderer.render_reporting(&page, &frame);
    let mut errors = errors;
    if let Some(problem) = failed {
        if !errors
            .iter()
            .any(|error| error.template == problem.template)
        {
            errors.push(template_error(settings, problem));
        }
    }
    Ok(PreviewResult {
        html: decorate(
            html,
            Some(&customer),
            request.act_as && forms_send(request.page),
        ),
        errors,
        ticket: shown_ticket,
        explanation: Some(explanation),
    })
}

/// "Act as this contact": a reply on `ticket` as `email` would send it from the portal, under the saved
/// settings (what the live portal enforces). Returns the new message's id.
pub async fn reply_as(
    workspace: &Workspace,
    email: &str,
    ticket: &str,
    text: &str,
) -> Result<String> {
    let settings = workspace.settings().await?;
    let catalog = workspace.catalog().await?;
    let customer = customer::by_email(workspace, email).await?;
    Ok(conversations::reply(
        workspace,
        &settings,
        &catalog,
        &conversations::AttachmentPolicy::default(),
        &customer.contact,
        ticket,
        conversations::NewReply {
            text: text.into(),
            upload: None,
        },
    )
    .await?)
}

/// "Act as this contact": a support-form submission as `email`. Returns the new ticket's id.
pub async fn submit_form_as(
    workspace: &Workspace,
    email: &str,
    values: &BTreeMap<String, String>,
) -> Result<String> {
    let settings = workspace.settings().await?;
    let catalog = workspace.catalog().await?;
    let customer = customer::by_email(workspace, email).await?;
    Ok(
        conversations::submit_form(workspace, &settings, &catalog, &customer.contact, values)
            .await?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_page_forms_send_when_acting_and_inert_ones_say_why() {
        let page = "<body><form method=\"post\" action=\"/t/logout\" class=\"x\"></form>\
                    <form method=\"post\" action=\"/t/1/reply\"></form>\
                    <form class=\"search\" method=\"get\" action=\"/t\"></form></body>";
        let acting = decorate_forms(page, true);
        assert_eq!(acting.matches("<form inert").count(), 2, "{acting}");
        assert!(acting.contains("<form method=\"post\" action=\"/t/1/reply\""));
        assert!(!acting.contains("data-preview-note"));
        let inert = decorate_forms(page, false);
        assert_eq!(inert.matches("<form inert").count(), 3);
        // Only the reply form is dimmed and explained; signing out and searching are quietly inert.
        assert_eq!(inert.matches("data-preview-note").count(), 1);
        assert_eq!(inert.matches("data-preview-explained").count(), 1);
    }

    #[test]
    fn line_and_column_of_an_offset() {
        assert_eq!(line_and_column("ab\ncd{% if %}", 5), (2, 3));
        assert_eq!(
            syntax_position("line one\n  {% if %}").map(|p| p.0),
            Some(2)
        );
    }
}
