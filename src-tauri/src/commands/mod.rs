//! Tauri commands callable from the UI with `invoke("<name>")`, grouped by view. Each is a thin adapter
//! over the engine crate; argument and result types are Rust types exported to `ui/src/bindings`.
//!
//! Each command must also be listed in `build.rs` (which generates its `allow-<name>` permission)
//! and granted to a window by a capability in `capabilities/`.

pub mod customers;
pub mod messages;
pub mod portal;
pub mod preview;
pub mod pull;
pub mod settings;
pub mod snapshots;
pub mod visibility;
pub mod workspace;

use crate::error::CommandError;
use crate::state::{OpenWorkspace, Studio};
use ::portal::app::what_if::cache::ImpactCache;
use std::sync::Arc;
use tauri::State;
use tokio::sync::MappedMutexGuard;

/// Returns the Portal Studio version shown in the UI's status bar, e.g. `"0.1.0"`.
#[tauri::command]
pub fn app_version() -> String {
    crate::VERSION.to_owned()
}

/// Opens the folder holding the app's log files in the system file manager; returns its path.
#[tauri::command]
pub fn open_log_folder(app: tauri::AppHandle) -> Result<String, CommandError> {
    use tauri::Manager;
    use tauri_plugin_opener::OpenerExt;
    let folder = app
        .path()
        .app_log_dir()
        .map_err(|error| CommandError::failed(format!("the app has no log folder: {error}")))?;
    let shown = folder.display().to_string();
    std::fs::create_dir_all(&folder)
        .map_err(|error| CommandError::failed(format!("could not create {shown}: {error}")))?;
    app.opener()
        .open_path(&shown, None::<&str>)
        .map_err(|error| CommandError::failed(format!("could not open {shown}: {error}")))?;
    Ok(shown)
}

/// The open workspace, waiting while one is being opened; `Err` says why none is open.
pub(crate) async fn open<'a>(
    studio: &'a State<'_, Studio>,
) -> Result<MappedMutexGuard<'a, OpenWorkspace>, CommandError> {
    let guard = studio.slot.lock().await;
    if let Err(why) = &*guard {
        return Err(CommandError::NoWorkspaceOpen {
            message: why.clone(),
        });
    }
    Ok(tokio::sync::MutexGuard::map(guard, |slot| {
        slot.as_mut().expect("checked above")
    }))
}

/// The open workspace and its what-if data, without holding the slot: long reads use this so that
/// other commands are not kept waiting while they run.
pub(crate) async fn workspace_handle(
    studio: &State<'_, Studio>,
) -> Result<(::portal::Workspace, Arc<ImpactCache>), CommandError> {
    let open = open(studio).await?;
    Ok((open.workspace.clone(), open.impacts.clone()))
}

/// Runs a long read (a matrix over every contact) so that `cancel_reads` can stop it. Reads write
/// nothing, so stopping one at any point changes nothing.
pub(crate) async fn cancellable<T: Send + 'static>(
    studio: &State<'_, Studio>,
    work: impl std::future::Future<Output = Result<T, CommandError>> + Send + 'static,
) -> Result<T, CommandError> {
    let task = tokio::spawn(work);
    studio.jobs.add_read(task.abort_handle());
    match task.await {
        Ok(outcome) => outcome,
        Err(join) if join.is_cancelled() => {
            Err(CommandError::cancelled("stopped before it finished"))
        }
        Err(join) => Err(CommandError::failed(format!(
            "the computation failed: {join}"
        ))),
    }
}

/// Stops every running long read; true when there was one.
#[tauri::command]
pub fn cancel_reads(studio: State<'_, Studio>) -> bool {
    studio.jobs.cancel_reads()
}

/// Runs CPU work (sorting a large table) on the blocking pool, so the command threads stay free.
pub(crate) async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, CommandError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| CommandError::failed(format!("the work stopped: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_version_is_the_crate_version() {
        assert_eq!(app_version(), env!("CARGO_PKG_VERSION"));
        assert!(!app_version().is_empty());
    }
}
