//! Customers view: contacts and companies with their lists, tickets and sign-in access; and the plain
//! contact list the Preview picks from.

use super::{cancellable, open, workspace_handle};
use crate::error::CommandError;
use crate::state::Studio;
use portal::app::read_models::{ContactChoice, Customers};
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

/// Every contact (name, email, company) for the Preview's picker: a plain read, no matrix.
#[tauri::command]
pub async fn contact_choices(
    studio: State<'_, Studio>,
) -> Result<Vec<ContactChoice>, CommandError> {
    let open = open(&studio).await?;
    Ok(portal::app::read_models::contact_choices(&open.workspace).await?)
}
