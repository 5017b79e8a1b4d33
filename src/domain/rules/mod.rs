//! The portal's decisions, as pure functions over plain data: who may sign in (`access`), which tickets a
//! contact sees in which view (`visibility`), who gets the company view over which companies
//! (`company`), whether a customer may close a ticket (`close`), which conversation a ticket shows and
//! which of its messages (`threads`), how a status reads (`status`), the whole picture for one contact
//! (`view`), and what the portal offers a visitor (`portal`: registration, the knowledge base). Nothing here does I/O, so the
//! command line, the live portal and the desktop app's what-if all call the same code with whatever
//! settings they want to try, and every decision carries the reason a person can read.

pub mod access;
pub mod close;
pub mod company;
pub mod lint;
pub mod portal;
pub mod status;
pub mod threads;
pub mod view;
pub mod visibility;

pub use access::{may_sign_in, AccessDecision};
pub use close::{close, CloseDecision};
pub use company::{
    associated_companies, companies_in_scope, company_view, contact_rule_failure,
    contact_rule_passes, describe_contact_rule, has_company_view, CompanyViewDecision,
    ContactCompanies,
};
pub use portal::{knowledge_base_shown, registration_open};
pub use status::{is_open, status_label};
pub use threads::{
    choose_among, choose_thread, shown_messages, shown_thread_id, ThreadActivity, ThreadChoice,
};
pub use view::{view_as, ContactView, HiddenItem, ShownMessage, ShownThread, VisibleTicket};
pub use visibility::{
    available_views, effective_view, in_view, in_view_of, passes_filters, ticket_decision,
    ticket_visible, TicketDecision, View,
};
