//! The engine's one error type: the command line, the HTTP handlers and the desktop commands each map it
//! once, at their border.

use crate::app::accounts::AccountError;
use crate::app::conversations::ConversationError;
use crate::app::customer::PageError;
use crate::app::preview::TemplateError;
use crate::bundle::BundleError;
use crate::domain::settings::{EditError, FieldError};
use crate::storage::StorageError;

/// Errors at the engine's border; the CLI, HTTP handlers and Tauri commands each map these once.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("{0}")]
    Bundle(#[from] BundleError),
    #[error("invalid settings:\n{}", .0.iter().map(|problem| format!("  {problem}")).collect::<Vec<_>>().join("\n"))]
    InvalidSettings(Vec<FieldError>),
    /// Settings whose template overrides do not compile or render are never saved: the live portal only
    /// ever serves templates that render.
    #[error("not saved: {}", .0.iter().map(TemplateError::refusal).collect::<Vec<_>>().join("; "))]
    TemplatesDoNotCompile(Vec<TemplateError>),
    #[error(transparent)]
    Edit(#[from] EditError),
    /// A customer's sign-in, registration or password change was refused.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// A customer's reply or support-form submission was refused.
    #[error(transparent)]
    Conversation(#[from] ConversationError),
    /// A customer is not shown a page.
    #[error(transparent)]
    Page(#[from] PageError),
    #[error("no contact with the email {0}")]
    UnknownContact(String),
    #[error("the portal server could not start: {0}")]
    Serve(String),
    #[error("could not read or write {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
