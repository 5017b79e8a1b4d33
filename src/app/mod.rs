//! The use-cases the command line, the portal web server and the desktop app share: each reads and writes
//! the workspace through `storage`, decides through `domain::rules` and draws through `site`, so no two
//! front ends can disagree.

pub mod accounts;
pub mod conversations;
pub mod customer;
pub mod demo;
pub mod lint;
pub mod matrix;
pub mod preview;
pub mod progress;
pub mod pull;
pub mod read_models;
pub mod settings_admin;
pub mod snapshots;
pub mod transfer;
pub mod view_as;
pub mod what_if;
pub mod workspace_files;
