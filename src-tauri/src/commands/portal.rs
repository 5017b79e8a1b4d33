//! The in-process customer portal: where it listens, and opening it in the system browser (never in a
//! webview of this app, which has admin IPC).

use super::open;
use crate::error::CommandError;
use crate::state::Studio;
use tauri::State;

#[tauri::command]
pub async fn portal_url(studio: State<'_, Studio>) -> Result<String, CommandError> {
    Ok(open(&studio).await?.server.url())
}

#[tauri::command]
pub async fn open_portal(studio: State<'_, Studio>) -> Result<String, CommandError> {
    let url = open(&studio).await?.server.url();
    webbrowser::open(&url).map_err(|error| {
        CommandError::failed(format!("could not open a browser for {url}: {error}"))
    })?;
    Ok(url)
}
