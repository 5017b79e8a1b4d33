//! One span and one log line per portal request: the method, the matched route (`/{slug}/{ticket}`, not
//! the path: paths carry ticket ids, and query strings carry reset and invitation tokens), the status and
//! the time taken. Failures are logged with their cause inside the same span by `error_pages`, so a 500
//! can be matched to its request. Headers, cookies and bodies are never recorded.

use axum::extract::{MatchedPath, Request};
use axum::response::Response;
use std::time::Duration;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::TraceLayer;
use tracing::Span;

/// A span per request, a line per response, nothing else (no line per body chunk or failure).
pub(crate) type RequestTrace = TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    fn(&Request) -> Span,
    (),
    fn(&Response, Duration, &Span),
    (),
    (),
    (),
>;

/// The layer to add to the portal's router (with `Router::layer`, so that the matched route is known).
pub(crate) fn layer() -> RequestTrace {
    TraceLayer::new_for_http()
        .make_span_with(request_span as fn(&Request) -> Span)
        .on_request(())
        .on_response(log_response as fn(&Response, Duration, &Span))
        .on_body_chunk(())
        .on_eos(())
        // The response line has the status; the cause of a server error is logged where it is known.
        .on_failure(())
}

fn request_span(request: &Request) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", MatchedPath::as_str);
    tracing::info_span!("request", method = %request.method(), route)
}

fn log_response(response: &Response, latency: Duration, _span: &Span) {
    let status = response.status().as_u16();
    let ms = latency.as_secs_f64() * 1000.0;
    // Whole tenths of a millisecond are precise enough, and keep the lines short.
    let ms = (ms * 10.0).round() / 10.0;
    tracing::info!(status, ms, "request answered");
}
