//! Turning page data into HTML, separate from HTTP and sessions so that the desktop app's designer can
//! render any page with any settings, saved or draft. A `Renderer` is built from one settings document
//! and the catalog: it compiles the template overrides (falling back to the shipped template for any that
//! does not parse, and again at render time for any that fails), renders the theme with the branding, and
//! works out the header (logo, menu, knowledge-base and form links). Templates are sandboxed: there is no
//! loader that reads files, every value is HTML-escaped, and a fuel limit stops runaway loops.

use super::encode as security;
use super::sandbox;
use crate::domain::model::Catalog;
use crate::domain::rules::{self, View};
use crate::domain::settings::{Settings, SsoConfiguration, TEMPLATE_NAMES};
use crate::domain::{i18n, passwords};
use crate::site::pages::{ListQuery, SortOrder, StatusFilter, TicketList, TicketPage};
use minijinja::value::Kwargs;
use minijinja::{AutoEscape, Environment, State, Value};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, OnceLock};

/// The shipped templates. `base`, `theme`, `message` and `knowledge_base` are the layout, the shared
/// styles, the generic message page and the article list; the others are the editable pages of
/// `settings::TEMPLATE_NAMES`.
const SHIPPED: [(&str, &str); 12] = [
    ("base", include_str!("templates/base.html")),
    ("theme", include_str!("templates/theme.css")),
    ("message", include_str!("templates/message.html")),
    (
        "knowledge_base",
        include_str!("templates/knowledge_base.html"),
    ),
    ("list", include_str!("templates/list.html")),
    ("detail", include_str!("templates/detail.html")),
    ("form", include_str!("templates/form.html")),
    ("register", include_str!("templates/register.html")),
    ("login", include_str!("templates/login.html")),
    ("logout", include_str!("templates/logout.html")),
    (
        "access_denied",
        include_str!("templates/access_denied.html"),
    ),
    (
        "password_reset",
        include_str!("templates/password_reset.html"),
    ),
];

/// Enough for any sensible page many times over; a template that loops forever stops here.
const FUEL: u64 = 5_000_000;

/// The shipped template source of `name` (for the designer's "reset to default").
pub fn shipped_template(name: &str) -> Option<&'static str> {
    SHIPPED
        .iter()
        .find(|(shipped, _)| *shipped == name)
        .map(|(_, source)| *source)
}

/// A template that does not parse or render, with where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateProblem {
    pub template: String,
    pub line: Option<usize>,
    pub message: String,
}

fn problem(template: &str, error: &minijinja::Error) -> TemplateProblem {
    TemplateProblem {
        template: template.to_string(),
        line: error.line(),
        message: error
            .detail()
            .map_or_else(|| error.kind().to_string(), str::to_string),
    }
}

fn translate(state: &State, key: &str, values: Kwargs) -> Result<String, minijinja::Error> {
    let language = state
        .lookup("lang")
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_else(|| "en".into());
    let mut pairs = Vec::new();
    for name in values.args() {
        let value: Value = values.get(name)?;
        pairs.push((name.to_string(), value.to_string()));
    }
    let borrowed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    Ok(i18n::format(&language, key, &borrowed))
}

/// "2025-03-02 10:00" from an RFC 3339 timestamp (UTC, as the engine keeps them).
fn when(value: String) -> String {
    crate::domain::model::parse_timestamp(&value)
        .map(|at| at.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or(value)
}

/// The rules say "Open"/"Closed" (as `portal view-as` prints them); customers read their own language.
/// Stage labels (pipeline-stage display) are the admin's own words and stay as they are.
fn status(state: &State, label: String) -> String {
    let language = state
        .lookup("lang")
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_else(|| "en".into());
    match label.as_str() {
        "Open" => i18n::text(&language, "status.open").to_string(),
        "Closed" => i18n::text(&language, "status.closed").to_string(),
        _ => label,
    }
}

fn filesize(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{} KB", bytes.div_ceil(1024)),
        _ => format!("{:.1} MB", bytes as f64 / 1_048_576.0),
    }
}

/// Escapes `text` and turns the http(s) addresses in it into links (consent notices "may contain links",
/// and messages often do). Everything else stays text.
fn linkify(text: String) -> Value {
    let mut html = String::with_capacity(text.len() + 32);
    let mut rest = text.as_str();
    while let Some(start) = ["https://", "http://"]
        .iter()
        .filter_map(|scheme| rest.find(scheme))
        .min()
    {
        let (before, from_url) = rest.split_at(start);
        html.push_str(&security::escape_html(before));
        let end = from_url
            .find(|c: char| c.is_whitespace() || "<>\"'".contains(c))
            .unwrap_or(from_url.len());
        // Sentence punctuation after an address is not part of it.
        let url = from_url[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
        let url = if url.len() <= "https://".len() {
            &from_url[..end]
        } else {
            url
        };
        let escaped = security::escape_html(url);
        html.push_str(&format!(
            "<a href=\"{escaped}\" rel=\"noopener noreferrer nofollow\">{escaped}</a>"
        ));
        rest = &from_url[url.len()..];
    }
    html.push_str(&security::escape_html(rest));
    Value::from_safe_string(html)
}

fn urlencode(value: String) -> String {
    security::percent_encode(&value)
}

/// `{{ ticket.id|ticket_url }}`, `{{ ticket.id|ticket_url("reply") }}`: the ticket's path under the
/// portal's base, whatever its id (`encode::ticket_path`).
fn ticket_url(id: String, rest: Option<String>) -> String {
    security::ticket_path(&id, rest.as_deref().unwrap_or(""))
}

fn base_environment(escape: AutoEscape) -> Environment<'static> {
    let mut environment = Environment::new();
    environment.set_auto_escape_callback(move |_| escape);
    environment.set_fuel(Some(FUEL));
    environment.add_function("t", translate);
    environment.add_filter("when", when);
    environment.add_filter("filesize", filesize);
    environment.add_filter("status", status);
    environment.add_filter("urlencode", |value: String| {
        sandbox::capped("urlencode", Value::from(urlencode(value)))
    });
    environment.add_filter("ticket_url", ticket_url);
    environment.add_filter("linkify", |text: String| {
        sandbox::capped("linkify", linkify(text))
    });
    // minijinja's filters that can lengthen text, capped (`sandbox`).
    environment.add_filter("join", sandbox::join);
    environment.add_filter("replace", sandbox::replace);
    environment.add_filter("escape", sandbox::escape);
    environment.add_filter("e", sandbox::escape);
    environment.add_filter("list", sandbox::list);
    environment.add_filter("split", sandbox::split);
    environment.add_filter("lines", sandbox::lines);
    environment
}

/// Adds the override `source` as template `name`, unless it breaks a `sandbox` rule or does not parse.
fn add_override(
    environment: &mut Environment<'static>,
    name: &str,
    source: &str,
) -> Result<(), TemplateProblem> {
    sandbox::check(name, source).map_err(|refusal| TemplateProblem {
        template: name.to_string(),
        line: refusal.line,
        message: refusal.message,
    })?;
    environment
        .add_template_owned(name.to_string(), source.to_string())
        .map_err(|error| problem(name, &error))
}

/// The page environment with `overrides` compiled over the shipped templates, and what failed to compile.
fn page_environment(
    overrides: &BTreeMap<String, String>,
) -> (Environment<'static>, Vec<TemplateProblem>) {
    let mut environment = base_environment(AutoEscape::Html);
    let mut problems = Vec::new();
    for (name, source) in SHIPPED {
        if name == "theme" {
            continue;
        }
        if let Some(text) = overrides
            .get(name)
            .filter(|_| TEMPLATE_NAMES.contains(&name))
        {
            match add_override(&mut environment, name, text) {
                Ok(()) => continue,
                Err(refused) => problems.push(refused),
            }
        }
        environment
            .add_template(name, source)
            .expect("shipped templates parse");
    }
    (environment, problems)
}

static SHIPPED_PAGES: LazyLock<Environment<'static>> =
    LazyLock::new(|| page_environment(&BTreeMap::new()).0);

/// Every problem with these template overrides: parse errors, then render errors against sample data.
pub fn check_templates(settings: &Settings, catalog: &Catalog) -> Vec<TemplateProblem> {
    let (environment, mut problems) = page_environment(&settings.templates);
    if let Some(theme) = settings.templates.get("theme") {
        let mut themes = base_environment(AutoEscape::None);
        match add_override(&mut themes, "theme", theme) {
            Err(refused) => problems.push(refused),
            Ok(()) => {
                if let Err(error) = themes
                    .get_template("theme")
                    .and_then(|template| sandbox::render_capped(&template, theme_context(settings)))
                {
                    problems.push(problem("theme", &error));
                }
            }
        }
    }
    let renderer = Renderer::new(settings, catalog, AssetMode::Inline);
    for kind in PageKind::ALL {
        let (page, frame) = sample_page(kind, settings, catalog);
        let name = page.template();
        if problems.iter().any(|problem| problem.template == name) {
            continue;
        }
        let context = renderer.context(&page, &frame);
        if let Err(error) = environment
            .get_template(name)
            .and_then(|template| sandbox::render_capped(&template, &context))
        {
            problems.push(problem(name, &error));
        }
    }
    problems
}

#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub label: String,
    pub url: String,
    pub current: bool,
}

fn link(label: impl Into<String>, url: impl Into<String>, current: bool) -> Link {
    Link {
        label: label.into(),
        url: url.into(),
        current,
    }
}

/// How the logo and favicon reach the page: as URLs of the running server, or inline (previews, which
/// have no server behind them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetMode {
    Served,
    Inline,
}

/// What every page shares, computed once per settings document.
#[derive(Debug, Clone, Serialize)]
struct Chrome {
    lang: String,
    page_title: String,
    base: String,
    nav: Vec<Link>,
    kb_url: Option<String>,
    form_link: Option<Link>,
    logo_url: Option<String>,
    favicon_url: Option<String>,
    /// The theme's URL on a running server (browsers cache it), or the theme itself inline (previews).
    theme_url: Option<String>,
    theme_css: Option<String>,
}

/// Font names and fallbacks only: nothing that could end the style block or start a new rule.
fn safe_font(font: &str) -> String {
    let cleaned: String = font
        .chars()
        .filter(|c| c.is_alphanumeric() || " ,-_'\".".contains(*c))
        .collect();
    if cleaned.trim().is_empty() {
        "system-ui, sans-serif".into()
    } else {
        cleaned
    }
}

fn safe_color(color: &str, fallback: &str) -> String {
    let valid = color.len() == 7
        && color.starts_with('#')
        && color[1..].chars().all(|c| c.is_ascii_hexdigit());
    if valid { color } else { fallback }.to_string()
}

fn theme_context(settings: &Settings) -> Value {
    minijinja::context! {
        primary_color => safe_color(&settings.branding.primary_color, "#2f5fd0"),
        secondary_color => safe_color(&settings.branding.secondary_color, "#1f2937"),
        font_family => safe_font(&settings.branding.font_family),
    }
}

fn theme_css(settings: &Settings) -> String {
    let context = theme_context(settings);
    let shipped = || {
        let mut themes = base_environment(AutoEscape::None);
        themes
            .add_template("theme", shipped_template("theme").expect("shipped theme"))
            .expect("the shipped theme parses");
        themes
            .get_template("theme")
            .and_then(|template| template.render(&context))
            .expect("the shipped theme renders")
    };
    let Some(custom) = settings.templates.get("theme") else {
        return shipped();
    };
    let mut themes = base_environment(AutoEscape::None);
    if let Err(refused) = add_override(&mut themes, "theme", custom) {
        tracing::warn!(
            "the theme override is refused, serving the shipped one: {}",
            refused.message
        );
        return shipped();
    }
    let rendered = themes
        .get_template("theme")
        .and_then(|template| sandbox::render_capped(&template, &context));
    match rendered {
        // The theme sits inside <style>: it may not close it.
        Ok(css) if !css.to_ascii_lowercase().contains("</style") => css,
        _ => shipped(),
    }
}

fn image_url(image: &crate::domain::settings::Image, served: String, assets: AssetMode) -> String {
    match assets {
        AssetMode::Served => {
            let version = security::short_hash(&image.data_base64);
            format!("{served}?v={version}")
        }
        AssetMode::Inline => format!("data:{};base64,{}", image.content_type, image.data_base64),
    }
}

/// The favicon a portal without one of its own shows: the first letter of its title, white on its
/// primary colour (SVG; the server answers it at `/{slug}/assets/favicon`).
pub fn default_favicon(settings: &Settings) -> String {
    let letter = settings
        .page_title
        .chars()
        .find(|c| c.is_alphanumeric())
        .map_or_else(|| "?".to_string(), |c| c.to_uppercase().collect());
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\">\
<rect width=\"32\" height=\"32\" rx=\"7\" fill=\"{}\"/>\
<text x=\"16\" y=\"22.5\" font-family=\"system-ui, sans-serif\" font-size=\"19\" font-weight=\"700\" \
text-anchor=\"middle\" fill=\"#ffffff\">{}</text></svg>",
        safe_color(&settings.branding.primary_color, "#2f5fd0"),
        security::escape_html(&letter)
    )
}

fn chrome(settings: &Settings, catalog: &Catalog, assets: AssetMode) -> Chrome {
    let base = format!("/{}", settings.slug);
    let nav = settings
        .navigation_menu
        .as_deref()
        .and_then(|menu| catalog.menu(menu))
        .map(|menu| {
            menu.items
                .iter()
                .filter(|item| crate::domain::settings::menu_url_problem(&item.url).is_none())
                .map(|item| link(&item.label, &item.url, false))
                .collect()
        })
        .unwrap_or_default();
    let form_link = settings
        .support_form
        .as_ref()
        .filter(|support_form| {
            catalog
                .form(&support_form.form)
                .is_some_and(|form| form.inbox.is_some())
        })
        .map(|support_form| link(&support_form.link_text, format!("{base}/new"), false));
    Chrome {
        lang: settings.language.clone(),
        page_title: settings.page_title.clone(),
        nav,
        kb_url: rules::knowledge_base_shown(settings, catalog)
            .then(|| format!("{base}/knowledge-base")),
        form_link,
        logo_url: settings
            .branding
            .logo
            .as_ref()
            .map(|logo| image_url(logo, format!("{base}/assets/logo"), assets)),
        favicon_url: Some(match settings.branding.favicon.as_ref() {
            Some(icon) => image_url(icon, format!("{base}/assets/favicon"), assets),
            None => {
                let icon = default_favicon(settings);
                match assets {
                    AssetMode::Served => {
                        format!("{base}/assets/favicon?v={}", security::short_hash(&icon))
                    }
                    AssetMode::Inline => {
                        use base64::Engine;
                        format!(
                            "data:image/svg+xml;base64,{}",
                            base64::engine::general_purpose::STANDARD.encode(icon)
                        )
                    }
                }
            }
        }),
        theme_url: None,
        theme_css: None,
        base,
    }
}

/// Who is signed in, for the header; and the form token every form of the page carries.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Frame {
    pub viewer: Option<Viewer>,
    pub csrf: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Viewer {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TicketView {
    pub ticket: TicketPage,
    /// The reply text to show again (after a refused reply nothing typed is lost).
    pub reply_text: String,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub max_mb: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct FormField {
    pub name: String,
    pub label: String,
    pub required: bool,
    pub multiline: bool,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FormView {
    pub title: String,
    pub action: String,
    pub fields: Vec<FormField>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoginView {
    /// "password", "sso" or "saml".
    pub mode: String,
    pub email: String,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub register_url: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegisterView {
    pub sent: bool,
    pub email: String,
    pub consent: bool,
    pub consent_notice: String,
    pub consent_label: String,
    pub min_password: usize,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResetView {
    /// "request", "sent", "choose" or "invalid".
    pub stage: String,
    /// "password_reset" or "invitation" (for "choose").
    pub purpose: String,
    pub email: String,
    pub token: String,
    pub action: String,
    pub min_password: usize,
    pub error: Option<String>,
}

/// A page with a heading, a sentence and maybe a link: not found, not available, errors.
#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    /// Translation keys.
    pub heading: String,
    pub text: String,
    pub link: Option<String>,
    pub link_label: String,
}

impl MessageView {
    pub fn new(heading: &str, text: &str) -> Self {
        MessageView {
            heading: heading.into(),
            text: text.into(),
            link: None,
            link_label: String::new(),
        }
    }
    pub fn not_found() -> Self {
        MessageView {
            link: Some(String::new()),
            link_label: "not_found.back".into(),
            ..MessageView::new("not_found.heading", "not_found.text")
        }
    }
    pub fn not_available() -> Self {
        MessageView::new("not_available.heading", "not_available.text")
    }
}

/// Every page the portal can show, with its data.
#[derive(Debug, Clone)]
pub enum Page {
    List(Arc<ListPage>),
    Ticket(TicketView),
    Form(FormView),
    Login(LoginView),
    Register(RegisterView),
    PasswordReset(ResetView),
    AccessDenied,
    SignedOut,
    Message(MessageView),
    /// The published knowledge-base articles, each linked to its page.
    KnowledgeBase(Vec<ArticleLink>),
    /// One published article's page.
    Article(ArticleLink),
}

/// A knowledge-base article as the portal links it.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleLink {
    pub title: String,
    pub url: String,
}

/// The link to `article`'s page on the portal of `settings`.
pub fn article_link(
    settings: &Settings,
    article: &crate::domain::model::KnowledgeBaseArticle,
) -> ArticleLink {
    ArticleLink {
        title: article.title.clone(),
        url: format!(
            "/{}/knowledge-base/{}",
            settings.slug,
            security::percent_encode(&article.id)
        ),
    }
}

impl Page {
    /// The template that renders this page.
    pub fn template(&self) -> &'static str {
        match self {
            Page::List(_) => "list",
            Page::Ticket(_) => "detail",
            Page::Form(_) => "form",
            Page::Login(_) => "login",
            Page::Register(_) => "register",
            Page::PasswordReset(_) => "password_reset",
            Page::AccessDenied => "access_denied",
            Page::SignedOut => "logout",
            Page::Message(_) => "message",
            Page::KnowledgeBase(_) | Page::Article(_) => "knowledge_base",
        }
    }
}

/// How the login page signs people in under these settings.
pub fn login_mode(settings: &Settings) -> &'static str {
    if !settings.access.mode.uses_sso() {
        "password"
    } else if matches!(settings.sso, Some(SsoConfiguration::Saml { .. })) {
        "saml"
    } else {
        "sso"
    }
}

/// The list URL for `query` (only non-default parameters, so the plain list is just the base).
pub fn list_url(base: &str, query: &ListQuery, with_view: bool) -> String {
    let mut parameters = Vec::new();
    if let (true, Some(view)) = (with_view, query.view) {
        parameters.push(format!("view={}", view.as_str()));
    }
    if query.status != StatusFilter::All {
        parameters.push(format!("status={}", query.status.as_str()));
    }
    if !query.search.is_empty() {
        parameters.push(format!("q={}", security::percent_encode(&query.search)));
    }
    if query.sort != SortOrder::LastActivity {
        parameters.push(format!("sort={}", query.sort.as_str()));
    }
    if query.page > 1 {
        parameters.push(format!("page={}", query.page));
    }
    if parameters.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", parameters.join("&"))
    }
}

#[derive(Serialize)]
struct ListContext<'a> {
    list: &'a TicketList,
    views: Vec<Link>,
    status_tabs: Vec<Link>,
    prev_url: Option<String>,
    next_url: Option<String>,
    first: usize,
    last: usize,
}

/// A customer's ticket list page, with its template value once a renderer has made it. The portal keeps
/// the pages it served with the customer's tickets (`web::cache`), so a returning customer's list costs
/// neither the rules and sorting (`pages::ticket_list`) nor the conversion of its rows and links into
/// template values again: only the template runs.
#[derive(Debug)]
pub struct ListPage {
    pub list: TicketList,
    /// The template value, and the renderer it was made by (its links and labels follow the portal's
    /// address and language); another renderer (a preview's draft) makes its own.
    prepared: OnceLock<(u64, Value)>,
}

impl ListPage {
    pub fn new(list: TicketList) -> ListPage {
        ListPage {
            list,
            prepared: OnceLock::new(),
        }
    }
}

impl From<TicketList> for Page {
    fn from(list: TicketList) -> Page {
        Page::List(Arc::new(ListPage::new(list)))
    }
}

fn list_context<'a>(list: &'a TicketList, base: &str, language: &str) -> ListContext<'a> {
    let with_view = !list.views.is_empty();
    let query = |change: &dyn Fn(&mut ListQuery)| {
        let mut query = list.query.clone();
        change(&mut query);
        list_url(base, &query, with_view)
    };
    let views = list
        .views
        .iter()
        .map(|view| {
            let key = match view {
                View::Organization => "list.view_organization",
                View::Mine => "list.view_mine",
            };
            link(
                i18n::text(language, key),
                query(&|q| {
                    q.view = Some(*view);
                    q.page = 1;
                }),
                list.view == Some(*view),
            )
        })
        .collect();
    let status_tabs = [
        (StatusFilter::All, "list.status_all"),
        (StatusFilter::Open, "list.status_open"),
        (StatusFilter::Closed, "list.status_closed"),
    ]
    .into_iter()
    .map(|(status, key)| {
        link(
            i18n::text(language, key),
            query(&|q| {
                q.status = status;
                q.page = 1;
            }),
            list.query.status == status,
        )
    })
    .collect();
    let first = if list.rows.is_empty() {
        0
    } else {
        (list.page - 1) * crate::site::pages::PAGE_SIZE + 1
    };
    ListContext {
        list,
        views,
        status_tabs,
        prev_url: (list.page > 1).then(|| query(&|q| q.page -= 1)),
        next_url: (list.page < list.pages).then(|| query(&|q| q.page += 1)),
        first,
        last: first + list.rows.len().saturating_sub(1),
    }
}

/// Each renderer's number, so that a list page's template value is used only by the renderer that made it.
static RENDERERS: AtomicU64 = AtomicU64::new(1);

/// Renders pages for one settings document (see the module comment).
pub struct Renderer {
    /// This renderer's number (`RENDERERS`).
    id: u64,
    /// None: no overrides, the shared shipped environment serves.
    environment: Option<Environment<'static>>,
    chrome: Chrome,
    /// `chrome` as a template value, made once: every page merges it into its context.
    chrome_value: Value,
    theme: String,
    problems: Vec<TemplateProblem>,
}

impl Renderer {
    pub fn new(settings: &Settings, catalog: &Catalog, assets: AssetMode) -> Renderer {
        let (environment, problems) = if settings.templates.keys().any(|name| name != "theme") {
            let (environment, problems) = page_environment(&settings.templates);
            (Some(environment), problems)
        } else {
            (None, Vec::new())
        };
        let theme = theme_css(settings);
        let mut chrome = chrome(settings, catalog, assets);
        match assets {
            AssetMode::Served => {
                chrome.theme_url = Some(format!(
                    "{}/assets/theme.css?v={}",
                    chrome.base,
                    security::short_hash(&theme)
                ))
            }
            AssetMode::Inline => chrome.theme_css = Some(theme.clone()),
        }
        Renderer {
            id: RENDERERS.fetch_add(1, Ordering::Relaxed),
            environment,
            chrome_value: Value::from_serialize(&chrome),
            chrome,
            theme,
            problems,
        }
    }

    /// This renderer's number: another renderer (after a settings save, for a draft) has another.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The theme's CSS (the stylesheet a served page links to).
    pub fn theme_css(&self) -> &str {
        &self.theme
    }

    /// Overrides that did not compile (the shipped template serves in their place).
    pub fn problems(&self) -> &[TemplateProblem] {
        &self.problems
    }

    /// The page's `<title>` ("page name · portal name", so every page has its own) and its meta
    /// description, in the portal's language.
    fn title_and_description(&self, page: &Page) -> (String, String) {
        let t = |key: &str| i18n::text(&self.chrome.lang, key).to_string();
        let (name, description) = match page {
            Page::List(_) => (t("list.heading"), t("login.lead")),
            Page::Ticket(view) => (
                format!("#{} {}", view.ticket.id, view.ticket.subject),
                t("login.lead"),
            ),
            Page::Form(view) if view.title.trim().is_empty() => (t("form.submit"), t("form.lead")),
            Page::Form(view) => (view.title.clone(), t("form.lead")),
            Page::Login(_) => (t("login.heading"), t("login.lead")),
            Page::Register(view) if view.sent => (t("register.sent_heading"), t("register.lead")),
            Page::Register(_) => (t("register.heading"), t("register.lead")),
            Page::PasswordReset(view) => {
                let heading = match (view.stage.as_str(), view.purpose.as_str()) {
                    ("sent", _) => "reset.sent_heading",
                    ("invalid", _) => "reset.invalid_heading",
                    ("choose", "password_reset") => "reset.choose_heading",
                    ("choose", _) => "welcome.heading",
                    _ => "reset.heading",
                };
                (t(heading), t("reset.lead"))
            }
            Page::AccessDenied => (t("denied.heading"), t("denied.text")),
            Page::SignedOut => (t("logout.heading"), t("logout.text")),
            Page::Message(view) => (t(&view.heading), t(&view.text)),
            Page::KnowledgeBase(_) => (t("kb.heading"), t("kb.lead")),
            Page::Article(article) => (article.title.clone(), t("kb.lead")),
        };
        let title = if self.chrome.page_title.trim().is_empty() {
            name
        } else {
            format!("{name} · {}", self.chrome.page_title)
        };
        (title, description)
    }

    fn context(&self, page: &Page, frame: &Frame) -> Value {
        let language = self.chrome.lang.as_str();
        let data = match page {
            Page::List(page) => {
                let make =
                    || Value::from_serialize(list_context(&page.list, &self.chrome.base, language));
                let (renderer, value) = page.prepared.get_or_init(|| (self.id, make()));
                if *renderer == self.id {
                    value.clone()
                } else {
                    make()
                }
            }
            Page::Ticket(view) => Value::from_serialize(view),
            Page::Form(view) => Value::from_serialize(view),
            Page::Login(view) => Value::from_serialize(view),
            Page::Register(view) => Value::from_serialize(view),
            Page::PasswordReset(view) => Value::from_serialize(view),
            Page::Message(view) => Value::from_serialize(view),
            Page::KnowledgeBase(articles) => minijinja::context! { articles => articles },
            Page::Article(article) => minijinja::context! { article => article },
            Page::AccessDenied | Page::SignedOut => Value::from(()),
        };
        let (document_title, description) = self.title_and_description(page);
        minijinja::context! {
            template => page.template(),
            document_title => document_title,
            description => description,
            user => frame.viewer.as_ref().map(Value::from_serialize),
            csrf => frame.csrf.as_str(),
            page => data,
            ..self.chrome_value.clone()
        }
    }

    /// The page as HTML. A customised template that fails here is replaced by the shipped one, so a
    /// template mistake never blanks the portal.
    pub fn render(&self, page: &Page, frame: &Frame) -> String {
        self.render_reporting(page, frame).0
    }

    /// `render`, with the problem of a customised template that failed for this page (the preview
    /// shows it: a render over a `sandbox` bound may fail for one customer only).
    pub fn render_reporting(
        &self,
        page: &Page,
        frame: &Frame,
    ) -> (String, Option<TemplateProblem>) {
        let name = page.template();
        let context = self.context(page, frame);
        let mut failed = None;
        if let Some(environment) = &self.environment {
            // An override writes at most `sandbox::MAX_PAGE_BYTES`; the shipped templates are ours.
            match environment
                .get_template(name)
                .and_then(|template| sandbox::render_capped(&template, &context))
            {
                Ok(html) => return (html, None),
                Err(error) => {
                    tracing::warn!("template {name} failed, serving the shipped one: {error:#}");
                    if !self.problems.iter().any(|problem| problem.template == name) {
                        failed = Some(problem(name, &error));
                    }
                }
            }
        }
        let html = SHIPPED_PAGES
            .get_template(name)
            .and_then(|template| template.render(&context))
            .unwrap_or_else(|error| {
                tracing::error!("shipped template {name} failed: {error:#}");
                format!(
                    "<!doctype html><title>{0}</title><p>{0}</p>",
                    security::escape_html(i18n::text(&self.chrome.lang, "error.text"))
                )
            });
        (html, failed)
    }
}

/// Every page of the customer portal: what the server serves and what the designer previews. The admin
/// UI's page and template lists are generated from this enum (`ui/src/bindings/pages.ts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PageKind {
    List,
    Detail,
    Form,
    Login,
    Register,
    PasswordReset,
    AccessDenied,
    Logout,
    NotAvailable,
}

impl PageKind {
    pub const ALL: [PageKind; 9] = [
        PageKind::List,
        PageKind::Detail,
        PageKind::Form,
        PageKind::Login,
        PageKind::Register,
        PageKind::PasswordReset,
        PageKind::AccessDenied,
        PageKind::Logout,
        PageKind::NotAvailable,
    ];

    /// The template that renders this page (the designer's template editor key).
    pub fn template(self) -> &'static str {
        match self {
            PageKind::List => "list",
            PageKind::Detail => "detail",
            PageKind::Form => "form",
            PageKind::Login => "login",
            PageKind::Register => "register",
            PageKind::PasswordReset => "password_reset",
            PageKind::AccessDenied => "access_denied",
            PageKind::Logout => "logout",
            PageKind::NotAvailable => "message",
        }
    }

    /// The page's name in the admin UI.
    pub fn label(self) -> &'static str {
        match self {
            PageKind::List => "Ticket list",
            PageKind::Detail => "Ticket page",
            PageKind::Form => "Support form",
            PageKind::Login => "Login",
            PageKind::Register => "Register",
            PageKind::PasswordReset => "Password reset",
            PageKind::AccessDenied => "Access denied",
            PageKind::Logout => "Signed out",
            PageKind::NotAvailable => "Not available",
        }
    }

    /// `ui/src/bindings/pages.ts`: the pages and editable templates as the admin UI lists them. ts-rs
    /// exports types only, so the values are written here; `cargo test` keeps the file current and
    /// `./test` fails when the committed copy differs.
    pub fn typescript_lists() -> String {
        let mut out = String::from(
            "// Generated from site::render::PageKind and domain::settings::TEMPLATE_NAMES by `cargo test`.\n\
             // Do not edit this file manually.\n\
             import type { PageKind } from \"./PageKind\";\n\n\
             /** Every portal page, with its label and the template that renders it. */\n\
             export const PAGES: ReadonlyArray<{ id: PageKind; label: string; template: string }> = [\n",
        );
        for kind in PageKind::ALL {
            let id = serde_json::to_value(kind).expect("a unit variant");
            out.push_str(&format!(
                "  {{ id: {id}, label: {:?}, template: {:?} }},\n",
                kind.label(),
                kind.template()
            ));
        }
        out.push_str("];\n\n/** The templates a designer may override. */\nexport const TEMPLATE_NAMES: ReadonlyArray<string> = [\n");
        for name in crate::domain::settings::TEMPLATE_NAMES {
            out.push_str(&format!("  {name:?},\n"));
        }
        out.push_str("];\n");
        out
    }
}

fn sample_ticket(
    id: &str,
    subject: &str,
    open: bool,
    status: &str,
) -> crate::site::pages::TicketRow {
    crate::site::pages::TicketRow {
        id: id.into(),
        subject: subject.into(),
        status: status.into(),
        open,
        created_at: "2025-03-01T09:30:00Z".into(),
        last_activity_at: "2025-03-02T10:00:00Z".into(),
    }
}

/// Example data for a page kind, so the designer can show a page without a customer behind it.
pub fn sample_page(kind: PageKind, settings: &Settings, catalog: &Catalog) -> (Page, Frame) {
    let signed_in = Frame {
        viewer: Some(Viewer {
            name: "Ana Berg".into(),
            email: "ana@example.com".into(),
        }),
        csrf: "preview".into(),
    };
    let page = match kind {
        PageKind::List => {
            let rows = vec![
                sample_ticket("1002", "Printer offline", true, "Open"),
                sample_ticket("1001", "Invoice is wrong", false, "Closed"),
            ];
            Page::from(TicketList {
                views: vec![View::Organization, View::Mine],
                view: Some(View::Organization),
                matching: rows.len(),
                visible: rows.len(),
                rows,
                page: 1,
                pages: 1,
                query: ListQuery {
                    page: 1,
                    view: Some(View::Organization),
                    ..ListQuery::default()
                },
            })
        }
        PageKind::Detail => Page::Ticket(TicketView {
            ticket: TicketPage {
                id: "1002".into(),
                subject: "Printer offline".into(),
                description: "Since Monday the printer on floor 2 is offline.".into(),
                status: "Open".into(),
                open: true,
                can_close: settings.customers_close_tickets,
                priority: Some("HIGH".into()),
                created_at: "2025-03-01T09:30:00Z".into(),
                last_activity_at: "2025-03-02T10:00:00Z".into(),
                messages: vec![
                    crate::site::pages::MessageItem {
                        id: "m-1".into(),
                        incoming: true,
                        from: "ana@example.com".into(),
                        text: "The printer is offline again.".into(),
                        created_at: "2025-03-01T09:30:00Z".into(),
                        attachments: Vec::new(),
                    },
                    crate::site::pages::MessageItem {
                        id: "m-2".into(),
                        incoming: false,
                        from: "support@example.com".into(),
                        text: "Thanks, we are on it.".into(),
                        created_at: "2025-03-02T10:00:00Z".into(),
                        attachments: Vec::new(),
                    },
                ],
            },
            reply_text: String::new(),
            error: None,
            notice: None,
            max_mb: 20,
        }),
        PageKind::Form => Page::Form(form_view(settings, catalog, &BTreeMap::new(), None)),
        PageKind::Login => Page::Login(login_view(settings, "", None, None)),
        PageKind::Register => Page::Register(register_view(settings, "", false, false, None)),
        PageKind::PasswordReset => Page::PasswordReset(ResetView {
            stage: "request".into(),
            purpose: "password_reset".into(),
            email: String::new(),
            token: String::new(),
            action: String::new(),
            min_password: passwords::MIN_PASSWORD_LENGTH,
            error: None,
        }),
        PageKind::AccessDenied => Page::AccessDenied,
        PageKind::Logout => Page::SignedOut,
        PageKind::NotAvailable => Page::Message(MessageView::not_available()),
    };
    let frame = match kind {
        PageKind::List | PageKind::Detail | PageKind::Form => signed_in,
        _ => Frame {
            viewer: None,
            csrf: "preview".into(),
        },
    };
    (page, frame)
}

/// The login page's data under `settings`.
pub fn login_view(
    settings: &Settings,
    email: &str,
    error: Option<String>,
    notice: Option<String>,
) -> LoginView {
    LoginView {
        mode: login_mode(settings).into(),
        email: email.into(),
        error,
        notice,
        register_url: rules::registration_open(settings)
            .then(|| format!("/{}/register", settings.slug)),
    }
}

/// The registration page's data under `settings`.
pub fn register_view(
    settings: &Settings,
    email: &str,
    consent: bool,
    sent: bool,
    error: Option<String>,
) -> RegisterView {
    RegisterView {
        sent,
        email: email.into(),
        consent,
        consent_notice: settings.consent.notice.clone(),
        consent_label: settings.consent.checkbox_label.clone(),
        min_password: passwords::MIN_PASSWORD_LENGTH,
        error,
    }
}

/// The support form's page data; `None` when no usable form is connected.
pub fn form_view(
    settings: &Settings,
    catalog: &Catalog,
    values: &BTreeMap<String, String>,
    error: Option<String>,
) -> FormView {
    let form = settings
        .support_form
        .as_ref()
        .and_then(|support_form| catalog.form(&support_form.form));
    FormView {
        title: settings
            .support_form
            .as_ref()
            .map(|support_form| support_form.link_text.clone())
            .unwrap_or_default(),
        action: format!("/{}/new", settings.slug),
        fields: form
            .map(|form| {
                form.fields
                    .iter()
                    .map(|field| FormField {
                        name: field.name.clone(),
                        label: field.label.clone(),
                        required: field.required,
                        multiline: field.ticket_property == "content",
                        value: values.get(&field.name).cloned().unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        error,
    }
}

/// The result of a designer preview.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub html: String,
    /// Template overrides that failed; the page shows the shipped template in their place.
    pub problems: Vec<TemplateProblem>,
}

/// Renders one page with example data under `settings`, which need not be saved: the designer's preview.
/// Images are inline, so the HTML stands alone (e.g. in an iframe's srcdoc).
pub fn render_preview(settings: &Settings, catalog: &Catalog, kind: PageKind) -> Preview {
    let renderer = Renderer::new(settings, catalog, AssetMode::Inline);
    let (page, frame) = sample_page(kind, settings, catalog);
    Preview {
        html: renderer.render(&page, &frame),
        problems: check_templates(settings, catalog),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys in `t("…")`/`t('…')` calls of templates (the web routes check their own keys).
    fn used_keys(source: &str) -> Vec<String> {
        let mut keys = Vec::new();
        for opener in ["t(\"", "t('"] {
            for (at, _) in source.match_indices(opener) {
                // `get("…")` is not `t("…")`.
                let before = source[..at].chars().last().unwrap_or(' ');
                if before.is_alphanumeric() || before == '_' {
                    continue;
                }
                let rest = &source[at + opener.len()..];
                let end = rest.find(['"', '\'']).expect("a closing quote");
                keys.push(rest[..end].to_string());
            }
        }
        keys
    }

    #[test]
    fn a_list_page_kept_by_the_portal_follows_settings_saved_since_it_was_made() {
        let catalog = Catalog::default();
        let before = Settings::default();
        let after = Settings {
            slug: "hilfe".into(),
            language: "de".into(),
            ..Settings::default()
        };
        let (page, frame) = sample_page(PageKind::List, &before, &catalog);
        let html = |settings: &Settings| {
            Renderer::new(settings, &catalog, AssetMode::Inline).render(&page, &frame)
        };
        // The same page value, kept and served again after a save: the new renderer makes its own.
        // Links are HTML-escaped: "/" is "&#x2f;".
        let link = |slug: &str| format!("&#x2f;{slug}?view=mine");
        assert!(html(&before).contains(&link(&before.slug)));
        let saved = html(&after);
        assert!(saved.contains(&link("hilfe")), "links follow the new slug");
        assert!(!saved.contains(&link(&before.slug)));
        assert!(saved.contains("lang=\"de\""));
    }

    #[test]
    fn every_shipped_template_saved_unchanged_as_an_override_passes_the_sandbox() {
        // A designer starts from the shipped template: saving it unchanged must never be refused.
        for name in crate::domain::settings::TEMPLATE_NAMES {
            let source = shipped_template(name).expect("every overridable template is shipped");
            if let Err(refusal) = sandbox::check(name, source) {
                panic!("the shipped {name} template is refused: {refusal:?}");
            }
        }
    }

    #[test]
    fn every_string_the_portal_shows_has_an_english_text() {
        let english = i18n::keys("en");
        let mut checked = 0;
        for source in SHIPPED.iter().map(|(_, source)| *source) {
            for key in used_keys(source) {
                // message.html passes keys through page data (`t(page.heading)`), not literals.
                assert!(english.contains(&key), "missing translation key {key}");
                checked += 1;
            }
        }
        assert!(
            checked > 80,
            "found only {checked} keys: the scan is broken"
        );
        for view in [
            MessageView::not_found(),
            MessageView::not_available(),
            MessageView::new("form_expired.heading", "form_expired.text"),
            MessageView::new("error.heading", "error.text"),
        ] {
            for key in [view.heading, view.text, view.link_label] {
                assert!(key.is_empty() || english.contains(&key), "missing {key}");
            }
        }
    }

    fn list_problem(template: &str) -> String {
        let mut settings = Settings::default();
        settings.templates.insert("list".into(), template.into());
        let problems = check_templates(&settings, &Catalog::default());
        let problem = problems
            .iter()
            .find(|problem| problem.template == "list")
            .unwrap_or_else(|| panic!("{template} passes the check"));
        problem.message.clone()
    }

    #[test]
    fn an_override_that_writes_a_page_over_the_bound_fails_saying_so() {
        // 100,000 lines of 100 bytes: 10 MB, far below the fuel limit.
        let message = list_problem("{% for i in range(100000) %}{{ 'x' * 100 }}\n{% endfor %}");
        assert!(message.contains("larger than 8 MB"), "{message}");
    }

    #[test]
    fn filters_that_make_lists_stop_at_the_item_bound() {
        let message =
            list_problem("{{ ('x' * 100)|replace('x', 'abcdefghijk' * 100)|list|length }}");
        assert!(
            message.starts_with("`list` would make a list of more than"),
            "{message}"
        );
        let message = list_problem(
            "{{ (('x ' * 100)|replace('x', 'x x x x x x x x x x x x ' * 100)|split)|length }}",
        );
        assert!(message.starts_with("`split` would make"), "{message}");
    }

    #[test]
    fn filters_that_lengthen_text_stop_at_the_value_bound() {
        let message = list_problem("{{ range(100000)|join('x' * 100) }}");
        assert!(
            message.starts_with("`join` would make a text longer than"),
            "{message}"
        );
        let message = list_problem(
            "{{ ('x' * 100)|replace('x', 'y' * 100)|replace('y', 'z' * 100)|replace('z', 'w' * 100) }}",
        );
        assert!(message.starts_with("`replace` would make"), "{message}");
    }

    #[test]
    fn every_page_previews_with_draft_settings_in_every_language() {
        let mut settings = Settings {
            page_title: "Draft <b>title</b>".into(),
            ..Settings::default()
        };
        settings.branding.primary_color = "#aa0000".into();
        for language in i18n::languages() {
            settings.language = language.into();
            for kind in PageKind::ALL {
                let preview = render_preview(&settings, &Catalog::default(), kind);
                assert!(
                    preview.problems.is_empty(),
                    "{kind:?}: {:?}",
                    preview.problems
                );
                assert!(
                    preview.html.contains("Draft &lt;b&gt;title&lt;&#x2f;b&gt;"),
                    "{kind:?}"
                );
                assert!(preview.html.contains("--primary: #aa0000"), "{kind:?}");
                assert!(
                    !preview.html.contains("layout."),
                    "{kind:?}: an untranslated key"
                );
            }
        }
    }

    #[test]
    fn template_problems_name_the_template_and_line() {
        let mut settings = Settings::default();
        settings
            .templates
            .insert("detail".into(), "line one\n{% if %}".into());
        let problems = check_templates(&settings, &Catalog::default());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].template, "detail");
        assert_eq!(problems[0].line, Some(2));
    }

    #[test]
    fn addresses_in_text_become_links_and_nothing_else_does() {
        let html = linkify(
            "See https://acme.example/privacy. <b>x</b> \"http://a.example/?q=1&r=2\"".into(),
        );
        assert_eq!(
            html.to_string(),
            "See <a href=\"https:&#x2f;&#x2f;acme.example&#x2f;privacy\" rel=\"noopener noreferrer nofollow\">\
             https:&#x2f;&#x2f;acme.example&#x2f;privacy</a>. &lt;b&gt;x&lt;&#x2f;b&gt; &quot;\
             <a href=\"http:&#x2f;&#x2f;a.example&#x2f;?q=1&amp;r=2\" rel=\"noopener noreferrer nofollow\">\
             http:&#x2f;&#x2f;a.example&#x2f;?q=1&amp;r=2</a>&quot;"
        );
        assert_eq!(
            linkify("javascript:alert(1)".into()).to_string(),
            "javascript:alert(1)"
        );
    }

    #[test]
    fn a_theme_cannot_close_the_style_block() {
        let mut settings = Settings::default();
        settings.templates.insert(
            "theme".into(),
            "body{}</style><script>alert(1)</script>".into(),
        );
        settings.branding.font_family = "x;}</style><script>".into();
        let html = render_preview(&settings, &Catalog::default(), PageKind::Login).html;
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn the_ui_page_lists_are_generated_from_page_kind() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/bindings/pages.ts");
        let lists = PageKind::typescript_lists();
        // Every page is listed once, so the previewer offers every page the portal serves.
        for kind in PageKind::ALL {
            assert!(lists.contains(&format!("label: {:?}", kind.label())));
        }
        if std::fs::read_to_string(&path).ok().as_deref() != Some(lists.as_str()) {
            std::fs::write(&path, lists).expect("write ui/src/bindings/pages.ts");
        }
    }
}
