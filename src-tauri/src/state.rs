//! The app's managed state: the open workspace with the portal server running on it, its what-if
//! data and its last leak lint report, the long jobs under way, and where the last workspace lives.
//! The "last workspace" path is kept in the app config dir so the next start opens it again.

use crate::error::CommandError;
use portal::app::lint::LintCache;
use portal::app::matrix::AuditRow;
use portal::app::pull::watch::{PullStatus, PullWatch};
use portal::app::read_models::{CustomerTables, Table};
use portal::app::transfer::{CancelToken, ImportProgress, ImportStatus};
use portal::app::what_if::cache::ImpactCache;
use portal::app::what_if::ChangeRow;
use portal::web::preview::PreviewServer;
use portal::web::PortalServer;
use portal::Workspace;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tauri::Emitter;
use tokio::sync::{Mutex, OwnedMutexGuard};
use tokio::task::AbortHandle;

/// Overrides which workspace the app opens (tests point it at a temporary file); when set, the
/// "last workspace" file is neither read nor written.
pub const WORKSPACE_ENV: &str = "PORTAL_STUDIO_WORKSPACE";

/// The workspace the window works on, with what lives exactly as long as it is open.
pub struct OpenWorkspace {
    pub workspace: Workspace,
    pub server: PortalServer,
    /// The designer's "Open in browser" previews of unsaved drafts (its own loopback port).
    pub preview: PreviewServer,
    pub path: PathBuf,
    /// The what-if data loaded from this workspace, kept between edits of the draft.
    pub impacts: Arc<ImpactCache>,
    /// The last leak lint report, which the Visibility view and the setup checklist share.
    pub lint: Arc<LintCache>,
    /// The tables the Customers and Visibility views page through.
    pub tables: Arc<Tables>,
}

/// The rows of the Customers and Visibility views, computed when a view opens (or the draft changes)
/// and kept so that the view asks for one window at a time (`read_models::Table`).
#[derive(Default)]
pub struct Tables {
    pub customers: std::sync::Mutex<Option<Arc<CustomerTables>>>,
    pub matrix: std::sync::Mutex<Option<Arc<Table<AuditRow>>>>,
    pub changes: std::sync::Mutex<Option<Arc<Table<ChangeRow>>>>,
}

impl OpenWorkspace {
    /// Starts the portal on a free loopback port for `workspace`.
    pub async fn start(workspace: Workspace, path: PathBuf) -> Result<OpenWorkspace, CommandError> {
        let address: SocketAddr = ([127, 0, 0, 1], 0).into();
        let server = PortalServer::start(workspace.clone(), address)
            .await
            .map_err(|error| portal::Error::Serve(error.to_string()))?;
        let preview = PreviewServer::start(workspace.clone())
            .await
            .map_err(|error| portal::Error::Serve(error.to_string()))?;
        Ok(OpenWorkspace {
            workspace,
            server,
            preview,
            path,
            impacts: Arc::new(ImpactCache::new()),
            lint: Arc::new(LintCache::new()),
            tables: Arc::new(Tables::default()),
        })
    }

    /// `close`, telling `finishing` (true) before it waits for a visibility snapshot the last settings
    /// save left computing in the background, and (false) once closed: the window says why closing
    /// takes seconds.
    pub async fn close_telling(self, finishing: impl Fn(bool)) {
        let waits = portal::app::snapshots::computing(&self.workspace);
        if waits {
            finishing(true);
        }
        self.close().await;
        if waits {
            finishing(false);
        }
    }

    pub async fn close(self) {
        self.server.shutdown().await;
        self.preview.shutdown().await;
        // A snapshot the last settings save left computing in the background would otherwise stay
        // "never computed", and History could not show what that change did to visibility.
        portal::app::snapshots::settle(&self.workspace, None).await;
        self.workspace.close().await;
    }
}

/// What is open; `Err` holds why nothing could be opened (shown in the UI, which can still open another).
pub type WorkspaceSlot = Result<OpenWorkspace, String>;

pub struct Studio {
    pub slot: Arc<Mutex<WorkspaceSlot>>,
    pub jobs: Jobs,
    /// File holding the last workspace path; None when the env override is in use.
    pub last_file: Option<PathBuf>,
    /// The app, to tell the window what the shell is doing (`FINISHING_SNAPSHOT`); None in tests.
    pub app: Option<tauri::AppHandle>,
}

/// The event telling the window that closing a workspace waits for a visibility snapshot (payload
/// true) and that it has closed (false): the status bar says so meanwhile.
pub const FINISHING_SNAPSHOT: &str = "finishing-snapshot";

/// The long work under way, which the UI can watch and stop: at most one import (`work_progress`,
/// `cancel_work`), at most one pull (`pull_progress`, `cancel_pull`) and any number of long reads such
/// as matrices (`cancel_reads`).
#[derive(Default)]
pub struct Jobs {
    running: std::sync::Mutex<Running>,
}

#[derive(Default)]
struct Running {
    import: Option<ImportJob>,
    pull: Option<PullJob>,
    reads: Vec<AbortHandle>,
}

/// A running pull: where each object kind stands, and how to stop it.
#[derive(Clone)]
pub struct PullJob {
    pub watch: Arc<PullWatch>,
    pub cancel: Arc<CancelToken>,
}

/// A running import: how far it is, and how to stop it.
#[derive(Clone, Default)]
pub struct ImportJob {
    pub progress: Arc<ImportProgress>,
    pub cancel: Arc<CancelToken>,
}

impl Jobs {
    fn running(&self) -> std::sync::MutexGuard<'_, Running> {
        self.running.lock().expect("jobs lock")
    }

    /// Registers a new import (replacing a finished one) and returns it.
    pub fn start_import(&self) -> ImportJob {
        let job = ImportJob::default();
        self.running().import = Some(job.clone());
        job
    }

    pub fn finish_import(&self) {
        self.running().import = None;
    }

    /// How far the running import is; None when none runs.
    pub fn import_status(&self) -> Option<ImportStatus> {
        self.running()
            .import
            .as_ref()
            .map(|job| job.progress.status())
    }

    /// Stops the running import (it reports its progress until it has rolled back); true when one was
    /// running and not stopped yet.
    pub fn cancel_import(&self) -> bool {
        match &self.running().import {
            Some(job) if !job.cancel.is_cancelled() => {
                job.cancel.cancel();
                true
            }
            _ => false,
        }
    }

    /// Registers a new pull watched by `watch`; None while another pull runs.
    pub fn start_pull(&self, watch: PullWatch) -> Option<PullJob> {
        let mut running = self.running();
        if running.pull.is_some() {
            return None;
        }
        let job = PullJob {
            watch: Arc::new(watch),
            cancel: Arc::new(CancelToken::default()),
        };
        running.pull = Some(job.clone());
        Some(job)
    }

    pub fn finish_pull(&self) {
        self.running().pull = None;
    }

    /// Where the running pull stands; None when none runs.
    pub fn pull_status(&self) -> Option<PullStatus> {
        self.running().pull.as_ref().map(|job| job.watch.status())
    }

    /// Stops the running pull after the page it is writing (what it read is kept for Resume); true
    /// when one was running and not stopped yet.
    pub fn cancel_pull(&self) -> bool {
        match &self.running().pull {
            Some(job) if !job.cancel.is_cancelled() => {
                job.watch.stopping();
                job.cancel.cancel();
                true
            }
            _ => false,
        }
    }

    /// Registers a long read so that `cancel_reads` can abort it.
    pub fn add_read(&self, read: AbortHandle) {
        let mut running = self.running();
        running.reads.retain(|handle| !handle.is_finished());
        running.reads.push(read);
    }

    /// Aborts every long read; true when one was still running.
    pub fn cancel_reads(&self) -> bool {
        let mut running = self.running();
        let any = running.reads.iter().any(|handle| !handle.is_finished());
        for handle in running.reads.drain(..) {
            handle.abort();
        }
        any
    }
}

impl Studio {
    pub fn new(
        last_file: Option<PathBuf>,
        app: Option<tauri::AppHandle>,
    ) -> (Studio, OwnedMutexGuard<WorkspaceSlot>) {
        let slot = Arc::new(Mutex::new(
            Err("the workspace is still opening".to_string()),
        ));
        let guard = slot.clone().try_lock_owned().expect("a new lock is free");
        (
            Studio {
                slot,
                jobs: Jobs::default(),
                last_file,
                app,
            },
            guard,
        )
    }

    /// Closes `open`, the window told while it finishes a visibility snapshot first.
    pub async fn close(&self, open: OpenWorkspace) {
        open.close_telling(|finishing| {
            if let Some(app) = &self.app {
                if let Err(error) = app.emit(FINISHING_SNAPSHOT, finishing) {
                    tracing::warn!(error = %error, "the window could not be told of the snapshot");
                }
            }
        })
        .await;
    }

    pub fn remember(&self, path: &Path) {
        if let Some(file) = &self.last_file {
            if let Some(parent) = file.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            let _ = std::fs::write(file, path.to_string_lossy().as_bytes());
        }
    }
}

/// The workspace to open at start: the env override, the remembered one, or the default demo path.
pub fn startup_path(last_file: Option<&Path>) -> PathBuf {
    if let Some(path) = std::env::var_os(WORKSPACE_ENV) {
        return PathBuf::from(path);
    }
    last_file
        .and_then(|file| std::fs::read_to_string(file).ok())
        .map(|text| PathBuf::from(text.trim()))
        .filter(|path| path.is_file())
        .unwrap_or_else(portal::storage::default_workspace_path)
}

/// Opens `path` (creating the demo workspace there on first run) and starts its portal.
pub async fn open_startup(path: PathBuf) -> WorkspaceSlot {
    let workspace = portal::app::workspace_files::open_or_create_demo(&path)
        .await
        .map_err(|error| format!("could not open {}: {error}", path.display()))?;
    OpenWorkspace::start(workspace, path)
        .await
        .map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn closing_a_workspace_drops_its_what_if_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.portal");
        let workspace = Workspace::open(&path, true).await.unwrap();
        let open = OpenWorkspace::start(workspace, path).await.unwrap();
        let impacts = Arc::downgrade(&open.impacts);

        open.close().await;
        assert!(impacts.upgrade().is_none());
    }

    #[tokio::test]
    async fn closing_tells_while_it_finishes_the_snapshot_of_the_last_save() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.portal");
        let bundle = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/acme.bundle.json"),
        )
        .unwrap();
        let data = portal::bundle::read(&bundle).unwrap();
        let workspace = portal::app::transfer::import(&path, &data, false)
            .await
            .unwrap();
        let open = OpenWorkspace::start(workspace, path.clone()).await.unwrap();
        let quiet = std::sync::Mutex::new(Vec::new());
        open.close_telling(|finishing| quiet.lock().unwrap().push(finishing))
            .await;
        assert!(quiet.lock().unwrap().is_empty(), "nothing to finish");

        let workspace = Workspace::open(&path, false).await.unwrap();
        let open = OpenWorkspace::start(workspace.clone(), path).await.unwrap();
        let mut settings = workspace.settings().await.unwrap();
        settings.page_title = "Acme help".into();
        // The snapshot before the save is computed in a task that has not run yet (one thread).
        portal::app::settings_admin::save_settings(&workspace, &settings, "test")
            .await
            .unwrap();
        let told = std::sync::Mutex::new(Vec::new());
        open.close_telling(|finishing| told.lock().unwrap().push(finishing))
            .await;
        assert_eq!(*told.lock().unwrap(), [true, false]);
        assert!(!portal::app::snapshots::computing(&workspace));
    }

    #[test]
    fn cancel_work_stops_the_running_import_once() {
        let jobs = Jobs::default();
        assert!(!jobs.cancel_import(), "nothing runs yet");
        let job = jobs.start_import();
        assert!(jobs.import_status().is_some());

        assert!(jobs.cancel_import());
        assert!(job.cancel.is_cancelled());
        assert!(!jobs.cancel_import(), "the import was already stopped");
        assert!(
            jobs.import_status().is_some(),
            "shown until it has rolled back"
        );
        jobs.finish_import();
        assert_eq!(jobs.import_status(), None);
    }

    #[test]
    fn one_pull_runs_at_a_time_and_cancel_pull_stops_it_once() {
        let jobs = Jobs::default();
        assert!(!jobs.cancel_pull(), "nothing runs yet");
        assert_eq!(jobs.pull_status(), None);
        let job = jobs.start_pull(PullWatch::new()).expect("no pull runs");
        assert!(jobs.start_pull(PullWatch::new()).is_none(), "one at a time");

        assert!(jobs.cancel_pull());
        assert!(job.cancel.is_cancelled());
        assert!(!jobs.cancel_pull(), "the pull was already stopped");
        let status = jobs.pull_status().expect("shown until it has stopped");
        assert!(status.stopping);
        jobs.finish_pull();
        assert_eq!(jobs.pull_status(), None);
        assert!(jobs.start_pull(PullWatch::new()).is_some());
    }

    #[tokio::test]
    async fn cancel_reads_aborts_every_running_read() {
        let jobs = Jobs::default();
        let read = tokio::spawn(std::future::pending::<()>());
        jobs.add_read(read.abort_handle());

        assert!(jobs.cancel_reads());
        assert!(read.await.unwrap_err().is_cancelled());
        assert!(!jobs.cancel_reads(), "nothing left to stop");
    }
}
