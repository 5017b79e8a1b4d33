//! Visibility matrix, audit CSV, what-if and the simulated login's explanation. Thin adapters over
//! `portal::app::matrix`, `portal::app::what_if` and `portal::app::view_as`.

use super::{cancellable, open, workspace_handle};
use crate::error::CommandError;
use crate::state::Studio;
use portal::app::matrix::{self, AuditData, AuditRow};
use portal::app::what_if::Impact;
use portal::domain::rules::{ContactView, View};
use portal::domain::settings::Settings;
use tauri::State;

/// The matrix of every contact under `draft`, or under the saved settings (then kept, with its data,
/// for the what-if). Cancellable (`cancel_reads`).
#[tauri::command]
pub async fn visibility_matrix(
    studio: State<'_, Studio>,
    draft: Option<Settings>,
) -> Result<Vec<AuditRow>, CommandError> {
    let (workspace, impacts) = workspace_handle(&studio).await?;
    cancellable(&studio, async move {
        match draft {
            Some(draft) => {
                let data = AuditData::load_for(&workspace, &draft).await?;
                Ok(matrix::matrix(&draft, &data))
            }
            None => {
                let matrix = impacts.saved_matrix(&workspace).await?;
                Ok(matrix.as_ref().clone())
            }
        }
    })
    .await
}

/// Loads what the what-if needs (the data and the saved settings' matrix) ahead of the first edit, so
/// that the first impact shown costs only the draft's half.
#[tauri::command]
pub async fn prepare_what_if(studio: State<'_, Studio>) -> Result<(), CommandError> {
    let (workspace, impacts) = workspace_handle(&studio).await?;
    impacts.saved_matrix(&workspace).await?;
    Ok(())
}

/// The saved settings' matrix as CSV, exactly what `portal audit --format csv` prints; written to `path`.
/// Cancellable (`cancel_reads`); nothing is written unless the whole matrix was computed.
#[tauri::command]
pub async fn export_audit_csv(studio: State<'_, Studio>, path: String) -> Result<(), CommandError> {
    let (workspace, _) = workspace_handle(&studio).await?;
    let rows = cancellable(&studio, async move { Ok(matrix::audit(&workspace).await?) }).await?;
    std::fs::write(&path, matrix::to_csv(&rows)).map_err(|source| {
        CommandError::from(portal::Error::Io {
            path: path.into(),
            source,
        })
    })
}

/// What saving `draft` would change against the saved settings.
#[tauri::command]
pub async fn what_if(studio: State<'_, Studio>, draft: Settings) -> Result<Impact, CommandError> {
    let (workspace, impacts) = workspace_handle(&studio).await?;
    Ok(impacts.impact(&workspace, &draft).await?)
}

/// Everything `contact` (email) would be served under `draft`, with reasons.
#[tauri::command]
pub async fn explain_contact(
    studio: State<'_, Studio>,
    draft: Settings,
    contact: String,
    view: Option<View>,
) -> Result<ContactView, CommandError> {
    let open = open(&studio).await?;
    Ok(portal::app::view_as::view_as_with(&open.workspace, &draft, &contact, view).await?)
}
