//! Workspace files as the user sees them: the demo workspace made on first use, a new workspace, and
//! the folders they go in. The command line and the desktop app both start here, so the first run is the
//! same in both.

use crate::app::{demo, transfer};
use crate::{Error, Result, Workspace};
use std::path::Path;

/// Creates the folder `path` goes in, when it has one that does not exist yet.
pub fn create_parent_dir(path: &Path) -> Result<()> {
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|source| Error::Io {
            path: parent.into(),
            source,
        })?;
    }
    Ok(())
}

/// Opens the workspace at `path`, creating the demo workspace there first when there is no file yet.
pub async fn open_or_create_demo(path: &Path) -> Result<Workspace> {
    if path.exists() {
        return Ok(Workspace::open(path, false).await?);
    }
    create_parent_dir(path)?;
    // The demo's logins share one published password: one hash, not one argon2 run (and its 19 MiB of
    // working memory) per login.
    let workspace =
        transfer::write_demo(path, demo::DEFAULT_SEED, demo::DemoSize::default(), false).await?;
    transfer::give_back_freed_memory();
    Ok(workspace)
}

/// Creates a new workspace at `path` (replacing a file there): the demo data, or an empty workspace
/// with default settings.
pub async fn create(path: &Path, with_demo: bool) -> Result<Workspace> {
    let workspace = if with_demo {
        transfer::write_demo(path, demo::DEFAULT_SEED, demo::DemoSize::default(), true).await?
    } else {
        transfer::import(path, &crate::domain::model::WorkspaceData::default(), true).await?
    };
    transfer::give_back_freed_memory();
    Ok(workspace)
}
