//! The app's managed state: the open workspace, the portal server running on it, and where it lives.
//! The "last workspace" path is kept in the app config dir so the next start opens it again.

use crate::error::CommandError;
use portal::web::PortalServer;
use portal::Workspace;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Overrides which workspace the app opens (tests point it at a temporary file); when set, the
/// "last workspace" file is neither read nor written.
pub const WORKSPACE_ENV: &str = "PORTAL_STUDIO_WORKSPACE";

pub struct Open {
    pub workspace: Workspace,
    pub server: PortalServer,
    pub path: PathBuf,
}

impl Open {
    /// Starts the portal on a free loopback port for `workspace`.
    pub async fn start(workspace: Workspace, path: PathBuf) -> Result<Open, CommandError> {
        let address: SocketAddr = ([127, 0, 0, 1], 0).into();
        let server = PortalServer::start(workspace.clone(), address)
            .await
            .map_err(|error| portal::Error::Serve(error.to_string()))?;
        Ok(Open {
            workspace,
            server,
            path,
        })
    }

    pub async fn close(self) {
        self.server.shutdown().await;
        self.workspace.close().await;
    }
}

/// What is open; `Err` holds why nothing could be opened (shown in the UI, which can still open another).
pub type Slot = Result<Open, String>;

pub struct Studio {
    pub slot: Arc<Mutex<Slot>>,
    /// The running long job (import), which `cancel_work` stops.
    pub work: std::sync::Mutex<Option<Arc<portal::app::workspaces::CancelToken>>>,
    /// Long reads under way (matrices), which `cancel_reads` aborts.
    pub reads: std::sync::Mutex<Vec<tokio::task::AbortHandle>>,
    /// How far the running import is (`work_progress`).
    pub import_progress: std::sync::Mutex<Option<Arc<portal::app::workspaces::ImportProgress>>>,
    /// File holding the last workspace path; None when the env override is in use.
    pub last_file: Option<PathBuf>,
}

impl Studio {
    pub fn new(last_file: Option<PathBuf>) -> (Studio, OwnedMutexGuard<Slot>) {
        let slot = Arc::new(Mutex::new(
            Err("the workspace is still opening".to_string()),
        ));
        let guard = slot.clone().try_lock_owned().expect("a new lock is free");
        (
            Studio {
                slot,
                work: std::sync::Mutex::new(None),
                import_progress: std::sync::Mutex::new(None),
                reads: std::sync::Mutex::new(Vec::new()),
                last_file,
            },
            guard,
        )
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
pub async fn open_startup(path: PathBuf) -> Slot {
    let workspace = portal::app::workspace_files::open_or_create_demo(&path)
        .await
        .map_err(|error| format!("could not open {}: {error}", path.display()))?;
    Open::start(workspace, path)
        .await
        .map_err(|error| error.to_string())
}
