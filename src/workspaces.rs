//! What an administrator does to a workspace as a whole: create it from a bundle, export it, and change
//! its settings (validated against the workspace's data, recorded in the history, undoable).

use crate::bundle::{self, WorkspaceData};
use crate::settings::{self, Settings};
use crate::storage::{self, StorageError};
use crate::{passwords, Error, Result, Workspace};
use std::path::Path;

/// Who made a change, for the settings history.
pub fn current_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "admin".into())
}

/// Reads and validates a bundle file.
pub fn read_bundle(path: &Path) -> Result<WorkspaceData> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })?;
    Ok(bundle::read(&text)?)
}

/// Creates (or, with `replace`, overwrites) the workspace at `workspace_path` from `data`. Nothing is
/// written unless all of it can be: a new file that fails is removed again.
pub async fn import(
    workspace_path: &Path,
    data: &WorkspaceData,
    replace: bool,
) -> Result<Workspace> {
    let existed = workspace_path.exists();
    let hashes: Vec<(String, String)> = data
        .passwords
        .iter()
        .map(|(contact, password)| (contact.clone(), passwords::hash(password)))
        .collect();
    let outcome = async {
        let workspace = Workspace::open(workspace_path, true).await?;
        if !replace && !workspace.is_empty().await? {
            workspace.close().await;
            return Err(StorageError::NotEmpty(workspace_path.into()).into());
        }
        workspace.replace_all(data, &hashes).await?;
        Ok::<_, Error>(workspace)
    }
    .await;
    if outcome.is_err() && !existed {
        remove_workspace_files(workspace_path);
    }
    outcome
}

fn remove_workspace_files(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}

pub async fn export(workspace: &Workspace) -> Result<String> {
    Ok(bundle::write(&workspace.export_data().await?))
}

/// Problems with `settings` against this workspace's data (empty = can be saved).
pub async fn validate_settings(
    workspace: &Workspace,
    settings: &Settings,
) -> Result<Vec<settings::FieldError>> {
    Ok(settings::validate(settings, &workspace.catalog().await?))
}

/// Saves `settings` if they are valid, as one history entry. Returns the entry id (None: nothing changed).
pub async fn save_settings(
    workspace: &Workspace,
    settings: &Settings,
    changed_by: &str,
) -> Result<Option<i64>> {
    save(workspace, settings, changed_by, None).await
}

async fn save(
    workspace: &Workspace,
    settings: &Settings,
    changed_by: &str,
    undoes: Option<i64>,
) -> Result<Option<i64>> {
    let problems = validate_settings(workspace, settings).await?;
    if !problems.is_empty() {
        return Err(Error::InvalidSettings(problems));
    }
    let mut transaction = workspace.pool().begin().await.map_err(StorageError::from)?;
    let entry = storage::settings::save_in(&mut transaction, settings, changed_by, undoes).await?;
    if entry.is_some() {
        // Spec section 2: saving a `lists` portal invites listed contacts without a login, with the save.
        let origin = crate::accounts::public_origin(settings);
        crate::accounts::invite_listed_contacts_in(&mut transaction, settings, &origin).await?;
    }
    transaction.commit().await.map_err(StorageError::from)?;
    Ok(entry)
}

/// Sets one setting by dotted key (`branding.primary_color`) and saves.
pub async fn set_setting(
    workspace: &Workspace,
    key: &str,
    value: &str,
    changed_by: &str,
) -> Result<Option<i64>> {
    let current = workspace.settings().await?;
    let changed = settings::with_value(&current, key, value)?;
    save(workspace, &changed, changed_by, None).await
}

/// Reverts history entry `entry` (the latest when None) as a new history entry.
pub async fn undo(
    workspace: &Workspace,
    entry: Option<i64>,
    changed_by: &str,
) -> Result<Option<i64>> {
    let entry = match entry {
        Some(entry) => entry,
        None => match workspace.history().await?.first() {
            Some(latest) => latest.id,
            None => return Err(StorageError::Conflict("there is nothing to undo".into()).into()),
        },
    };
    let reverted = workspace.settings_without_entry(entry).await?;
    save(workspace, &reverted, changed_by, Some(entry)).await
}
