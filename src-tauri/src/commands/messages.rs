//! Outbox, inbox and timelines.

use super::{message, open};
use crate::state::Studio;
use portal::app::read_models::InboxItem;
use portal::storage::engagements::Engagement;
use portal::storage::outbox::OutboxEmail;
use tauri::State;

#[tauri::command]
pub async fn outbox(studio: State<'_, Studio>) -> Result<Vec<OutboxEmail>, String> {
    open(&studio)
        .await?
        .workspace
        .outbox()
        .await
        .map_err(message)
}

#[tauri::command]
pub async fn inbox(studio: State<'_, Studio>) -> Result<Vec<InboxItem>, String> {
    let open = open(&studio).await?;
    portal::app::read_models::inbox(&open.workspace)
        .await
        .map_err(message)
}

#[tauri::command]
pub async fn ticket_timeline(
    studio: State<'_, Studio>,
    ticket: String,
) -> Result<Vec<Engagement>, String> {
    let open = open(&studio).await?;
    open.workspace
        .ticket_timeline(&ticket)
        .await
        .map_err(message)
}

#[tauri::command]
pub async fn contact_timeline(
    studio: State<'_, Studio>,
    contact: String,
) -> Result<Vec<Engagement>, String> {
    let open = open(&studio).await?;
    open.workspace
        .contact_timeline(&contact)
        .await
        .map_err(message)
}
