//! Portal Studio's engine: an offline twin of a help-desk customer portal kept in one SQLite workspace.
//! `rules` decides (pure), `storage` keeps (sqlx), `bundle` exchanges, and the noun modules (`settings`,
//! `visibility`, `audit`, `demo`) combine them into the operations the command line, the portal web server
//! and the desktop app share.

pub mod accounts;
pub mod audit;
pub mod branding;
pub mod bundle;
pub mod cli;
pub mod conversations;
pub mod demo;
pub mod desk;
pub mod i18n;
pub mod impact_cache;
pub mod model;
pub mod pages;
pub mod passwords;
pub mod preview;
pub mod rules;
pub mod settings;
pub mod storage;
pub mod visibility;
pub mod web;
pub mod what_if;
pub mod workspaces;

pub use storage::Workspace;

use settings::{EditError, FieldError};

/// Errors at the engine's border; the CLI, HTTP handlers and Tauri commands each map these once.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Storage(#[from] storage::StorageError),
    #[error("{0}")]
    Bundle(#[from] bundle::BundleError),
    #[error("invalid settings:\n{}", .0.iter().map(|problem| format!("  {problem}")).collect::<Vec<_>>().join("\n"))]
    InvalidSettings(Vec<FieldError>),
    /// Settings whose template overrides do not compile or render are never saved: the live portal only
    /// ever serves templates that render.
    #[error("not saved: {}", .0.iter().map(preview::TemplateError::refusal).collect::<Vec<_>>().join("; "))]
    TemplatesDoNotCompile(Vec<preview::TemplateError>),
    #[error(transparent)]
    Edit(#[from] EditError),
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
