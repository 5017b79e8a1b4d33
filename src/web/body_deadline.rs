//! A bound on how long a request's body may take to arrive. hyper's header-read timeout ends once the
//! headers are in; after that a client could send a `Content-Length` and then trickle the body a byte at
//! a time, or never send it, and hold the connection (and a handler waiting on it) for as long as it
//! likes. tower-http's `RequestBodyTimeout` restarts its clock on every frame, so a trickle defeats it:
//! here the clock starts when the headers are in and does not restart. A body still incomplete at the
//! deadline fails the read; the request is answered 408 and the connection closed.

use super::App;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::body::{Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// Gives the request's body until `app`'s body-read timeout from now to arrive in full.
pub(crate) async fn body_deadline(
    State(app): State<App>,
    request: Request,
    next: Next,
) -> Response {
    // A request without a body (every page view) costs nothing more.
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let expired = Arc::new(AtomicBool::new(false));
    let timeout = app.body_read_timeout;
    let request = {
        let expired = expired.clone();
        request.map(|body| Body::new(DeadlineBody::new(body, timeout, expired)))
    };
    let response = next.run(request).await;
    if !expired.load(Ordering::Acquire) {
        return response;
    }
    tracing::warn!(
        timeout_seconds = timeout.as_secs_f64(),
        "a request body did not arrive in time; the connection is closed"
    );
    let mut response = (
        StatusCode::REQUEST_TIMEOUT,
        "The request took too long to arrive.",
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// `body`, failing once `deadline` passes before its end (and saying so through `expired`).
struct DeadlineBody {
    body: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
    expired: Arc<AtomicBool>,
}

impl DeadlineBody {
    fn new(body: Body, timeout: Duration, expired: Arc<AtomicBool>) -> Self {
        DeadlineBody {
            body,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            expired,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within its time limit")]
struct BodyTooSlow;

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.expired.store(true, Ordering::Release);
            return Poll::Ready(Some(Err(axum::Error::new(BodyTooSlow))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
