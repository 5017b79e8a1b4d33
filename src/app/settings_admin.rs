//! Administering a workspace's settings: validated against the workspace's data (templates included),
//! saved as one history entry, and undone as a new entry. The command line and the desktop app both go
//! through here.

use crate::app::{preview, snapshots};
use crate::domain::settings::{self, Settings};
use crate::storage::{self, StorageError};
use crate::{Error, Result, Workspace};

/// Who made a change, for the settings history.
pub fn current_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "admin".into())
}

/// Problems with `settings` against this workspace's data (empty = can be saved), template overrides
/// that do not compile included (as errors of `templates.<name>`).
pub async fn validate_settings(
    workspace: &Workspace,
    settings: &Settings,
) -> Result<Vec<settings::FieldError>> {
    let catalog = workspace.catalog().await?;
    let mut problems = settings::validate(settings, &catalog);
    problems.extend(
        preview::template_errors(settings, &catalog)
            .iter()
            .map(preview::TemplateError::field_error),
    );
    Ok(problems)
}

/// Saves `settings` if they are valid, as one history entry. Returns the entry id (None: nothing changed).
/// Template overrides that do not compile are refused with `Error::TemplatesDoNotCompile` and nothing is
/// written, so the live portal keeps serving its templates.
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
    let catalog = workspace.catalog().await?;
    let problems = settings::validate(settings, &catalog);
    if !problems.is_empty() {
        return Err(Error::InvalidSettings(problems));
    }
    let broken = preview::template_errors(settings, &catalog);
    if !broken.is_empty() {
        return Err(Error::TemplatesDoNotCompile(broken));
    }
    // Spec 10.6: what contacts see just before the change, stored with it (none when nothing changes).
    let before = if settings::diff(&workspace.settings().await?, settings).is_empty() {
        None
    } else {
        let reason = match undoes {
            Some(_) => snapshots::Before::Undo,
            None => snapshots::Before::SettingsSave,
        };
        match snapshots::prepare(workspace, reason).await {
            Ok(pending) => Some(pending),
            Err(error) => {
                tracing::warn!(error = %error, "no visibility snapshot before the settings change");
                None
            }
        }
    };
    let mut transaction = workspace.write().await?;
    let entry = storage::settings::save_in(&mut transaction, settings, changed_by, undoes).await?;
    if let (Some(pending), Some(_)) = (&before, entry) {
        pending.store_in(&mut transaction, entry).await?;
    }
    if entry.is_some() {
        // Spec section 2: saving a `lists` portal invites listed contacts without a login, with the save.
        let origin = crate::app::accounts::public_origin(settings);
        crate::app::accounts::invite_listed_contacts_in(&mut transaction, settings, &origin)
            .await?;
    }
    transaction.commit().await?;
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
