//! Customers view: contacts and companies with their lists, tickets and sign-in access.

use super::{cancellable, workspace_handle};
use crate::error::CommandError;
use crate::state::Studio;
use portal::app::read_models::Customers;
use tauri::State;

/// Cancellable (`cancel_reads`): on a large workspace this reads every contact and ticket.
#[tauri::command]
pub async fn customers(studio: State<'_, Studio>) -> Result<Customers, CommandError> {
    let (workspace, _) = workspace_handle(&studio).await?;
    cancellable(&studio, async move {
        Ok(portal::app::read_models::customers(&workspace).await?)
    })
    .await
}
