//! Outbox, inbox and timelines.

use super::open;
use crate::error::CommandError;
use crate::state::Studio;
use portal::app::read_models::InboxItem;
use portal::storage::engagements::Engagement;
use portal::storage::outbox::OutboxEmail;
use tauri::State;

#[tauri::command]
pub async fn outbox(studio: State<'_, Studio>) -> Result<Vec<OutboxEmail>, CommandError> {
    Ok(open(&studio).await?.workspace.outbox().await?)
}

#[tauri::command]
pub async fn inbox(studio: State<'_, Studio>) -> Result<Vec<InboxItem>, CommandError> {
    let open = open(&studio).await?;
    Ok(portal::app::read_models::inbox(&open.workspace).await?)
}

#[tauri::command]
pub async fn ticket_timeline(
    studio: State<'_, Studio>,
    ticket: String,
) -> Result<Vec<Engagement>, CommandError> {
    let open = open(&studio).await?;
    Ok(open.workspace.ticket_timeline(&ticket).await?)
}

#[tauri::command]
pub async fn contact_timeline(
    studio: State<'_, Studio>,
    contact: String,
) -> Result<Vec<Engagement>, CommandError> {
    let open = open(&studio).await?;
    Ok(open.workspace.contact_timeline(&contact).await?)
}
