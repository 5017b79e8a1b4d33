//! File actions: which workspace is open, new / open / import / export, and cancelling a long import.

use super::{message, open};
use crate::state::{Open, Studio};
use portal::app::workspaces::{import_file_with_progress, ImportProgress, ImportStatus};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use tauri::State;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct WorkspaceInfo {
    pub path: String,
    pub portal_url: String,
    pub page_title: String,
    pub enabled: bool,
}

async fn info(open: &Open) -> Result<WorkspaceInfo, String> {
    let settings = open.workspace.settings().await.map_err(message)?;
    Ok(WorkspaceInfo {
        path: open.path.display().to_string(),
        portal_url: open.server.url(),
        page_title: settings.page_title,
        enabled: settings.enabled,
    })
}

/// The open workspace (waits while the startup workspace is still being opened or created).
#[tauri::command]
pub async fn workspace_info(studio: State<'_, Studio>) -> Result<WorkspaceInfo, String> {
    let open = open(&studio).await?;
    info(&open).await
}

/// Makes `next` the open workspace; the previous one is closed only after `next` started.
async fn switch(studio: &State<'_, Studio>, next: Open) -> Result<WorkspaceInfo, String> {
    let result = info(&next).await;
    studio.remember(&next.path);
    let previous = std::mem::replace(&mut *studio.slot.lock().await, Ok(next));
    if let Ok(previous) = previous {
        previous.close().await;
    }
    result
}

fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

async fn current_path(studio: &State<'_, Studio>) -> Option<PathBuf> {
    studio
        .slot
        .lock()
        .await
        .as_ref()
        .ok()
        .map(|open| open.path.clone())
}

/// Creates a workspace at `path` (with the demo data, or empty) and opens it.
#[tauri::command]
pub async fn new_workspace(
    studio: State<'_, Studio>,
    path: String,
    demo: bool,
) -> Result<WorkspaceInfo, String> {
    let path = PathBuf::from(path);
    if current_path(&studio)
        .await
        .is_some_and(|current| same_file(&current, &path))
    {
        return Err("that file is the open workspace; choose another name".into());
    }
    let workspace = portal::app::workspace_files::create(&path, demo)
        .await
        .map_err(message)?;
    switch(&studio, Open::start(workspace, path).await?).await
}

/// Opens an existing workspace file. A file that is not a workspace leaves the open one as it was.
#[tauri::command]
pub async fn open_workspace(
    studio: State<'_, Studio>,
    path: String,
) -> Result<WorkspaceInfo, String> {
    let path = PathBuf::from(path);
    if !path.is_file() {
        return Err(format!("{} does not exist", path.display()));
    }
    let workspace = portal::Workspace::open(&path, false)
        .await
        .map_err(|error| {
            format!(
                "{} is not a Portal Studio workspace: {error}",
                path.display()
            )
        })?;
    if let Err(error) = workspace.settings().await {
        workspace.close().await;
        return Err(format!(
            "{} is not a usable workspace: {error}",
            path.display()
        ));
    }
    switch(&studio, Open::start(workspace, path).await?).await
}

/// Creates the workspace `destination` from the bundle file `bundle` and opens it. Runs as one
/// transaction: a bad bundle or `cancel_work` leaves no trace and the open workspace as it was.
#[tauri::command]
pub async fn import_bundle(
    studio: State<'_, Studio>,
    bundle: String,
    destination: String,
) -> Result<WorkspaceInfo, String> {
    let bundle = PathBuf::from(bundle);
    let destination = PathBuf::from(destination);
    if current_path(&studio)
        .await
        .is_some_and(|current| same_file(&current, &destination))
    {
        return Err("the open workspace cannot be the destination; choose another file".into());
    }
    let existed = destination.exists();
    let target = destination.clone();
    let progress = Arc::new(ImportProgress::default());
    *studio.import_progress.lock().expect("progress lock") = Some(progress.clone());
    let task = tokio::spawn(async move {
        // Streaming, as `portal import` does: a bundle of any size is read twice, never held whole.
        let (workspace, _) = import_file_with_progress(&target, &bundle, true, progress)
            .await
            .map_err(|error| match error {
                portal::Error::Bundle(_) => {
                    format!("{} is not a valid bundle: {error}", bundle.display())
                }
                other => message(other),
            })?;
        Open::start(workspace, target).await
    });
    *studio.work.lock().expect("work lock") = Some(task.abort_handle());
    let outcome = task.await;
    studio.work.lock().expect("work lock").take();
    studio.import_progress.lock().expect("progress lock").take();
    match outcome {
        Ok(Ok(next)) => switch(&studio, next).await,
        Ok(Err(error)) => Err(error),
        Err(join) if join.is_cancelled() => {
            if !existed {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = destination.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Err("import cancelled: nothing was changed".into())
        }
        Err(join) => Err(format!("the import failed: {join}")),
    }
}

/// How far the running import is; None when no import runs.
#[tauri::command]
pub fn work_progress(studio: State<'_, Studio>) -> Option<ImportStatus> {
    studio
        .import_progress
        .lock()
        .expect("progress lock")
        .as_ref()
        .map(|progress| progress.status())
}

/// Cancels the running import, if any.
#[tauri::command]
pub fn cancel_work(studio: State<'_, Studio>) -> bool {
    match studio.work.lock().expect("work lock").take() {
        Some(handle) => {
            handle.abort();
            true
        }
        None => false,
    }
}

/// Writes the open workspace as a bundle file (secrets are never exported).
#[tauri::command]
pub async fn export_bundle(studio: State<'_, Studio>, path: String) -> Result<(), String> {
    let text = {
        let open = open(&studio).await?;
        portal::app::workspaces::export(&open.workspace)
            .await
            .map_err(message)?
    };
    std::fs::write(&path, text).map_err(|error| format!("could not write {path}: {error}"))
}
