//! Customers view: contacts and companies with their lists, tickets and sign-in access.

use super::{message, open};
use crate::state::Studio;
use portal::desk::Customers;
use tauri::State;

#[tauri::command]
pub async fn customers(studio: State<'_, Studio>) -> Result<Customers, String> {
    let open = open(&studio).await?;
    portal::desk::customers(&open.workspace)
        .await
        .map_err(message)
}
