//! The live customer portal (spec sections 2, 5 and 6): server-rendered pages over HTTP on a loopback
//! address, for `portal serve` and the desktop app. Handlers (`routes`, by area) are thin: they take the
//! request context from `extract` (the site, the signed-in customer, the visitor), call the engine
//! (`accounts`, `conversations`, `pages`) and render with `site::render`, which is independent of HTTP so
//! the designer can preview any page with unsaved settings. Failures are mapped to a status and a branded
//! page in one place (`error_pages`), which also logs every unexpected failure with its cause; `trace`
//! logs every request.

mod body_deadline;
mod cache;
mod extract;
pub mod preview;
mod routes;
pub mod security;
mod site;
mod trace;

use crate::site::render::{self, Page};

use crate::app::accounts::LoginThrottle;
use crate::app::conversations::AttachmentPolicy;
use crate::app::customer::PageError;
use crate::storage::StorageError;
use crate::Workspace;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use security::FormSigner;
use site::SiteCache;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

/// How a portal server behaves beyond its settings.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub attachments: AttachmentPolicy,
    /// How often the server looks for settings saved by another process, and how long a verified
    /// session or a customer's ticket read is used before it is read again.
    pub refresh_interval: Duration,
    /// How long past `refresh_interval` a session or ticket read may still be served while it is read
    /// again in the background (never past the session's idle timeout).
    pub stale_grace: Duration,
    /// How long a customer's ticket read and a verified session are used at most while the workspace's
    /// data version does not move (see `cache`).
    pub max_age: Duration,
    /// How often the sessions used since the last time are marked active in the workspace, all in one
    /// write. Pages mark them in memory; writing once per page (or per session per minute) would make
    /// every signed-in page queue for the write lock. The workspace's idle clock lags by at most this;
    /// a session is re-verified against the later of the workspace's record and this server's own.
    pub activity_interval: Duration,
    /// Failed sign-ins per account (the email address typed) before it is locked, and for how long
    /// failures count.
    pub max_failed_logins: usize,
    pub failed_login_window: Duration,
    /// Failed sign-ins from one client address (whatever accounts they try) before it is locked for the
    /// same window. Behind a reverse proxy every customer shares the proxy's address unless the proxy is
    /// in `trusted_proxies`.
    pub max_failed_logins_per_origin: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`extract::ClientAddress`). From any
    /// other peer the header is ignored: a client could write anything in it.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How long a connection may take to send a request's headers (the first request's, and the next
    /// one's on a kept-alive connection) before the server closes it, so idle or trickling connections
    /// cannot pile up.
    pub header_read_timeout: Duration,
    /// How long a request's body may take to arrive in full once its headers are in, however it
    /// trickles; past it the request is answered 408 and the connection closed. Room for the largest
    /// attachment over a slow line.
    pub body_read_timeout: Duration,
    /// Connections served at once. Past it, new connections wait (in the listen queue) for one to close
    /// instead of taking file descriptors until the process has none left to accept with.
    pub max_connections: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            attachments: AttachmentPolicy::default(),
            refresh_interval: Duration::from_secs(1),
            stale_grace: Duration::from_secs(10),
            max_age: Duration::from_secs(300),
            activity_interval: Duration::from_secs(60),
            max_failed_logins: 5,
            failed_login_window: Duration::from_secs(15 * 60),
            max_failed_logins_per_origin: 50,
            trusted_proxies: Vec::new(),
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(60),
            max_connections: 512,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("the portal listens only on loopback addresses; {0} is not one")]
    NotLoopback(SocketAddr),
    #[error("could not listen on {addr}: {source} (try another --port, or 0 for any free one)")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

pub(crate) struct AppState {
    workspace: Workspace,
    sites: SiteCache,
    sessions: cache::SessionCache,
    tickets: cache::TicketCache,
    /// The workspace's data version the caches compare their entries with.
    data: cache::DataVersion,
    throttle: LoginThrottle,
    forms: FormSigner,
    policy: AttachmentPolicy,
    /// `ServerOptions::body_read_timeout`.
    body_read_timeout: Duration,
    /// `ServerOptions::trusted_proxies`.
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Scheme, host and port of this server, for links in emails.
    origin: String,
}

pub(crate) type App = Arc<AppState>;

/// A running portal server. Dropping it without `shutdown` leaves the server running until the runtime
/// ends.
pub struct PortalServer {
    app: App,
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    /// Records sessions' activity in the workspace (`record_activity_every`).
    activity: tokio::task::JoinHandle<()>,
}

impl PortalServer {
    /// Starts serving `workspace` on `address` (loopback only; port 0 picks a free port).
    pub async fn start(workspace: Workspace, address: SocketAddr) -> Result<Self, ServerError> {
        PortalServer::start_with(workspace, address, ServerOptions::default()).await
    }

    pub async fn start_with(
        workspace: Workspace,
        address: SocketAddr,
        options: ServerOptions,
    ) -> Result<Self, ServerError> {
        if !address.ip().is_loopback() {
            return Err(ServerError::NotLoopback(address));
        }
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
        let sites = SiteCache::load(workspace.clone(), options.refresh_interval).await?;
        let data = cache::DataVersion::new(workspace.clone(), options.refresh_interval);
        let app = Arc::new(AppState {
            workspace,
            sites,
            sessions: cache::SessionCache::new(options.max_age, options.stale_grace),
            tickets: cache::TicketCache::new(options.max_age, options.stale_grace),
            data,
            throttle: LoginThrottle::new(
                options.max_failed_logins,
                options.max_failed_logins_per_origin,
                options.failed_login_window,
            ),
            forms: FormSigner::default(),
            policy: options.attachments,
            body_read_timeout: options.body_read_timeout,
            trusted_proxies: options.trusted_proxies,
            origin: format!("http://{address}"),
        });
        let router = routes::router(app.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let limits = ConnectionLimits {
            header_read_timeout: options.header_read_timeout,
            max_connections: options.max_connections.max(1),
        };
        let task = tokio::spawn(serve(listener, router, limits, stopped));
        let activity = tokio::spawn(record_activity_every(
            app.clone(),
            options.activity_interval,
        ));
        Ok(PortalServer {
            app,
            address,
            stop: Some(stop),
            task,
            activity,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> &str {
        &self.app.origin
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The portal's address with its current slug, e.g. `http://127.0.0.1:PORT/tickets`.
    pub fn url(&self) -> String {
        format!(
            "{}/{}",
            self.app.origin,
            self.app.sites.current().settings.slug
        )
    }

    /// Makes the next request read the settings and catalog again (call after saving settings).
    pub fn invalidate(&self) {
        self.app.sites.invalidate();
        self.app.data.invalidate();
    }

    /// Stops accepting connections, lets running requests finish (for up to five seconds) and returns.
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
        self.activity.abort();
        record_activity(&self.app).await;
    }
}

/// Every `interval`, records in the workspace which sessions were used since the last time.
async fn record_activity_every(app: App, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        record_activity(&app).await;
    }
}

/// Writes the sessions' activity seen since the last time, in one transaction. A failure is logged and
/// the activity written next time (until then the workspace's idle clock for them runs a little early).
async fn record_activity(app: &App) {
    let now = chrono::Utc::now().timestamp_millis();
    let due = app.sessions.due_activity(now);
    if due.is_empty() {
        return;
    }
    match app.workspace.record_activity(&due).await {
        Ok(()) => app.sessions.activity_recorded(&due),
        Err(error) => tracing::warn!(
            error = %with_causes(&error),
            sessions = due.len(),
            "recording sessions' activity failed; it is tried again next time"
        ),
    }
}

/// What bounds the connections a server holds (`ServerOptions`).
#[derive(Debug, Clone, Copy)]
struct ConnectionLimits {
    header_read_timeout: Duration,
    max_connections: usize,
}

/// Accepts connections until `stop` fires, at most `max_connections` at a time, and serves each over
/// HTTP/1.1 with hyper, closing it when a request's headers take longer than `header_read_timeout`
/// (axum's own `serve` has neither). Each request carries its peer's address as `ConnectInfo`. On stop,
/// running requests finish and kept-alive connections close.
async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    limits: ConnectionLimits,
    stop: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    use axum::extract::ConnectInfo;
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;

    let places = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let mut stop = std::pin::pin!(stop);
    loop {
        let place = tokio::select! {
            place = places.clone().acquire_owned() => place.expect("the semaphore is never closed"),
            _ = &mut stop => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was accepted: wait a
                    // little rather than spin, and go on.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let router = router.clone();
        let service =
            hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                router.clone().oneshot(request.map(axum::body::Body::new))
            });
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                // A header timeout, or a client that went away: the connection's own business.
                tracing::debug!(%error, "connection ended with an error");
            }
            drop(place);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Why a request failed, as far as the customer is concerned.
#[derive(Debug, Clone)]
pub(crate) enum WebError {
    /// Also for things that exist but are not the customer's: the two must look alike.
    NotFound,
    NotAvailable,
    AccessDenied,
    SignInRequired {
        expired: bool,
    },
    /// A POST without a valid form token.
    FormExpired,
    /// Anything unexpected, with its cause for the log (the customer sees only that something failed).
    Internal(Arc<dyn std::error::Error + Send + Sync>),
}

impl WebError {
    pub(crate) fn internal(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        WebError::Internal(Arc::new(cause))
    }
}

/// For the log: what went wrong, with the cause of an unexpected failure.
impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WebError::NotFound => f.write_str("not found"),
            WebError::NotAvailable => f.write_str("the portal is not available"),
            WebError::AccessDenied => f.write_str("access denied"),
            WebError::SignInRequired { .. } => f.write_str("sign-in required"),
            WebError::FormExpired => f.write_str("the form token is missing or expired"),
            WebError::Internal(cause) => f.write_str(&with_causes(cause.as_ref())),
        }
    }
}

impl From<StorageError> for WebError {
    fn from(error: StorageError) -> Self {
        WebError::internal(error)
    }
}

impl From<PageError> for WebError {
    fn from(error: PageError) -> Self {
        match error {
            PageError::NotFound => WebError::NotFound,
            PageError::AccessDenied(_) => WebError::AccessDenied,
            PageError::Storage(error) => error.into(),
        }
    }
}

/// An error's message followed by those of its sources, skipping a source whose message the text
/// already holds (`#[error("database error: {0}")]` both shows and chains its cause).
fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text
}

impl IntoResponse for WebError {
    /// A marker the `error_pages` layer turns into the branded page.
    fn into_response(self) -> Response {
        let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Renders every `WebError` as the portal's own page with the right status.
async fn error_pages(State(app): State<App>, request: Request, next: Next) -> Response {
    let session = security::cookie(request.headers(), security::SESSION_COOKIE);
    let response = next.run(request).await;
    let Some(error) = response.extensions().get::<WebError>().cloned() else {
        return response;
    };
    if let WebError::Internal(cause) = &error {
        // Inside the request's span, so the line carries the method and route with the cause.
        tracing::error!(error = %with_causes(cause.as_ref()), "portal request failed");
    }
    let site = match app.sites.get().await {
        Ok(site) => site,
        Err(storage) => {
            tracing::error!(error = %with_causes(&storage), "cannot read the workspace");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The portal cannot read its workspace.",
            )
                .into_response();
        }
    };
    let frame = render::Frame::default();
    match error {
        WebError::SignInRequired { expired } => {
            let target = if expired {
                format!("/{}/login?expired=1", site.settings.slug)
            } else {
                format!("/{}/login", site.settings.slug)
            };
            let mut response = Redirect::to(&target).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                security::clear_cookie(security::SESSION_COOKIE),
            );
            response
        }
        // A signed-in customer who follows a dead link keeps their header: navigation and Sign out.
        WebError::NotFound => site.page(
            StatusCode::NOT_FOUND,
            &Page::Message(render::MessageView::not_found()),
            &extract::frame_of(&app, &site, session).await,
        ),
        WebError::NotAvailable => site.page(
            StatusCode::SERVICE_UNAVAILABLE,
            &Page::Message(render::MessageView::not_available()),
            &frame,
        ),
        WebError::AccessDenied => site.page(StatusCode::FORBIDDEN, &Page::AccessDenied, &frame),
        WebError::FormExpired => site.page(
            StatusCode::FORBIDDEN,
            &Page::Message(render::MessageView::new(
                "form_expired.heading",
                "form_expired.text",
            )),
            &frame,
        ),
        WebError::Internal(_) => site.page(
            StatusCode::INTERNAL_SERVER_ERROR,
            &Page::Message(render::MessageView::new("error.heading", "error.text")),
            &frame,
        ),
    }
}
