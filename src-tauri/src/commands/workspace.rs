//! File actions: which workspace is open, new / open / import / export, and cancelling a long import.

use super::open;
use crate::error::CommandError;
use crate::state::{OpenWorkspace, Studio};
use portal::app::transfer::{import_file_with_progress, ImportStatus, Imported};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
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

async fn info(open: &OpenWorkspace) -> Result<WorkspaceInfo, CommandError> {
    let settings = open.workspace.settings().await?;
    Ok(WorkspaceInfo {
        path: open.path.display().to_string(),
        portal_url: open.server.url(),
        page_title: settings.page_title,
        enabled: settings.enabled,
    })
}

/// The open workspace (waits while the startup workspace is still being opened or created).
#[tauri::command]
pub async fn workspace_info(studio: State<'_, Studio>) -> Result<WorkspaceInfo, CommandError> {
    let open = open(&studio).await?;
    info(&open).await
}

/// Makes `next` the open workspace; the previous one is closed only after `next` started.
pub(crate) async fn switch(
    studio: &State<'_, Studio>,
    next: OpenWorkspace,
) -> Result<WorkspaceInfo, CommandError> {
    let result = info(&next).await;
    studio.remember(&next.path);
    let previous = std::mem::replace(&mut *studio.slot.lock().await, Ok(next));
    if let Ok(previous) = previous {
        studio.close(previous).await;
    }
    result
}

pub(crate) fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
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
) -> Result<WorkspaceInfo, CommandError> {
    let path = PathBuf::from(path);
    if current_path(&studio)
        .await
        .is_some_and(|current| same_file(&current, &path))
    {
        return Err(CommandError::refused(
            "that file is the open workspace; choose another name",
        ));
    }
    let workspace = portal::app::workspace_files::create(&path, demo).await?;
    switch(&studio, OpenWorkspace::start(workspace, path).await?).await
}

/// Opens an existing workspace file. A file that is not a workspace leaves the open one as it was.
#[tauri::command]
pub async fn open_workspace(
    studio: State<'_, Studio>,
    path: String,
) -> Result<WorkspaceInfo, CommandError> {
    let path = PathBuf::from(path);
    let workspace = open_file(&path).await?;
    switch(&studio, OpenWorkspace::start(workspace, path).await?).await
}

/// The workspace at `path`, refused with the engine's own reason: missing, not a workspace, or written
/// by a newer Portal Studio (a workspace all the same, which the message must not deny).
pub(crate) async fn open_file(path: &std::path::Path) -> Result<portal::Workspace, CommandError> {
    let workspace = portal::Workspace::open(path, false).await?;
    if let Err(error) = workspace.settings().await {
        workspace.close().await;
        let context = format!("{} is not a usable workspace", path.display());
        return Err(CommandError::engine_in(&context, error.into()));
    }
    Ok(workspace)
}

/// Creates the workspace `destination` from the bundle file `bundle` and opens it. Runs as one
/// transaction: a bad bundle or `cancel_work` leaves no trace and the open workspace as it was.
#[tauri::command]
pub async fn import_bundle(
    studio: State<'_, Studio>,
    bundle: String,
    destination: String,
) -> Result<WorkspaceInfo, CommandError> {
    let bundle = PathBuf::from(bundle);
    let destination = PathBuf::from(destination);
    if current_path(&studio)
        .await
        .is_some_and(|current| same_file(&current, &destination))
    {
        return Err(CommandError::refused(
            "the open workspace cannot be the destination; choose another file",
        ));
    }
    let job = studio.jobs.start_import();
    // Streaming, as `portal import` does: a bundle of any size is read twice, never held whole. A
    // cancel rolls the import back and removes a file it created (the engine does both).
    let outcome =
        import_file_with_progress(&destination, &bundle, true, job.progress, &job.cancel).await;
    studio.jobs.finish_import();
    match outcome {
        Ok(Imported::Workspace(workspace, _)) => {
            switch(&studio, OpenWorkspace::start(workspace, destination).await?).await
        }
        Ok(Imported::Cancelled) => Err(CommandError::cancelled(
            "import cancelled: nothing was changed",
        )),
        Err(error @ portal::Error::Bundle(_)) => Err(CommandError::engine_in(
            &format!("{} is not a valid bundle", bundle.display()),
            error,
        )),
        Err(error) => Err(error.into()),
    }
}

/// How far the running import is; None when no import runs.
#[tauri::command]
pub fn work_progress(studio: State<'_, Studio>) -> Option<ImportStatus> {
    studio.jobs.import_status()
}

/// Cancels the running import, if any.
#[tauri::command]
pub fn cancel_work(studio: State<'_, Studio>) -> bool {
    studio.jobs.cancel_import()
}

/// Writes the open workspace as a bundle file (secrets are never exported), as `portal export` does:
/// streamed to a temporary file that replaces `path` only once complete, so a failed export leaves
/// whatever was at `path` as it was. Other commands run meanwhile.
#[tauri::command]
pub async fn export_bundle(studio: State<'_, Studio>, path: String) -> Result<(), CommandError> {
    let (workspace, _) = super::workspace_handle(&studio).await?;
    Ok(portal::app::transfer::export_file(&workspace, std::path::Path::new(&path)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use portal::ErrorKind;

    fn refusal(outcome: Result<portal::Workspace, CommandError>) -> (ErrorKind, String) {
        match outcome {
            Err(CommandError::Engine { engine, message }) => (engine, message),
            Err(other) => panic!("expected an engine refusal, got {other:?}"),
            Ok(_) => panic!("expected a refusal, the file opened"),
        }
    }

    #[tokio::test]
    async fn opening_a_workspace_of_a_newer_version_says_so_and_not_that_it_is_no_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("newer.portal");
        portal::Workspace::open(&path, true)
            .await
            .unwrap()
            .close()
            .await;
        // A newer Portal Studio has applied a migration this one does not know.
        let newer = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (99990101000000, 'from the future', 1, x'00', 0)",
        )
        .execute(&newer)
        .await
        .unwrap();
        newer.close().await;

        let (kind, message) = refusal(open_file(&path).await);
        assert_eq!(kind, ErrorKind::NewerVersion);
        assert!(message.contains("newer Portal Studio"), "{message}");
        assert!(
            !message.contains("not a Portal Studio workspace"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn opening_a_file_that_is_no_workspace_says_so_once_and_leaves_it_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        std::fs::write(&path, "shopping list").unwrap();

        let (kind, message) = refusal(open_file(&path).await);
        assert_eq!(kind, ErrorKind::NotAWorkspace);
        assert_eq!(
            message.matches("is not a Portal Studio workspace").count(),
            1
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "shopping list");
    }

    #[tokio::test]
    async fn opening_a_missing_file_says_it_does_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gone.portal");

        let (kind, message) = refusal(open_file(&path).await);
        assert_eq!(kind, ErrorKind::Missing);
        assert!(message.ends_with("does not exist"), "{message}");
        assert!(!path.exists());
    }
}
