//! Portal Studio's engine: an offline twin of a help-desk customer portal kept in one SQLite workspace.
//!
//! The folders are the layers, and each knows only the ones below it (`ARCHITECTURE.md` has the map):
//! - `domain`: the model, the settings and the rules that decide what a customer sees (pure);
//! - `bundle`: the JSON exchange format (pure);
//! - `storage`: the workspace file (the only place with SQL);
//! - `site`: what a customer page shows and how it renders, without HTTP;
//! - `app`: the use-cases the command line, the portal and the desktop app share;
//! - `web`: the portal over HTTP (axum);
//! - `vendor`: the help desk vendor's REST API, read by `portal pull` (reqwest).

pub mod app;
pub mod bundle;
pub mod domain;
mod error;
pub mod site;
pub mod storage;
pub mod vendor;
pub mod web;

pub use error::{Error, ErrorKind, Result};
pub use storage::Workspace;
