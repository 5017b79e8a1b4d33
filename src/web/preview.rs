//! The designer's "Open in browser": an unsaved draft's preview served over HTTP on its own loopback port
//! so that the system browser shows it at true size. Each preview the designer opens gets an unguessable
//! address (`/preview/{token}`, 256 random bits) that holds that draft and page choice for as long as the
//! workspace is open (the newest `KEPT` of them); every request renders it again through
//! `app::preview::render`, exactly as the designer's frame does, with forms inert. The draft lives only
//! here, in memory: it never becomes the live portal's settings, and the live portal's server knows
//! nothing of it. No scripts, frames or form posts are allowed on these pages (`POLICY`).

use super::{serve, ConnectionLimits, ServerError};
use crate::app::preview::{self, PreviewRequest};
use crate::domain::settings::Settings;
use crate::Workspace;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// How many published previews stay reachable (older addresses answer 404).
pub const KEPT: usize = 16;

/// What a preview page may load: its inline styles and data-URL images; no scripts, frames or posts.
const POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; \
form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

struct Published {
    token: String,
    settings: Settings,
    request: PreviewRequest,
}

struct Drafts {
    workspace: Workspace,
    published: Mutex<VecDeque<Arc<Published>>>,
}

impl Drafts {
    fn find(&self, token: &str) -> Option<Arc<Published>> {
        self.published
            .lock()
            .expect("preview drafts lock")
            .iter()
            .find(|published| published.token == token)
            .cloned()
    }
}

/// The running preview server of one open workspace.
pub struct PreviewServer {
    drafts: Arc<Drafts>,
    origin: String,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl PreviewServer {
    /// Starts serving previews of `workspace` on a free loopback port.
    pub async fn start(workspace: Workspace) -> Result<PreviewServer, ServerError> {
        let address: SocketAddr = ([127, 0, 0, 1], 0).into();
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|source| ServerError::Bind {
                addr: address,
                source,
            })?;
        let address = listener.local_addr().map_err(|source| ServerError::Bind {
            addr: address,
            source,
        })?;
        let drafts = Arc::new(Drafts {
            workspace,
            published: Mutex::new(VecDeque::new()),
        });
        let router = axum::Router::new()
            .route("/preview/{token}", axum::routing::get(page))
            .with_state(drafts.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let limits = ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 32,
        };
        let task = tokio::spawn(serve(listener, router, limits, stopped));
        Ok(PreviewServer {
            drafts,
            origin: format!("http://{address}"),
            stop: Some(stop),
            task,
        })
    }

    /// Keeps `settings` (a draft) and `request` under a new unguessable address and returns its URL.
    /// The preview is drawn as a visitor sees it (forms inert), whatever `request.act_as` says.
    pub fn publish(&self, settings: Settings, request: PreviewRequest) -> String {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let token: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        let url = format!("{}/preview/{token}", self.origin);
        let mut published = self.drafts.published.lock().expect("preview drafts lock");
        published.push_back(Arc::new(Published {
            token,
            settings,
            request: PreviewRequest {
                act_as: false,
                ..request
            },
        }));
        while published.len() > KEPT {
            published.pop_front();
        }
        url
    }

    /// Stops serving; every published address stops answering.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let abort = self.task.abort_handle();
        if tokio::time::timeout(Duration::from_secs(5), &mut self.task)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CONTENT_SECURITY_POLICY, POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

async fn page(State(drafts): State<Arc<Drafts>>, Path(token): Path<String>) -> Response {
    let Some(published) = drafts.find(&token) else {
        return html(
            StatusCode::NOT_FOUND,
            "<!doctype html><title>Preview not found</title><p>This preview is no longer available: \
             open it again from Portal Studio.</p>"
                .into(),
        );
    };
    match preview::render(&drafts.workspace, &published.settings, &published.request).await {
        Ok(result) => html(StatusCode::OK, result.html),
        Err(error) => {
            tracing::error!(error = %error, "could not render a draft preview for the browser");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!doctype html><title>Preview failed</title><p>The preview could not be drawn; \
                 Portal Studio's log says why.</p>"
                    .into(),
            )
        }
    }
}
