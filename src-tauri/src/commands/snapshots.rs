//! The leak lint and visibility snapshots (spec 10.6) for the Visibility, Setup and History views. Thin
//! adapters over `portal::app::lint` (through the open workspace's `LintCache`) and
//! `portal::app::snapshots`.

use super::{cancellable, open, workspace_handle};
use crate::error::CommandError;
use crate::state::Studio;
use portal::app::lint::{LintCache, LintReport};
use portal::app::progress::Silent;
use portal::app::snapshots::{self, SnapshotDiff};
use portal::domain::settings::{leak_lint_warning, ChecklistWarning};
use portal::storage::snapshots::SnapshotInfo;
use std::sync::Arc;
use tauri::State;

/// How many contact changes, and ids in each of their lists, a diff sends to the window.
const DIFF_LIMIT: usize = 200;

/// How many findings of each code the Visibility view is sent (it lists that many; the counts are whole).
const FINDINGS_SHOWN: usize = 200;

/// The leak lint's findings under the saved settings: every code's count, and the first findings of
/// each. Cancellable (`cancel_reads`).
#[tauri::command]
pub async fn lint_findings(studio: State<'_, Studio>) -> Result<LintReport, CommandError> {
    let (workspace, cache) = lint_handle(&studio).await?;
    cancellable(&studio, async move {
        Ok(cache
            .report(&workspace)
            .await?
            .first_of_each_code(FINDINGS_SHOWN))
    })
    .await
}

/// The setup checklist's warnings (they never block enabling): the leak lint's findings.
#[tauri::command]
pub async fn checklist_warnings(
    studio: State<'_, Studio>,
) -> Result<Vec<ChecklistWarning>, CommandError> {
    let (workspace, cache) = lint_handle(&studio).await?;
    let report = cache.report(&workspace).await?;
    Ok(leak_lint_warning(&report.findings).into_iter().collect())
}

/// The open workspace and its last lint report, without holding the slot while the lint runs.
async fn lint_handle(
    studio: &State<'_, Studio>,
) -> Result<(portal::Workspace, Arc<LintCache>), CommandError> {
    let open = open(studio).await?;
    Ok((open.workspace.clone(), open.lint.clone()))
}

/// Every snapshot, newest first.
#[tauri::command]
pub async fn snapshots(studio: State<'_, Studio>) -> Result<Vec<SnapshotInfo>, CommandError> {
    Ok(snapshots::list(&open(&studio).await?.workspace).await?)
}

/// Saves what every contact sees now as snapshot `name`.
#[tauri::command]
pub async fn save_snapshot(
    studio: State<'_, Studio>,
    name: String,
) -> Result<SnapshotInfo, CommandError> {
    let (workspace, _) = workspace_handle(&studio).await?;
    Ok(snapshots::save_named(&workspace, &name, &Silent).await?)
}

/// Snapshot `before` (id) against snapshot `after`, or the workspace now. Cancellable.
#[tauri::command]
pub async fn compare_snapshots(
    studio: State<'_, Studio>,
    before: i64,
    after: Option<i64>,
) -> Result<SnapshotDiff, CommandError> {
    let (workspace, _) = workspace_handle(&studio).await?;
    cancellable(&studio, async move {
        let before = snapshots::find(&workspace, &before.to_string()).await?;
        let after = match after {
            Some(after) => Some(snapshots::find(&workspace, &after.to_string()).await?),
            None => None,
        };
        Ok(snapshots::compare(
            &workspace,
            &before,
            after.as_ref(),
            Some(DIFF_LIMIT),
            &Silent,
        )
        .await?)
    })
    .await
}

/// What settings history entry `entry` did to visibility; None when no snapshot was taken before it.
#[tauri::command]
pub async fn change_visibility(
    studio: State<'_, Studio>,
    entry: i64,
) -> Result<Option<SnapshotDiff>, CommandError> {
    let (workspace, _) = workspace_handle(&studio).await?;
    cancellable(&studio, async move {
        Ok(snapshots::change_effect(&workspace, entry, Some(DIFF_LIMIT)).await?)
    })
    .await
}
