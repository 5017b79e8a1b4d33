//! Designer and simulated login: previews of any portal page as a contact with the unsaved draft, template
//! defaults, branding checks, and "act as this contact" writes. Thin adapters over `portal::app::preview` and
//! `portal::domain::branding`.

use super::open;
use crate::error::CommandError;
use crate::state::Studio;
use portal::app::preview::{self, PreviewRequest, PreviewResult};
use portal::domain::branding::{self, ContrastWarning};
use portal::domain::settings::{Branding, Image, Settings};
use std::collections::BTreeMap;
use tauri::State;

/// The page of `request` rendered with `draft` (nothing is saved).
#[tauri::command]
pub async fn preview_page(
    studio: State<'_, Studio>,
    draft: Settings,
    request: PreviewRequest,
) -> Result<PreviewResult, CommandError> {
    let open = open(&studio).await?;
    Ok(preview::render(&open.workspace, &draft, &request).await?)
}

/// "Open in browser": the page of `request` rendered with `draft`, at a new unguessable loopback address
/// the system browser opens at true size (the draft is kept in memory for that address only; nothing
/// is saved). Returns the address, also when no browser could be started (the error says so).
#[tauri::command]
pub async fn open_preview_in_browser(
    studio: State<'_, Studio>,
    draft: Settings,
    request: PreviewRequest,
) -> Result<String, CommandError> {
    let url = open(&studio).await?.preview.publish(draft, request);
    webbrowser::open(&url).map_err(|error| {
        tracing::warn!(%error, "could not open a browser for a draft preview");
        CommandError::failed(format!(
            "could not open a browser ({error}); the preview is at {url}"
        ))
    })?;
    Ok(url)
}

/// The shipped source of template `name` (the template editor's "reset to default").
#[tauri::command]
pub fn shipped_template(name: String) -> Result<String, CommandError> {
    portal::site::render::shipped_template(&name)
        .map(str::to_string)
        .ok_or_else(|| CommandError::refused(format!("no shipped template named {name}")))
}

/// Colour pairs of `branding` that fail WCAG AA for text.
#[tauri::command]
pub fn contrast_warnings(branding: Branding) -> Vec<ContrastWarning> {
    branding::contrast_warnings(&branding)
}

/// Why an uploaded logo or favicon would be refused (empty: accepted).
#[tauri::command]
pub fn check_image(field: String, image: Image) -> Vec<String> {
    branding::image_problems(&field, &image)
}

/// "Act as this contact": a real reply on `ticket` as `contact` (email). Returns the message id.
#[tauri::command]
pub async fn reply_as(
    studio: State<'_, Studio>,
    contact: String,
    ticket: String,
    text: String,
) -> Result<String, CommandError> {
    let open = open(&studio).await?;
    let id = preview::reply_as(&open.workspace, &contact, &ticket, &text).await?;
    open.server.invalidate();
    Ok(id)
}

/// "Act as this contact": a real support-form submission. Returns the new ticket id.
#[tauri::command]
pub async fn submit_form_as(
    studio: State<'_, Studio>,
    contact: String,
    values: BTreeMap<String, String>,
) -> Result<String, CommandError> {
    let open = open(&studio).await?;
    let id = preview::submit_form_as(&open.workspace, &contact, &values).await?;
    open.server.invalidate();
    Ok(id)
}
