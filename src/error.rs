//! The engine's one error type: the command line, the HTTP handlers and the desktop commands each map it
//! once, at their border.

use crate::app::accounts::AccountError;
use crate::app::conversations::ConversationError;
use crate::app::customer::PageError;
use crate::app::preview::TemplateError;
use crate::app::pull::PullError;
use crate::bundle::BundleError;
use crate::domain::settings::{EditError, FieldError};
use crate::storage::StorageError;
use crate::vendor::VendorError;

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
    /// The help desk vendor refused or failed a pull's request.
    #[error(transparent)]
    Vendor(#[from] VendorError),
    /// A pull could not start or go on.
    #[error(transparent)]
    Pull(#[from] PullError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which way an `Error` failed, for a front end that reacts to the kind of a failure (the desktop UI
/// switches on it) and never to its message text, which is for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ErrorKind {
    /// The file exists but is not a Portal Studio workspace (it was left untouched).
    NotAWorkspace,
    /// The file is a workspace written by a newer Portal Studio.
    NewerVersion,
    /// The file does not exist.
    Missing,
    /// The target workspace already holds data and replacing it was not asked for.
    NotEmpty,
    /// The request contradicts the workspace's current state (e.g. nothing to undo).
    Conflict,
    /// The database failed, could not be migrated, or holds damaged data.
    Storage,
    /// A file could not be read or written.
    Io,
    /// A bundle is malformed or inconsistent.
    Bundle,
    /// Settings that fail validation.
    InvalidSettings,
    /// Settings whose template overrides do not compile or render.
    TemplatesDoNotCompile,
    /// A settings edit that names no setting or gives a value of the wrong type.
    Edit,
    /// No contact has the given email.
    UnknownContact,
    /// A customer's sign-in, registration or password change was refused.
    Account,
    /// A customer's reply or support-form submission was refused.
    Conversation,
    /// A customer is not shown a page.
    Page,
    /// The portal server could not start.
    Serve,
    /// The vendor refused the access token (401): it is not valid, expired or revoked.
    VendorAuthentication,
    /// The access token lacks scopes a pull needs (403); the message names them.
    VendorScopes,
    /// A pull stopped (daily limit, network, an answer it could not understand, cancelled): the target
    /// is untouched and `--resume` continues it.
    PullStopped,
    /// A pull was asked for something that cannot be (a bad API address, nothing to resume).
    PullRefused,
}

impl Error {
    /// Which way this error failed (a refusal that wraps a storage failure is that failure).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Storage(error)
            | Error::Account(AccountError::Storage(error))
            | Error::Conversation(ConversationError::Storage(error))
            | Error::Page(PageError::Storage(error)) => storage_kind(error),
            Error::Bundle(_) => ErrorKind::Bundle,
            Error::InvalidSettings(_) => ErrorKind::InvalidSettings,
            Error::TemplatesDoNotCompile(_) => ErrorKind::TemplatesDoNotCompile,
            Error::Edit(_) => ErrorKind::Edit,
            Error::Account(_) => ErrorKind::Account,
            Error::Conversation(_) => ErrorKind::Conversation,
            Error::Page(_) => ErrorKind::Page,
            Error::UnknownContact(_) => ErrorKind::UnknownContact,
            Error::Serve(_) => ErrorKind::Serve,
            Error::Io { .. } => ErrorKind::Io,
            Error::Vendor(VendorError::Unauthorized { .. }) => ErrorKind::VendorAuthentication,
            Error::Vendor(VendorError::MissingScopes { .. }) => ErrorKind::VendorScopes,
            Error::Vendor(VendorError::Setup(_)) => ErrorKind::PullRefused,
            Error::Vendor(_) => ErrorKind::PullStopped,
            Error::Pull(PullError::TargetExists(_)) => ErrorKind::NotEmpty,
            Error::Pull(error) if error.is_usage() => ErrorKind::PullRefused,
            Error::Pull(_) => ErrorKind::PullStopped,
        }
    }
}

fn storage_kind(error: &StorageError) -> ErrorKind {
    match error {
        StorageError::NotAWorkspace(_) => ErrorKind::NotAWorkspace,
        StorageError::NewerVersion(_) => ErrorKind::NewerVersion,
        StorageError::Missing(_) => ErrorKind::Missing,
        StorageError::NotEmpty(_) => ErrorKind::NotEmpty,
        StorageError::Conflict(_) => ErrorKind::Conflict,
        StorageError::Io { .. } => ErrorKind::Io,
        StorageError::Database(_) | StorageError::Migration(_) | StorageError::Corrupt(_) => {
            ErrorKind::Storage
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workspace_from_a_newer_version_is_its_own_kind_not_a_non_workspace() {
        let newer = Error::from(StorageError::NewerVersion("a.portal".into()));
        let foreign = Error::from(StorageError::NotAWorkspace("a.txt".into()));
        assert_eq!(newer.kind(), ErrorKind::NewerVersion);
        assert_eq!(foreign.kind(), ErrorKind::NotAWorkspace);
    }

    #[test]
    fn error_kinds_reach_the_ui_in_camel_case() {
        let kind = serde_json::to_value(ErrorKind::TemplatesDoNotCompile).unwrap();
        assert_eq!(kind, "templatesDoNotCompile");
    }
}
