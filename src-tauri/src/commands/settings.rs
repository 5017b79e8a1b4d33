//! Setup checklist, settings editor and history. Validation, the checklist, saving (one history entry)
//! and undo are the engine's; a save tells the running portal to reload its settings.

use super::open;
use crate::error::CommandError;
use crate::state::{OpenWorkspace, Studio};
use portal::domain::settings::{self, ChecklistItem, FieldError, Settings};
use portal::storage::settings::HistoryEntry;
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;

/// An id and a display name, for the editor's drop-downs.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Choice {
    pub id: String,
    pub name: String,
}

/// What the settings may refer to in this workspace.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SettingsOptions {
    pub languages: Vec<String>,
    pub lists: Vec<Choice>,
    pub inboxes: Vec<Choice>,
    pub forms: Vec<Choice>,
    pub menus: Vec<Choice>,
    pub ticket_properties: Vec<String>,
    /// What each ticket property a filter may test is called, and its values to pick from by label.
    pub filter_choices: Vec<portal::app::read_models::FilterChoices>,
    /// Contact properties company view rules may test: built-in, then the workspace's custom ones.
    pub contact_properties: Vec<String>,
}

/// The result of a save, enable or undo: the saved settings and history entry, or why nothing was saved.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SaveOutcome {
    pub saved: bool,
    #[ts(type = "number | null")]
    pub entry: Option<i64>,
    pub errors: Vec<FieldError>,
    pub settings: Settings,
}

async fn outcome(
    open: &OpenWorkspace,
    result: portal::Result<Option<i64>>,
) -> Result<SaveOutcome, CommandError> {
    let (saved, entry, errors) = match result {
        Ok(entry) => {
            open.server.invalidate();
            (true, entry, Vec::new())
        }
        Err(portal::Error::InvalidSettings(errors)) => (false, None, errors),
        // Shown like field errors, on `templates.<name>`, with the template's line and column.
        Err(portal::Error::TemplatesDoNotCompile(broken)) => (
            false,
            None,
            broken
                .iter()
                .map(portal::app::preview::TemplateError::field_error)
                .collect(),
        ),
        Err(error) => return Err(error.into()),
    };
    Ok(SaveOutcome {
        saved,
        entry,
        errors,
        settings: open.workspace.settings().await?,
    })
}

#[tauri::command]
pub async fn get_settings(studio: State<'_, Studio>) -> Result<Settings, CommandError> {
    Ok(open(&studio).await?.workspace.settings().await?)
}

#[tauri::command]
pub async fn settings_options(studio: State<'_, Studio>) -> Result<SettingsOptions, CommandError> {
    let open = open(&studio).await?;
    let catalog = open.workspace.catalog().await?;
    let filter_choices = portal::app::read_models::filter_choices(&open.workspace).await?;
    let choices = |items: Vec<(String, String)>| {
        items
            .into_iter()
            .map(|(id, name)| Choice { id, name })
            .collect()
    };
    let mut ticket_properties: Vec<String> = settings::BUILT_IN_TICKET_PROPERTIES
        .iter()
        .map(|name| name.to_string())
        .collect();
    ticket_properties.extend(catalog.custom_properties.iter().cloned());
    let mut contact_properties: Vec<String> = settings::BUILT_IN_CONTACT_PROPERTIES
        .iter()
        .map(|name| name.to_string())
        .collect();
    contact_properties.extend(catalog.contact_properties.iter().cloned());
    Ok(SettingsOptions {
        languages: settings::SHIPPED_LANGUAGES
            .iter()
            .map(|l| l.to_string())
            .collect(),
        lists: choices(
            catalog
                .lists
                .iter()
                .map(|l| (l.id.clone(), l.name.clone()))
                .collect(),
        ),
        inboxes: choices(
            catalog
                .inboxes
                .iter()
                .map(|i| (i.id.clone(), i.name.clone()))
                .collect(),
        ),
        forms: choices(
            catalog
                .forms
                .iter()
                .map(|f| (f.id.clone(), f.name.clone()))
                .collect(),
        ),
        menus: choices(
            catalog
                .menus
                .iter()
                .map(|m| (m.id.clone(), m.name.clone()))
                .collect(),
        ),
        ticket_properties,
        filter_choices,
        contact_properties,
    })
}

/// The engine's problems with a draft (empty = it can be saved).
#[tauri::command]
pub async fn validate_settings(
    studio: State<'_, Studio>,
    draft: Settings,
) -> Result<Vec<FieldError>, CommandError> {
    let open = open(&studio).await?;
    Ok(portal::app::settings_admin::validate_settings(&open.workspace, &draft).await?)
}

/// The setup checklist for `draft`, or for the saved settings.
#[tauri::command]
pub async fn checklist(
    studio: State<'_, Studio>,
    draft: Option<Settings>,
) -> Result<Vec<ChecklistItem>, CommandError> {
    let open = open(&studio).await?;
    let settings = match draft {
        Some(draft) => draft,
        None => open.workspace.settings().await?,
    };
    let catalog = open.workspace.catalog().await?;
    Ok(settings::checklist(&settings, &catalog))
}

#[tauri::command]
pub async fn save_settings(
    studio: State<'_, Studio>,
    draft: Settings,
) -> Result<SaveOutcome, CommandError> {
    let open = open(&studio).await?;
    let result = portal::app::settings_admin::save_settings(
        &open.workspace,
        &draft,
        &portal::app::settings_admin::current_user(),
    )
    .await;
    outcome(&open, result).await
}

/// The enable switch: refused (with the engine's reasons) while the checklist fails.
#[tauri::command]
pub async fn set_enabled(
    studio: State<'_, Studio>,
    enabled: bool,
) -> Result<SaveOutcome, CommandError> {
    let open = open(&studio).await?;
    let result = portal::app::settings_admin::set_setting(
        &open.workspace,
        "enabled",
        if enabled { "true" } else { "false" },
        &portal::app::settings_admin::current_user(),
    )
    .await;
    outcome(&open, result).await
}

#[tauri::command]
pub async fn history(studio: State<'_, Studio>) -> Result<Vec<HistoryEntry>, CommandError> {
    Ok(open(&studio).await?.workspace.history().await?)
}

/// Reverts one history entry as a new entry.
#[tauri::command]
pub async fn undo(studio: State<'_, Studio>, entry: i64) -> Result<SaveOutcome, CommandError> {
    let open = open(&studio).await?;
    let result = portal::app::settings_admin::undo(
        &open.workspace,
        Some(entry),
        &portal::app::settings_admin::current_user(),
    )
    .await;
    outcome(&open, result).await
}
