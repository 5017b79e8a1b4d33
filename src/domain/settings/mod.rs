//! The portal's settings (spec section 1): one typed document with its defaults, its validation against
//! the workspace's data, the setup checklist that gates the enable switch, and edits by dotted key path.
//! Validation returns every problem at once, each tied to the field it belongs to, so an editor can show
//! the message next to the field and a command line can print them all.

mod checklist;
mod edit;
mod validate;

pub use checklist::{checklist, leak_lint_warning, ChecklistItem, ChecklistWarning};
pub use edit::{
    diff, for_bundle, is_secret_marker, restore_secret, secret_marker, shown_diff,
    with_secrets_fingerprinted, with_value, without_secrets, EditError, FingerprintKey,
    SecretNotKept, SettingChange,
};
pub use validate::{domain_problem, image_problems, menu_url_problem, validate};

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
/// Contact properties a company view rule may test besides the workspace's custom ones (10.1).
pub const BUILT_IN_CONTACT_PROPERTIES: [&str; 4] = ["email", "first_name", "last_name", "language"];
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
    /// Rules on contact properties a contact must all match to get the company view (10.1); the same
    /// shape and operators as ticket filters. None: every contact with a company in scope qualifies.
    pub company_view_rules: Vec<TicketFilter>,
    /// Which of a contact's companies the company view spans (10.1).
    pub company_scope: CompanyScope,
    /// Whether contacts CC'd on a ticket see it like an own ticket (10.2).
    pub cc_see_tickets: bool,
    /// Whether customers may close their open tickets from the portal (10.3).
    pub customers_close_tickets: bool,
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
            company_view_rules: Vec::new(),
            company_scope: CompanyScope::Primary,
            cc_see_tickets: false,
            customers_close_tickets: false,
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

/// Which of a contact's companies the company view spans (portal-rules.md 10.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CompanyScope {
    /// The primary company only.
    Primary,
    /// Every company the contact is associated with, primary or not.
    Associated,
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
