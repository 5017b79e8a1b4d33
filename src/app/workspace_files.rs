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
    let data = demo::generate(demo::DEFAULT_SEED, demo::DemoSize::default());
    transfer::import(path, &data, false).await
}

/// Creates a new workspace at `path` (replacing a file there): the demo data, or an empty workspace
/// with default settings.
pub async fn create(path: &Path, with_demo: bool) -> Result<Workspace> {
    let data = if with_demo {
        demo::generate(demo::DEFAULT_SEED, demo::DemoSize::default())
    } else {
        crate::domain::model::WorkspaceData::default()
    };
    transfer::import(path, &data, true).await
}
