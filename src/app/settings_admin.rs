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

/// A settings change saved: its history entry (None: nothing changed), and the automatic visibility
/// snapshot taken before it, stored pending and still to compute (None when nothing changed or it
/// could not be taken). Computing it does not hold up the change: it reads the workspace as it was
/// just before (`app::snapshots`).
pub struct Saved {
    pub entry: Option<i64>,
    pub snapshot: Option<snapshots::PendingSnapshot>,
}

impl Saved {
    /// The entry, the snapshot left to compute in the background (for callers that live on: the
    /// desktop app, a server).
    fn in_background(self) -> Option<i64> {
        if let Some(snapshot) = self.snapshot {
            snapshot.compute_in_background();
        }
        self.entry
    }
}

/// Saves `settings` if they are valid, as one history entry. Returns the entry id (None: nothing changed).
/// Template overrides that do not compile are refused with `Error::TemplatesDoNotCompile` and nothing is
/// written, so the live portal keeps serving its templates. The visibility snapshot before the change is
/// computed in the background (`save_settings_then` leaves it to the caller).
pub async fn save_settings(
    workspace: &Workspace,
    settings: &Settings,
    changed_by: &str,
) -> Result<Option<i64>> {
    Ok(save_settings_then(workspace, settings, changed_by)
        .await?
        .in_background())
}

/// `save_settings`, handing the pending snapshot back to the caller to compute when it suits it.
pub async fn save_settings_then(
    workspace: &Workspace,
    settings: &Settings,
    changed_by: &str,
) -> Result<Saved> {
    save(workspace, settings, changed_by, None).await
}

async fn save(
    workspace: &Workspace,
    settings: &Settings,
    changed_by: &str,
    undoes: Option<i64>,
) -> Result<Saved> {
    let catalog = workspace.catalog().await?;
    let problems = settings::validate(settings, &catalog);
    if !problems.is_empty() {
        return Err(Error::InvalidSettings(problems));
    }
    let broken = preview::template_errors(settings, &catalog);
    if !broken.is_empty() {
        return Err(Error::TemplatesDoNotCompile(broken));
    }
    let changes = !settings::diff(&workspace.settings().await?, settings).is_empty();
    let mut transaction = workspace.write().await?;
    // Spec 10.6: what contacts see just before the change, stored with it (none when nothing changes).
    // Pinned under the write lock, so that nothing else lands between that state and the change.
    let before = if changes {
        let reason = match undoes {
            Some(_) => snapshots::Before::Undo,
            None => snapshots::Before::SettingsSave,
        };
        match snapshots::defer(workspace, reason).await {
            Ok(deferred) => Some(deferred),
            Err(error) => {
                tracing::warn!(error = %error, "no visibility snapshot before the settings change");
                None
            }
        }
    } else {
        None
    };
    let saved = async {
        let entry =
            storage::settings::save_in(&mut transaction, settings, changed_by, undoes).await?;
        if entry.is_some() {
            // Spec section 2: saving a `lists` portal invites listed contacts without a login, with the
            // save.
            let origin = crate::app::accounts::public_origin(settings);
            crate::app::accounts::invite_listed_contacts_in(&mut transaction, settings, &origin)
                .await?;
        }
        Ok::<_, Error>(entry)
    }
    .await;
    let entry = match saved {
        Ok(entry) => entry,
        Err(error) => {
            if let Some(deferred) = before {
                deferred.abandon().await;
            }
            return Err(error);
        }
    };
    let snapshot = match (before, entry) {
        (Some(deferred), Some(_)) => Some(
            deferred
                .store_pending_in(&mut transaction, entry, workspace)
                .await?,
        ),
        (Some(deferred), None) => {
            deferred.abandon().await;
            None
        }
        (None, _) => None,
    };
    transaction.commit().await?;
    Ok(Saved { entry, snapshot })
}

/// Sets one setting by dotted key (`branding.primary_color`) and saves, the snapshot before it in the
/// background.
pub async fn set_setting(
    workspace: &Workspace,
    key: &str,
    value: &str,
    changed_by: &str,
) -> Result<Option<i64>> {
    Ok(set_setting_then(workspace, key, value, changed_by)
        .await?
        .in_background())
}

/// `set_setting`, handing the pending snapshot back to the caller.
pub async fn set_setting_then(
    workspace: &Workspace,
    key: &str,
    value: &str,
    changed_by: &str,
) -> Result<Saved> {
    let current = workspace.settings().await?;
    let changed = settings::with_value(&current, key, value)?;
    save(workspace, &changed, changed_by, None).await
}

/// Reverts history entry `entry` (the latest when None) as a new history entry, the snapshot before it
/// in the background.
pub async fn undo(
    workspace: &Workspace,
    entry: Option<i64>,
    changed_by: &str,
) -> Result<Option<i64>> {
    Ok(undo_then(workspace, entry, changed_by)
        .await?
        .in_background())
}

/// `undo`, handing the pending snapshot back to the caller.
pub async fn undo_then(
    workspace: &Workspace,
    entry: Option<i64>,
    changed_by: &str,
) -> Result<Saved> {
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
