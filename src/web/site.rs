//! The portal as it is currently configured: settings, catalog and the compiled renderer, kept in memory
//! so that a page costs no settings or template work. Another process (the CLI, the desktop app) may save
//! settings at any time, so the cache looks at the workspace again at most once per refresh interval (one
//! request pays for a small read; the others keep using the snapshot they have) and rebuilds only when
//! something changed. `invalidate` makes the next request look at once.

use crate::domain::model::Catalog;
use crate::domain::settings::Settings;
use crate::site::render::{AssetMode, Frame, Page, Renderer};
use crate::storage::StorageError;
use crate::Workspace;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// No scripts at all; styles, images and forms only from the portal itself (or inline).
pub const PAGE_POLICY: &str =
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'self'";

pub struct Site {
    pub settings: Settings,
    pub catalog: Catalog,
    pub renderer: Renderer,
}

impl Site {
    pub fn new(settings: Settings, catalog: Catalog) -> Site {
        let renderer = Renderer::new(&settings, &catalog, AssetMode::Served);
        for problem in renderer.problems() {
            tracing::warn!(
                "template {} does not compile (line {:?}): {}; the shipped one serves instead",
                problem.template,
                problem.line,
                problem.message
            );
        }
        Site {
            settings,
            catalog,
            renderer,
        }
    }

    /// The page as an HTML response, never cached by the browser (pages are per customer).
    pub fn page(&self, status: StatusCode, page: &Page, frame: &Frame) -> Response {
        let html = self.renderer.render(page, frame);
        let mut response = (status, html).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_POLICY),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        // Reset and invitation links carry their token in the URL: never send it elsewhere.
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        response
    }
}

pub struct SiteCache {
    workspace: Workspace,
    current: RwLock<Arc<Site>>,
    checked_at: AtomicI64,
    interval: Duration,
    refreshing: tokio::sync::Mutex<()>,
}

fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl SiteCache {
    pub async fn load(workspace: Workspace, interval: Duration) -> Result<SiteCache, StorageError> {
        let site = Site::new(workspace.settings().await?, workspace.catalog().await?);
        Ok(SiteCache {
            workspace,
            current: RwLock::new(Arc::new(site)),
            checked_at: AtomicI64::new(now_millis()),
            interval,
            refreshing: tokio::sync::Mutex::new(()),
        })
    }

    pub fn invalidate(&self) {
        self.checked_at.store(0, Ordering::Release);
    }

    /// The site as last loaded, without looking at the workspace.
    pub fn current(&self) -> Arc<Site> {
        self.snapshot()
    }

    fn snapshot(&self) -> Arc<Site> {
        self.current.read().expect("site lock").clone()
    }

    /// The current site, refreshed from the workspace when the interval has passed.
    pub async fn get(&self) -> Result<Arc<Site>, StorageError> {
        let due = now_millis() - self.checked_at.load(Ordering::Acquire)
            >= self.interval.as_millis() as i64;
        if !due {
            return Ok(self.snapshot());
        }
        // One request refreshes; concurrent ones keep serving the snapshot meanwhile.
        let Ok(_guard) = self.refreshing.try_lock() else {
            return Ok(self.snapshot());
        };
        let settings = self.workspace.settings().await?;
        let catalog = self.workspace.catalog().await?;
        let current = self.snapshot();
        if current.settings != settings || current.catalog != catalog {
            let site = Arc::new(Site::new(settings, catalog));
            *self.current.write().expect("site lock") = site;
        }
        self.checked_at.store(now_millis(), Ordering::Release);
        Ok(self.snapshot())
    }
}
