//! The portal's settings (spec section 1): one typed document with its defaults, its validation against
//! the workspace's data, the setup checklist that gates the enable switch, and edits by dotted key path.
//! Validation returns every problem at once, each tied to the field it belongs to, so an editor can show
//! the message next to the field and a command line can print them all.

use crate::domain::model::Catalog;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

pub const SHIPPED_LANGUAGES: [&str; 5] = ["en", "de", "es", "fi", "ko"];
/// Editable pages: `theme` holds the styles shared by the list, detail and form pages.
pub const TEMPLATE_NAMES: [&str; 9] = [
    "theme",
    "list",
    "detail",
    "form",
    "register",
    "login",
    "logout",
    "access_denied",
    "password_reset",
];
pub const SYSTEM_DOMAIN_SUFFIXES: [&str; 3] = [
    ".hs-sites.com",
    ".hubspotpagebuilder.com",
    ".portal.invalid",
];
pub const BUILT_IN_TICKET_PROPERTIES: [&str; 7] = [
    "pipeline", "stage", "priority", "category", "source", "subject", "content",
];
pub const DEFAULT_CONSENT_NOTICE: &str =
    "We use the information you give us to answer your support requests.";
pub const DEFAULT_CONSENT_CHECKBOX: &str = "I agree to the processing of my data";
pub const DEFAULT_FORM_LINK_TEXT: &str = "Submit a support ticket";
/// Logos and favicons are embedded in every page's settings; keep them small.
pub const MAX_IMAGE_BYTES: usize = 512 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields, default)]
#[ts(export)]
pub struct Settings {
    pub page_title: String,
    pub slug: String,
    pub domain: Option<String>,
    pub language: String,
    pub access: Access,
    pub sso: Option<SsoConfiguration>,
    pub consent: Consent,
    pub ticket_filters: Vec<TicketFilter>,
    pub ticket_permissions: TicketPermissions,
    pub thread_shown: ThreadShown,
    pub default_inbox: Option<String>,
    pub status_display: StatusDisplay,
    pub support_form: Option<SupportForm>,
    pub navigation_menu: Option<String>,
    pub knowledge_base_link: bool,
    pub branding: Branding,
    /// Template overrides by page name; a page without an entry uses the shipped default.
    pub templates: BTreeMap<String, String>,
    pub idle_timeout_minutes: u32,
    pub enabled: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            page_title: "Customer portal".into(),
            slug: "tickets".into(),
            domain: None,
            language: "en".into(),
            access: Access::default(),
            sso: None,
            consent: Consent::default(),
            ticket_filters: Vec::new(),
            ticket_permissions: TicketPermissions::Contact,
            thread_shown: ThreadShown::MostRecent,
            default_inbox: None,
            status_display: StatusDisplay::OpenClosed,
            support_form: None,
            navigation_menu: None,
            knowledge_base_link: false,
            branding: Branding::default(),
            templates: BTreeMap::new(),
            idle_timeout_minutes: 60,
            enabled: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AccessMode {
    SelfRegistration,
    Lists,
    SsoAll,
    SsoLists,
}

impl AccessMode {
    pub fn uses_lists(self) -> bool {
        matches!(self, AccessMode::Lists | AccessMode::SsoLists)
    }
    pub fn uses_sso(self) -> bool {
        matches!(self, AccessMode::SsoAll | AccessMode::SsoLists)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Access {
    pub mode: AccessMode,
    #[serde(default)]
    pub lists: Vec<String>,
}

impl Default for Access {
    fn default() -> Self {
        Access {
            mode: AccessMode::Lists,
            lists: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum SsoConfiguration {
    Jwt {
        algorithm: JwtAlgorithm,
        /// HS256 shared secret. Never exported.
        #[serde(default)]
        secret: Option<String>,
        /// RS256 public key (PEM).
        #[serde(default)]
        public_key: Option<String>,
        issuer: String,
        audience: String,
        #[serde(default = "default_email_claim")]
        email_claim: String,
    },
    Saml {
        entity_id: String,
        sso_url: String,
        certificate: String,
    },
}

fn default_email_claim() -> String {
    "email".into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub enum JwtAlgorithm {
    HS256,
    RS256,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Consent {
    pub notice: String,
    pub checkbox_label: String,
}

impl Default for Consent {
    fn default() -> Self {
        Consent {
            notice: DEFAULT_CONSENT_NOTICE.into(),
            checkbox_label: DEFAULT_CONSENT_CHECKBOX.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FilterOperator {
    IsAnyOf,
    IsNoneOf,
    IsKnown,
    IsUnknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct TicketFilter {
    pub property: String,
    pub operator: FilterOperator,
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum TicketPermissions {
    Contact,
    Company,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ThreadShown {
    MostRecent,
    Original,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum StatusDisplay {
    OpenClosed,
    PipelineStages,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct SupportForm {
    pub form: String,
    #[serde(default = "default_link_text")]
    pub link_text: String,
}

fn default_link_text() -> String {
    DEFAULT_FORM_LINK_TEXT.into()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields, default)]
#[ts(export)]
pub struct Branding {
    pub primary_color: String,
    pub secondary_color: String,
    pub font_family: String,
    pub logo: Option<Image>,
    pub favicon: Option<Image>,
}

impl Default for Branding {
    fn default() -> Self {
        Branding {
            primary_color: "#2f5fd0".into(),
            secondary_color: "#1f2937".into(),
            font_family: "system-ui, sans-serif".into(),
            logo: None,
            favicon: None,
        }
    }
}

/// An uploaded image, carried inline like an attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Image {
    pub name: String,
    pub content_type: String,
    pub data_base64: String,
}

/// One validation problem, tied to the dotted path of the field it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}: {}", self.field, self.message)
    }
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// Why a host name is not acceptable as the portal's domain, if it is not.
pub fn domain_problem(domain: &str) -> Option<String> {
    let domain = domain.trim_end_matches('.');
    let lower = domain.to_ascii_lowercase();
    if domain.is_empty() {
        return Some("enter the host name the portal is published on".into());
    }
    if domain.len() > 253 {
        return Some("a host name has at most 253 characters".into());
    }
    let labels: Vec<&str> = lower.split('.').collect();
    if labels.len() < 2 {
        return Some(format!(
            "\"{domain}\" is not a full host name (e.g. support.example.com)"
        ));
    }
    for label in &labels {
        let valid = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !valid {
            return Some(format!("\"{domain}\" is not a valid host name"));
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Some(format!("\"{domain}\" is an address, not a host name"));
    }
    if let Some(suffix) = SYSTEM_DOMAIN_SUFFIXES
        .iter()
        .find(|suffix| lower.ends_with(*suffix) || lower == suffix[1..])
    {
        return Some(format!(
            "the system domain (*{suffix}) cannot host the portal: connect your own domain"
        ));
    }
    None
}

fn is_valid_color(color: &str) -> bool {
    color.len() == 7 && color.starts_with('#') && color[1..].chars().all(|c| c.is_ascii_hexdigit())
}

fn is_valid_menu_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return url.len() > lower.find("//").unwrap_or(0) + 2;
    }
    // Relative URLs: no scheme at all (a colon before any slash would be one, e.g. javascript:).
    let before_slash = url.split('/').next().unwrap_or("");
    !url.is_empty() && !before_slash.contains(':') && !url.starts_with("//")
}

pub fn menu_url_problem(url: &str) -> Option<String> {
    (!is_valid_menu_url(url)).then(|| format!("\"{url}\" must be an http(s) or relative URL"))
}

fn image_problems(field: &str, image: &Image, problems: &mut Vec<FieldError>) {
    use base64::Engine;
    const ALLOWED: [&str; 5] = [
        "image/png",
        "image/svg+xml",
        "image/x-icon",
        "image/vnd.microsoft.icon",
        "image/ico",
    ];
    if !ALLOWED.contains(&image.content_type.as_str()) {
        problems.push(problem(
            field,
            format!(
                "{} is not allowed: upload a PNG, SVG or ICO image",
                image.content_type
            ),
        ));
    }
    match base64::engine::general_purpose::STANDARD.decode(&image.data_base64) {
        Ok(bytes) if bytes.len() > MAX_IMAGE_BYTES => problems.push(problem(
            field,
            format!(
                "the image has {} KB; the limit is {} KB",
                bytes.len() / 1024,
                MAX_IMAGE_BYTES / 1024
            ),
        )),
        Ok(_) => {}
        Err(_) => problems.push(problem(field, "the image data is not valid base64")),
    }
}

/// Every problem with these settings against this workspace's data. Empty means the settings can be saved.
/// The enable switch is checked here too: `enabled: true` needs a passing checklist.
pub fn validate(settings: &Settings, catalog: &Catalog) -> Vec<FieldError> {
    let mut problems = Vec::new();
    let title_length = settings.page_title.chars().count();
    if settings.page_title.trim().is_empty() || title_length > 120 {
        problems.push(problem(
            "page_title",
            format!("the page title needs 1 to 120 characters (it has {title_length})"),
        ));
    }
    let slug_valid = !settings.slug.is_empty()
        && settings.slug.len() <= 64
        && settings
            .slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !slug_valid {
        problems.push(problem(
            "slug",
            "the URL slug needs 1 to 64 lowercase letters, digits or '-'",
        ));
    }
    if let Some(domain) = &settings.domain {
        if let Some(message) = domain_problem(domain) {
            problems.push(problem("domain", message));
        }
    }
    if !SHIPPED_LANGUAGES.contains(&settings.language.as_str()) {
        problems.push(problem(
            "language",
            format!(
                "\"{}\" is not a shipped language ({})",
                settings.language,
                SHIPPED_LANGUAGES.join(", ")
            ),
        ));
    }
    // The default settings are `lists` with no list chosen (nobody gets in yet): that may be saved, but
    // the checklist fails, so such a portal cannot be enabled.
    if settings.enabled && settings.access.mode.uses_lists() && settings.access.lists.is_empty() {
        problems.push(problem(
            "access.lists",
            "choose at least one list whose contacts may use the portal",
        ));
    }
    for (index, list) in settings.access.lists.iter().enumerate() {
        if catalog.list(list).is_none() {
            problems.push(problem(
                format!("access.lists[{index}]"),
                format!("unknown list \"{list}\""),
            ));
        }
    }
    if settings.access.mode.uses_sso() && settings.sso.is_none() {
        problems.push(problem(
            "sso",
            "single sign-on access needs an SSO configuration",
        ));
    }
    if let Some(sso) = &settings.sso {
        sso_problems(sso, &mut problems);
    }
    if settings.access.mode == AccessMode::SelfRegistration {
        if settings.consent.notice.trim().is_empty() {
            problems.push(problem(
                "consent.notice",
                "self-registration needs a consent notice",
            ));
        }
        if settings.consent.checkbox_label.trim().is_empty() {
            problems.push(problem(
                "consent.checkbox_label",
                "self-registration needs a consent checkbox label",
            ));
        }
    }
    for (index, filter) in settings.ticket_filters.iter().enumerate() {
        filter_problems(index, filter, catalog, &mut problems);
    }
    if let Some(inbox) = &settings.default_inbox {
        if catalog.inbox(inbox).is_none() {
            problems.push(problem(
                "default_inbox",
                format!("unknown inbox \"{inbox}\""),
            ));
        }
    }
    if let Some(support_form) = &settings.support_form {
        support_form_problems(support_form, catalog, &mut problems);
    }
    if let Some(menu) = &settings.navigation_menu {
        match catalog.menu(menu) {
            None => problems.push(problem(
                "navigation_menu",
                format!("unknown menu \"{menu}\""),
            )),
            Some(menu) => {
                for item in &menu.items {
                    if let Some(message) = menu_url_problem(&item.url) {
                        problems.push(problem("navigation_menu", message));
                    }
                }
            }
        }
    }
    if settings.knowledge_base_link && !catalog.has_published_article() {
        problems.push(problem(
            "knowledge_base_link",
            "the knowledge base has no published article yet",
        ));
    }
    if !is_valid_color(&settings.branding.primary_color) {
        problems.push(problem(
            "branding.primary_color",
            format!(
                "\"{}\" is not a colour of the form #rrggbb",
                settings.branding.primary_color
            ),
        ));
    }
    if !is_valid_color(&settings.branding.secondary_color) {
        problems.push(problem(
            "branding.secondary_color",
            format!(
                "\"{}\" is not a colour of the form #rrggbb",
                settings.branding.secondary_color
            ),
        ));
    }
    if settings.branding.font_family.len() > 200
        || settings
            .branding
            .font_family
            .chars()
            .any(|c| matches!(c, ';' | '{' | '}' | '<' | '>'))
    {
        problems.push(problem(
            "branding.font_family",
            "a font family is a list of font names separated by commas",
        ));
    }
    if let Some(logo) = &settings.branding.logo {
        image_problems("branding.logo", logo, &mut problems);
    }
    if let Some(favicon) = &settings.branding.favicon {
        image_problems("branding.favicon", favicon, &mut problems);
    }
    for name in settings.templates.keys() {
        if !TEMPLATE_NAMES.contains(&name.as_str()) {
            problems.push(problem(
                format!("templates.{name}"),
                format!(
                    "unknown template \"{name}\" (templates: {})",
                    TEMPLATE_NAMES.join(", ")
                ),
            ));
        }
    }
    let timeout = settings.idle_timeout_minutes;
    if timeout != 0 && !(5..=10080).contains(&timeout) {
        problems.push(problem(
            "idle_timeout_minutes",
            "the idle timeout is 5 to 10080 minutes, or 0 for never",
        ));
    }
    if settings.enabled {
        let failing: Vec<String> = checklist(settings, catalog)
            .into_iter()
            .filter(|item| !item.passed)
            .map(|item| item.message)
            .collect();
        if !failing.is_empty() {
            problems.push(problem(
                "enabled",
                format!(
                    "the portal cannot be enabled until the setup checklist passes: {}",
                    failing.join("; ")
                ),
            ));
        }
    }
    problems
}

fn sso_problems(sso: &SsoConfiguration, problems: &mut Vec<FieldError>) {
    match sso {
        SsoConfiguration::Jwt {
            algorithm,
            secret,
            public_key,
            issuer,
            audience,
            email_claim,
        } => {
            match algorithm {
                JwtAlgorithm::HS256 => {
                    if secret.as_deref().is_some_and(|secret| secret.len() < 16) {
                        problems.push(problem(
                            "sso.secret",
                            "an HS256 shared secret needs at least 16 characters",
                        ));
                    }
                }
                JwtAlgorithm::RS256 => {
                    let pem_ok = public_key.as_deref().is_some_and(|key| {
                        key.contains("-----BEGIN PUBLIC KEY-----")
                            || key.contains("-----BEGIN RSA PUBLIC KEY-----")
                    });
                    if !pem_ok {
                        problems.push(problem(
                            "sso.public_key",
                            "RS256 needs the identity provider's public key in PEM form",
                        ));
                    }
                }
            }
            if issuer.trim().is_empty() {
                problems.push(problem("sso.issuer", "enter the token issuer"));
            }
            if audience.trim().is_empty() {
                problems.push(problem("sso.audience", "enter the token audience"));
            }
            if email_claim.trim().is_empty() {
                problems.push(problem(
                    "sso.email_claim",
                    "enter the claim that holds the email address",
                ));
            }
        }
        SsoConfiguration::Saml {
            entity_id,
            sso_url,
            certificate,
        } => {
            if entity_id.trim().is_empty() {
                problems.push(problem(
                    "sso.entity_id",
                    "enter the identity provider's entity id",
                ));
            }
            if !sso_url.starts_with("https://") && !sso_url.starts_with("http://") {
                problems.push(problem("sso.sso_url", "the SSO URL must be an http(s) URL"));
            }
            if !certificate.contains("-----BEGIN CERTIFICATE-----") {
                problems.push(problem(
                    "sso.certificate",
                    "paste the identity provider's certificate in PEM form",
                ));
            }
        }
    }
}

fn filter_problems(
    index: usize,
    filter: &TicketFilter,
    catalog: &Catalog,
    problems: &mut Vec<FieldError>,
) {
    let field = format!("ticket_filters[{index}]");
    let property = filter.property.as_str();
    let known = BUILT_IN_TICKET_PROPERTIES.contains(&property)
        || catalog
            .custom_properties
            .iter()
            .any(|name| name == property);
    if !known {
        problems.push(problem(
            format!("{field}.property"),
            format!("unknown ticket property \"{property}\""),
        ));
    }
    let takes_values = matches!(
        filter.operator,
        FilterOperator::IsAnyOf | FilterOperator::IsNoneOf
    );
    if takes_values && filter.values.is_empty() {
        problems.push(problem(
            format!("{field}.values"),
            "choose at least one value",
        ));
    }
    if !takes_values && !filter.values.is_empty() {
        problems.push(problem(
            format!("{field}.values"),
            "is known / is unknown take no values",
        ));
    }
    for (value_index, value) in filter.values.iter().enumerate() {
        let unknown = match property {
            "pipeline" => catalog.pipeline(value).is_none(),
            "stage" => catalog.any_stage(value).is_none(),
            _ => false,
        };
        if unknown {
            problems.push(problem(
                format!("{field}.values[{value_index}]"),
                format!("unknown {property} \"{value}\""),
            ));
        }
    }
}

fn support_form_problems(
    support_form: &SupportForm,
    catalog: &Catalog,
    problems: &mut Vec<FieldError>,
) {
    match catalog.form(&support_form.form) {
        None => problems.push(problem(
            "support_form.form",
            format!("unknown form \"{}\"", support_form.form),
        )),
        Some(form) => {
            if form.inbox.is_none() {
                problems.push(problem(
                    "support_form.form",
                    format!("form \"{}\" is not connected to an inbox", form.name),
                ));
            }
            let has_ticket_property = form
                .fields
                .iter()
                .any(|field| !field.ticket_property.is_empty());
            if !has_ticket_property {
                problems.push(problem(
                    "support_form.form",
                    format!("form \"{}\" has no ticket properties", form.name),
                ));
            }
        }
    }
    if support_form.link_text.trim().is_empty() {
        problems.push(problem(
            "support_form.link_text",
            "enter the text of the menu link",
        ));
    }
}

/// One line of the setup checklist (spec section 1, "enabled").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ChecklistItem {
    pub key: String,
    pub label: String,
    pub passed: bool,
    pub message: String,
}

/// What must hold before the portal can be enabled: a valid own domain, access configured, consent set for
/// self-registration, and a default inbox.
pub fn checklist(settings: &Settings, catalog: &Catalog) -> Vec<ChecklistItem> {
    let mut items = Vec::new();
    let domain = match &settings.domain {
        None => Err("no domain is set".to_string()),
        Some(domain) => match domain_problem(domain) {
            Some(message) => Err(format!("domain: {message}")),
            None => Ok(format!("published on {domain}")),
        },
    };
    items.push(item("domain", "Domain", domain));

    let access = match settings.access.mode {
        AccessMode::SelfRegistration => Ok("anyone may register".to_string()),
        mode => {
            let mut result = Ok(String::new());
            if mode.uses_lists() {
                let known: Vec<&str> = settings
                    .access
                    .lists
                    .iter()
                    .filter_map(|id| catalog.list(id).map(|list| list.name.as_str()))
                    .collect();
                result = if settings.access.lists.is_empty() {
                    Err("no access list is chosen".to_string())
                } else if known.len() != settings.access.lists.len() {
                    Err("an access list does not exist".to_string())
                } else {
                    Ok(format!("members of {}", known.join(", ")))
                };
            }
            if mode.uses_sso() {
                let sso_ok = match &settings.sso {
                    None => Err("single sign-on is not configured".to_string()),
                    Some(SsoConfiguration::Saml { .. }) => Err(
                        "SAML sign-in is not yet supported: configure a JWT identity provider"
                            .to_string(),
                    ),
                    Some(SsoConfiguration::Jwt {
                        algorithm: JwtAlgorithm::HS256,
                        secret: None,
                        ..
                    }) => Err("the SSO shared secret is not set".to_string()),
                    Some(_) => Ok("single sign-on configured".to_string()),
                };
                result = match (result, sso_ok) {
                    (Err(message), _) | (_, Err(message)) => Err(message),
                    (Ok(lists), Ok(sso)) if lists.is_empty() => Ok(sso),
                    (Ok(lists), Ok(sso)) => Ok(format!("{sso}; {lists}")),
                };
            }
            result
        }
    };
    items.push(item("access", "Access", access));

    if settings.access.mode == AccessMode::SelfRegistration {
        let consent = if settings.consent.notice.trim().is_empty()
            || settings.consent.checkbox_label.trim().is_empty()
        {
            Err("self-registration needs a consent notice and checkbox label".to_string())
        } else {
            Ok("consent notice set".to_string())
        };
        items.push(item("consent", "Consent", consent));
    }

    let inbox = match &settings.default_inbox {
        None => Err("no default inbox is set".to_string()),
        Some(id) => match catalog.inbox(id) {
            None => Err(format!("default inbox \"{id}\" does not exist")),
            Some(inbox) => Ok(format!("replies go to {}", inbox.name)),
        },
    };
    items.push(item("default_inbox", "Default inbox", inbox));
    items
}

fn item(key: &str, label: &str, outcome: Result<String, String>) -> ChecklistItem {
    let passed = outcome.is_ok();
    ChecklistItem {
        key: key.into(),
        label: label.into(),
        passed,
        message: match outcome {
            Ok(message) | Err(message) => message,
        },
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EditError {
    #[error("unknown setting \"{0}\"")]
    UnknownKey(String),
    #[error("{key}: {message}")]
    BadValue { key: String, message: String },
}

/// Returns settings with the value at the dotted `key` replaced. `value` is read as JSON when it parses
/// (numbers, booleans, null, lists, objects) and as a plain string otherwise, so `page_title "My portal"`
/// and `page_title My portal` both work. Validation against the data is the caller's next step.
pub fn with_value(settings: &Settings, key: &str, value: &str) -> Result<Settings, EditError> {
    let parsed: serde_json::Value = serde_json::from_str(value)
        .unwrap_or_else(|_| serde_json::Value::String(value.to_string()));
    let mut document = serde_json::to_value(settings).expect("settings serialise");
    let mut slot = &mut document;
    let parts: Vec<&str> = key.split('.').collect();
    for (depth, part) in parts.iter().enumerate() {
        let last = depth + 1 == parts.len();
        let object = match slot {
            serde_json::Value::Object(object) => object,
            serde_json::Value::Null if parts[0] == "templates" || parts[0] == "sso" => {
                *slot = serde_json::Value::Object(Default::default());
                slot.as_object_mut().expect("just made an object")
            }
            _ => return Err(EditError::UnknownKey(key.into())),
        };
        // Templates are a map: any of the known names may be added.
        let may_add = parts[0] == "templates" || parts[0] == "sso";
        if !object.contains_key(*part) && !may_add {
            return Err(EditError::UnknownKey(key.into()));
        }
        if last {
            object.insert(part.to_string(), parsed.clone());
            break;
        }
        slot = object
            .entry(part.to_string())
            .or_insert(serde_json::Value::Null);
    }
    serde_json::from_value(document).map_err(|error| EditError::BadValue {
        key: key.into(),
        message: error.to_string(),
    })
}

/// One changed field between two settings documents, for history and what-if summaries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SettingChange {
    pub key: String,
    #[ts(type = "unknown")]
    pub before: serde_json::Value,
    #[ts(type = "unknown")]
    pub after: serde_json::Value,
}

/// The top-level fields that differ (nested documents such as branding are compared one level down).
pub fn diff(before: &Settings, after: &Settings) -> Vec<SettingChange> {
    let before = serde_json::to_value(before).expect("settings serialise");
    let after = serde_json::to_value(after).expect("settings serialise");
    let mut changes = Vec::new();
    if let (Some(before), Some(after)) = (before.as_object(), after.as_object()) {
        for (key, old) in before {
            let new = &after[key];
            if old == new {
                continue;
            }
            match (old, new) {
                (serde_json::Value::Object(old_fields), serde_json::Value::Object(new_fields))
                    if key == "branding" || key == "access" || key == "consent" =>
                {
                    for (field, old_value) in old_fields {
                        let new_value = new_fields
                            .get(field)
                            .cloned()
                            .unwrap_or(serde_json::Value::Null);
                        if *old_value != new_value {
                            changes.push(SettingChange {
                                key: format!("{key}.{field}"),
                                before: old_value.clone(),
                                after: new_value,
                            });
                        }
                    }
                }
                _ => changes.push(SettingChange {
                    key: key.clone(),
                    before: old.clone(),
                    after: new.clone(),
                }),
            }
        }
    }
    changes
}

/// The settings as exported: identical but for secrets.
pub fn without_secrets(settings: &Settings) -> Settings {
    let mut settings = settings.clone();
    if let Some(SsoConfiguration::Jwt { secret, .. }) = &mut settings.sso {
        *secret = None;
    }
    settings
}
