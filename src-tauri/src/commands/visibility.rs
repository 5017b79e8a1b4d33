//! Visibility matrix, audit CSV, what-if and the simulated login's explanation. Thin adapters over
//! `portal::app::matrix`, `portal::app::what_if` and `portal::app::view_as`.

use super::{cancellable, open, workspace_handle};
use crate::error::CommandError;
use crate::state::Studio;
use portal::app::matrix::{self, AuditRow};
use portal::app::read_models::{Table, TablePage, TableQuery};
use portal::app::what_if::{ChangeRow, ImpactOverview};
use portal::domain::rules::{ContactView, View};
use portal::domain::settings::Settings;
use std::sync::Arc;
use tauri::State;

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

/// One window of the saved settings' matrix (filtered, sorted, grouped by company) with the counts of
/// all of it; `refresh` takes the matrix again first (the view does when it opens). Cancellable.
#[tauri::command]
pub async fn matrix_page(
    studio: State<'_, Studio>,
    refresh: bool,
    query: TableQuery,
) -> Result<TablePage<AuditRow>, CommandError> {
    let tables = open(&studio).await?.tables.clone();
    let known = tables.matrix.lock().expect("tables lock").clone();
    let table = match known.filter(|_| !refresh) {
        Some(table) => table,
        None => {
            let (workspace, impacts) = workspace_handle(&studio).await?;
            let rows = cancellable(&studio, async move {
                Ok(impacts.saved_matrix(&workspace).await?)
            })
            .await?;
            let table = Arc::new(super::off_thread(move || Table::new(rows)).await?);
            *tables.matrix.lock().expect("tables lock") = Some(table.clone());
            table
        }
    };
    super::off_thread(move || table.query(&query)).await
}

/// What saving `draft` would change, counts first: the rows by kind come from `what_if_changes`.
#[tauri::command]
pub async fn what_if_overview(
    studio: State<'_, Studio>,
    draft: Settings,
) -> Result<ImpactOverview, CommandError> {
    let (workspace, impacts) = workspace_handle(&studio).await?;
    let tables = open(&studio).await?.tables.clone();
    let impact = impacts.impact(&workspace, &draft).await?;
    let (table, overview) =
        super::off_thread(move || portal::app::what_if::change_table(&impact)).await?;
    *tables.changes.lock().expect("tables lock") = Some(Arc::new(table));
    Ok(overview)
}

/// One window of the last `what_if_overview`'s changes (a kind is a group).
#[tauri::command]
pub async fn what_if_changes(
    studio: State<'_, Studio>,
    query: TableQuery,
) -> Result<TablePage<ChangeRow>, CommandError> {
    let tables = open(&studio).await?.tables.clone();
    let table = tables
        .changes
        .lock()
        .expect("tables lock")
        .clone()
        .ok_or_else(|| CommandError::failed("no what-if has been computed yet".to_string()))?;
    super::off_thread(move || table.query(&query)).await
}
