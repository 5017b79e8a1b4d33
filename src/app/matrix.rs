//! The visibility matrix: for every contact and each view they have, whether they can sign in and which
//! tickets they see. QA attaches it to a change review; the desktop app's what-if compares two of them.
//! Computed from the whole workspace in one pass, split across all cores.

use crate::app::progress::{Progress, Silent, Unit};
use crate::app::read_models::{compare_text, SortKey, TableRow};
use crate::domain::model::{Catalog, Company, Contact, Ticket};
use crate::domain::rules::{self, View};
use crate::domain::settings::Settings;
use crate::{Result, Workspace};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AuditRow {
    pub contact: String,
    pub name: String,
    pub company: Option<String>,
    pub view: Option<View>,
    pub can_sign_in: bool,
    pub access_reason: String,
    pub visible_count: usize,
    pub visible_tickets: Vec<String>,
}

/// Everything the matrix is computed from, loaded once and reusable for several settings drafts.
pub struct AuditData {
    pub catalog: Catalog,
    pub contacts: Vec<Contact>,
    pub companies: HashMap<String, Company>,
    pub tickets: Vec<Ticket>,
}

impl AuditData {
    /// What the matrix under `settings` needs: ticket properties that none of its filters read are left
    /// out, which on a large workspace makes loading several times faster and smaller. Use
    /// `load_properties` when the data will also be used with other settings.
    pub async fn load_for(workspace: &Workspace, settings: &Settings) -> Result<AuditData> {
        let properties: Vec<&str> = settings
            .ticket_filters
            .iter()
            .map(|filter| filter.property.as_str())
            .collect();
        Self::load_properties(workspace, &properties).await
    }

    /// Like `load_for`, with the ticket properties named (built-in or custom) instead of read from
    /// settings: for callers that evaluate several settings on the same data.
    pub async fn load_properties(workspace: &Workspace, properties: &[&str]) -> Result<AuditData> {
        Ok(AuditData {
            catalog: workspace.catalog().await?,
            contacts: workspace.contacts().await?,
            companies: workspace
                .companies()
                .await?
                .into_iter()
                .map(|company| (company.id.clone(), company))
                .collect(),
            tickets: workspace.tickets_for_rules(Some(properties)).await?,
        })
    }
}

/// The matrix under `settings`, in contact order, one row per contact and view. A ticket is visible when
/// `rules::ticket_visible` says so (see `contact_visibility`).
pub fn matrix(settings: &Settings, data: &AuditData) -> Vec<AuditRow> {
    matrix_with_progress(settings, data, &Silent)
}

/// `matrix`, counting contacts done in `progress` (one stage, "Computing the matrix").
pub fn matrix_with_progress(
    settings: &Settings,
    data: &AuditData,
    progress: &dyn Progress,
) -> Vec<AuditRow> {
    contact_visibility(settings, data, progress, |seen| {
        seen.views
            .into_iter()
            .map(|(view, indexes)| {
                let mut visible: Vec<&Ticket> =
                    indexes.iter().map(|&index| &data.tickets[index]).collect();
                visible.sort_by(|a, b| rules::view::list_order(a, b));
                AuditRow {
                    contact: seen.contact.email.clone(),
                    name: seen.contact.display_name(),
                    company: seen.company.map(|company| company.name.clone()),
                    view,
                    can_sign_in: seen.access.allowed,
                    access_reason: seen.access.reason.clone(),
                    visible_count: visible.len(),
                    visible_tickets: visible.iter().map(|ticket| ticket.id.clone()).collect(),
                }
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

/// One contact's visibility before it is shaped into rows: whether they may sign in (and why), and
/// each view they have (one `None` without a switch, default first) with the tickets it shows, as
/// indexes into `AuditData::tickets` in ascending order.
pub struct ContactVisibility<'d> {
    pub contact: &'d Contact,
    pub company: Option<&'d Company>,
    pub access: rules::AccessDecision,
    pub views: Vec<(Option<View>, Vec<usize>)>,
}

/// Every contact's visibility under `settings`, shaped by `shape`, in contact order; the matrix and the
/// visibility snapshots share it. A ticket is visible when `rules::ticket_visible` says so; its two
/// halves are asked separately here because the filters do not depend on the contact: they are
/// evaluated once per ticket, not once per contact and view. Split across all cores; counts contacts
/// done in `progress` (one stage, "Computing the matrix").
pub fn contact_visibility<R: Send>(
    settings: &Settings,
    data: &AuditData,
    progress: &dyn Progress,
    shape: impl Fn(ContactVisibility<'_>) -> R + Sync,
) -> Vec<R> {
    progress.stage(
        "Computing the matrix",
        Unit::Items("contacts"),
        Some(data.contacts.len() as u64),
    );
    let passes: Vec<bool> = data
        .tickets
        .iter()
        .map(|ticket| rules::passes_filters(settings, ticket))
        .collect();
    let mut by_contact: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_company: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_cc: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, ticket) in data.tickets.iter().enumerate() {
        for contact in &ticket.contacts {
            by_contact.entry(contact.as_str()).or_default().push(index);
        }
        for contact in &ticket.cc {
            by_cc.entry(contact.as_str()).or_default().push(index);
        }
        for company in &ticket.companies {
            by_company.entry(company.as_str()).or_default().push(index);
        }
    }
    let visibility_of = |contact: &'_ Contact| -> R {
        let company = contact
            .company
            .as_ref()
            .and_then(|id| data.companies.get(id));
        let access = rules::may_sign_in(settings, &data.catalog, contact);
        let company_view = rules::company_view(settings, contact, company.into());
        let mut related: Vec<usize> = if access.allowed {
            by_contact
                .get(contact.id.as_str())
                .into_iter()
                .chain(by_cc.get(contact.id.as_str()))
                .chain(
                    company_view
                        .companies
                        .iter()
                        .filter_map(|company| by_company.get(company.as_str())),
                )
                .flatten()
                .copied()
                .filter(|&index| passes[index])
                .collect()
        } else {
            Vec::new()
        };
        related.sort_unstable();
        related.dedup();
        let views: Vec<Option<View>> = if company_view.granted {
            vec![Some(View::Organization), Some(View::Mine)]
        } else {
            vec![None]
        };
        let views = views
            .into_iter()
            .map(|view| {
                let visible = related
                    .iter()
                    .copied()
                    .filter(|&index| {
                        rules::in_view_of(
                            settings,
                            contact,
                            &company_view.companies,
                            &data.tickets[index],
                            view,
                        )
                    })
                    .collect();
                (view, visible)
            })
            .collect();
        shape(ContactVisibility {
            contact,
            company,
            access,
            views,
        })
    };
    let workers = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .max(1);
    let chunk = data.contacts.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = data
            .contacts
            .chunks(chunk)
            .map(|contacts| {
                scope.spawn(|| {
                    contacts
                        .iter()
                        .map(|contact| {
                            let shaped = visibility_of(contact);
                            progress.advance(1);
                            shaped
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().expect("audit worker panicked"))
            .collect()
    })
}

/// How many of a row's visible tickets a table page carries (`visible_count` has them all; the
/// explanation and the CSV list every one).
pub const PAGE_TICKETS: usize = 8;

impl TableRow for AuditRow {
    fn search_text(&self) -> String {
        format!(
            "{} {} {} {}",
            self.name,
            self.contact,
            self.company.as_deref().unwrap_or(""),
            self.visible_tickets.join(" ")
        )
    }
    fn can_sign_in(&self) -> bool {
        self.can_sign_in
    }
    fn group(&self) -> &str {
        self.company.as_deref().unwrap_or("")
    }
    fn compare(&self, other: &Self, sort: SortKey) -> std::cmp::Ordering {
        let view = |row: &AuditRow| row.view.map_or("", View::as_str);
        let by_name = || {
            compare_text(&self.name, &other.name)
                .then_with(|| self.contact.cmp(&other.contact))
                .then_with(|| view(self).cmp(view(other)))
        };
        match sort {
            SortKey::Name => by_name(),
            SortKey::Company => compare_text(self.group(), other.group()).then_with(by_name),
            SortKey::View => view(self).cmp(view(other)).then_with(by_name),
            SortKey::SignIn => self.can_sign_in.cmp(&other.can_sign_in).then_with(by_name),
            SortKey::Count => self
                .visible_count
                .cmp(&other.visible_count)
                .then_with(by_name),
        }
    }
    fn for_page(&self) -> Self {
        AuditRow {
            visible_tickets: self
                .visible_tickets
                .iter()
                .take(PAGE_TICKETS)
                .cloned()
                .collect(),
            ..self.clone()
        }
    }
}

pub async fn audit(workspace: &Workspace) -> Result<Vec<AuditRow>> {
    audit_with_progress(workspace, &Silent).await
}

/// `audit`, reporting its two stages in `progress`: loading the workspace, then computing the matrix
/// (counted in contacts).
pub async fn audit_with_progress(
    workspace: &Workspace,
    progress: &dyn Progress,
) -> Result<Vec<AuditRow>> {
    progress.stage("Loading the workspace", Unit::Items("records"), None);
    let settings = workspace.settings().await?;
    let data = AuditData::load_for(workspace, &settings).await?;
    Ok(matrix_with_progress(&settings, &data, progress))
}

/// One CSV cell. A cell a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a tab
/// or a carriage return: a name or ticket id such as `=HYPERLINK(...)`) gets a leading `'`, as OWASP
/// recommends against CSV injection, so it opens as the text it is.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

pub fn to_csv(rows: &[AuditRow]) -> String {
    let mut csv = String::from(
        "contact,name,company,view,can_sign_in,access_reason,visible_count,visible_tickets\n",
    );
    for row in rows {
        let fields = [
            csv_field(&row.contact),
            csv_field(&row.name),
            csv_field(row.company.as_deref().unwrap_or("")),
            row.view.map_or("", View::as_str).to_string(),
            row.can_sign_in.to_string(),
            csv_field(&row.access_reason),
            row.visible_count.to_string(),
            csv_field(&row.visible_tickets.join(" ")),
        ];
        csv.push_str(&fields.join(","));
        csv.push('\n');
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::progress::recording::Recorded;
    use crate::app::{demo, transfer};

    #[tokio::test]
    async fn audit_reports_loading_then_every_contact_computed() {
        let dir = tempfile::tempdir().unwrap();
        let size = demo::DemoSize {
            contacts: 25,
            tickets: 40,
        };
        let workspace = transfer::write_demo(&dir.path().join("w.portal"), 5, size, false)
            .await
            .unwrap();
        let progress = Recorded::default();

        audit_with_progress(&workspace, &progress).await.unwrap();
        assert_eq!(
            progress.stages(),
            vec![
                (
                    "Loading the workspace".to_string(),
                    Unit::Items("records"),
                    None,
                    0
                ),
                (
                    "Computing the matrix".to_string(),
                    Unit::Items("contacts"),
                    Some(25),
                    25
                ),
            ]
        );
        workspace.close().await;
    }
}
