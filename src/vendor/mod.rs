//! The help desk vendor's REST API (`docs/vendor-api.md`), read-only: a reqwest client (rustls, gzip,
//! timeouts, one connection pool) with the token kept out of every log and message, a pacer that keeps
//! under the rate limits, retries with backoff for what is worth retrying, and answers parsed into the
//! lenient types of `types`. It knows nothing of the workspace: `app::pull` maps what it reads.

pub mod pacer;
pub mod paths;
pub mod types;

pub use paths::ApiFlavor;

use pacer::{Pacer, Permit};
use serde::de::DeserializeOwned;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use types::ErrorBody;

/// The vendor's public API host.
pub const DEFAULT_API_BASE: &str = "https://api.hubapi.com";

/// An access token (a service key or a private app's token). Its `Debug` shows nothing of it, and it is
/// only ever put into the `Authorization` header, marked sensitive.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// A token from what the user gave (surrounding whitespace and a trailing newline removed).
    pub fn new(text: &str) -> Option<Token> {
        let text = text.trim();
        (!text.is_empty()).then(|| Token(text.to_string()))
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(hidden)")
    }
}

/// Why a request to the vendor failed. `endpoint` is the method and path (no query, no token).
#[derive(Debug, thiserror::Error)]
pub enum VendorError {
    #[error("the access token was refused (401 from {endpoint}): it is not valid, has expired or was revoked; create a new one and pull again")]
    Unauthorized { endpoint: String },
    #[error("the access token lacks the scope{} {} (403 from {endpoint}); add {} to the service key or app and pull again",
        if scopes.len() == 1 { "" } else { "s" }, scopes_text(scopes), if scopes.len() == 1 { "it" } else { "them" })]
    MissingScopes {
        endpoint: String,
        scopes: Vec<String>,
        message: Option<String>,
    },
    #[error("the account's daily API limit is used up ({endpoint}); continue with --resume after it resets at midnight in the account's time zone")]
    DailyLimit { endpoint: String },
    #[error("{endpoint} answered {status}{}{}", detail.as_deref().map(|text| format!(": {text}")).unwrap_or_default(), retried_text(*retries))]
    Status {
        endpoint: String,
        status: u16,
        detail: Option<String>,
        retries: u32,
    },
    #[error("{endpoint} could not be reached: {detail}{}", retried_text(*retries))]
    Network {
        endpoint: String,
        detail: String,
        retries: u32,
    },
    #[error("the answer of {endpoint} could not be understood: {field}: {detail}")]
    Unreadable {
        endpoint: String,
        field: String,
        detail: String,
    },
    #[error("{0}")]
    Setup(String),
}

fn scopes_text(scopes: &[String]) -> String {
    if scopes.is_empty() {
        "(the answer did not name them)".into()
    } else {
        scopes.join(", ")
    }
}

fn retried_text(retries: u32) -> String {
    match retries {
        0 => String::new(),
        1 => " (after 1 retry)".into(),
        n => format!(" (after {n} retries)"),
    }
}

/// How patient the client is. The defaults suit the real vendor; tests shorten the waits.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries of a 5xx, a timeout or a dropped connection before giving up.
    pub server_retries: u32,
    /// Retries of a 429 for the burst window before giving up.
    pub rate_limit_retries: u32,
    /// The first backoff after a 5xx or timeout (doubled each time, with jitter).
    pub backoff: Duration,
    /// The wait after a 429 that says neither `Retry-After` nor the window (times the attempt).
    pub rate_limit_wait: Duration,
    /// The longest a single request may take.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            server_retries: 5,
            rate_limit_retries: 10,
            backoff: Duration::from_millis(500),
            rate_limit_wait: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
        }
    }
}

/// Requests in flight at once at most, within the pacer's budget.
pub const MAX_IN_FLIGHT: usize = 8;

/// Counts for the summary.
#[derive(Debug, Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub rate_limited: AtomicU64,
}

/// A client of one account: the base URL, the token, the path family, the pacer.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: reqwest::Url,
    token: Token,
    pub flavor: ApiFlavor,
    pacer: Arc<Pacer>,
    in_flight: Arc<tokio::sync::Semaphore>,
    policy: RetryPolicy,
    pub counters: Arc<Counters>,
}

/// Whether a host is a loopback address, where plain HTTP is accepted (tests and local stubs).
fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(address) => address.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// Parses and checks an API base: HTTPS, or plain HTTP on a loopback address only.
pub fn parse_api_base(text: &str) -> Result<reqwest::Url, VendorError> {
    let url = reqwest::Url::parse(text.trim_end_matches('/'))
        .map_err(|error| VendorError::Setup(format!("--api-base {text}: {error}")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(VendorError::Setup(format!(
            "--api-base {text}: plain HTTP is accepted only for a loopback address; use https://"
        ))),
        scheme => Err(VendorError::Setup(format!(
            "--api-base {text}: unsupported scheme {scheme}"
        ))),
    }
}

/// The request to make: method, path, query and an optional JSON body.
pub struct Request<'a> {
    pub method: reqwest::Method,
    pub path: String,
    pub query: Vec<(&'a str, String)>,
    pub body: Option<serde_json::Value>,
}

impl<'a> Request<'a> {
    pub fn get(path: String) -> Request<'a> {
        Request {
            method: reqwest::Method::GET,
            path,
            query: Vec::new(),
            body: None,
        }
    }
    pub fn post(path: String, body: serde_json::Value) -> Request<'a> {
        Request {
            method: reqwest::Method::POST,
            path,
            query: Vec::new(),
            body: Some(body),
        }
    }
    pub fn query(mut self, name: &'a str, value: impl Into<String>) -> Request<'a> {
        self.query.push((name, value.into()));
        self
    }
    /// "GET /crm/v3/objects/tickets": how messages name the endpoint.
    pub fn endpoint(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// What one attempt came to.
enum Attempt<T> {
    Done(T),
    /// Worth another try after waiting (a 5xx, a timeout, a dropped connection).
    Transient(VendorError),
    /// A 429 for the burst window: wait this long, then try again.
    RateLimited(Duration, VendorError),
}

impl Client {
    pub fn new(
        base: &str,
        token: Token,
        flavor: ApiFlavor,
        policy: RetryPolicy,
    ) -> Result<Client, VendorError> {
        let base = parse_api_base(base)?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("portal-studio/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(policy.timeout)
            .pool_max_idle_per_host(MAX_IN_FLIGHT)
            .gzip(true)
            .build()
            .map_err(|error| VendorError::Setup(format!("the HTTP client: {error}")))?;
        Ok(Client {
            http,
            base,
            token,
            flavor,
            pacer: Arc::new(Pacer::default()),
            in_flight: Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT)),
            policy,
            counters: Arc::new(Counters::default()),
        })
    }

    /// Sends `request` within the rate limits, retrying what is worth retrying, and parses the answer.
    pub async fn call<T: DeserializeOwned>(&self, request: Request<'_>) -> Result<T, VendorError> {
        let endpoint = request.endpoint();
        let mut server_failures = 0;
        let mut rate_limits = 0;
        loop {
            let attempt = {
                let _slot = self
                    .in_flight
                    .acquire()
                    .await
                    .expect("the semaphore is never closed");
                if self.pacer.acquire().await == Permit::DailyLimitReached {
                    return Err(VendorError::DailyLimit { endpoint });
                }
                self.counters.requests.fetch_add(1, Ordering::Relaxed);
                self.attempt(&request, &endpoint, server_failures + rate_limits)
                    .await?
            };
            match attempt {
                Attempt::Done(value) => return Ok(value),
                Attempt::Transient(error) => {
                    server_failures += 1;
                    if server_failures > self.policy.server_retries {
                        return Err(error);
                    }
                    let wait = backoff(self.policy.backoff, server_failures);
                    tracing::warn!(%endpoint, error = %error, wait_ms = wait.as_millis() as u64, "retrying");
                    self.counters.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(wait).await;
                }
                Attempt::RateLimited(wait, error) => {
                    rate_limits += 1;
                    self.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
                    if rate_limits > self.policy.rate_limit_retries {
                        return Err(error);
                    }
                    tracing::warn!(%endpoint, wait_ms = wait.as_millis() as u64, "rate limited (ten-second window); waiting");
                    self.counters.retries.fetch_add(1, Ordering::Relaxed);
                    self.pacer.pause(wait);
                }
            }
        }
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        request: &Request<'_>,
        endpoint: &str,
        retries: u32,
    ) -> Result<Attempt<T>, VendorError> {
        let mut url = self.base.clone();
        url.set_path(&format!(
            "{}{}",
            self.base.path().trim_end_matches('/'),
            request.path
        ));
        if !request.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(request.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut authorization =
            reqwest::header::HeaderValue::from_str(&format!("Bearer {}", self.token.0)).map_err(
                |_| VendorError::Setup("the access token holds characters a header cannot".into()),
            )?;
        authorization.set_sensitive(true);
        let mut builder = self
            .http
            .request(request.method.clone(), url)
            .header(reqwest::header::AUTHORIZATION, authorization)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = &request.body {
            builder = builder.json(body);
        }
        let network = |error: reqwest::Error| VendorError::Network {
            endpoint: endpoint.to_string(),
            // Without the URL: it is ours and known, and the message stays short.
            detail: describe(&error.without_url()),
            retries,
        };
        let response = match builder.send().await {
            Ok(response) => response,
            Err(error) => return Ok(Attempt::Transient(network(error))),
        };
        let status = response.status();
        let headers = response.headers().clone();
        let header = |name: &str| -> Option<u64> {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse().ok())
        };
        self.pacer.observe(header);
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(error) => return Ok(Attempt::Transient(network(error))),
        };
        if status.is_success() {
            // Parsed plainly first: tracking the path costs time on every answer, and is needed only
            // to name the field of one that cannot be read.
            if let Ok(value) = serde_json::from_slice(&body) {
                return Ok(Attempt::Done(value));
            }
            let mut deserializer = serde_json::Deserializer::from_slice(&body);
            return match serde_path_to_error::deserialize(&mut deserializer) {
                Ok(value) => Ok(Attempt::Done(value)),
                Err(error) => {
                    let field = error.path().to_string();
                    Err(VendorError::Unreadable {
                        endpoint: endpoint.to_string(),
                        field: if field == "." {
                            "the body".into()
                        } else {
                            field
                        },
                        detail: error.into_inner().to_string(),
                    })
                }
            };
        }
        let parsed: Option<ErrorBody> = serde_json::from_slice(&body).ok();
        let detail = parsed
            .as_ref()
            .and_then(|body| body.message.clone())
            .or_else(|| {
                headers
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|value| value.to_str().ok())
                    .filter(|kind| kind.contains("html"))
                    .map(|_| "an HTML page instead of JSON".to_string())
            });
        let correlation = parsed
            .as_ref()
            .and_then(|body| body.correlation_id.clone())
            .or_else(|| {
                headers
                    .get("x-hubspot-correlation-id")
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_string)
            });
        tracing::warn!(%endpoint, status = status.as_u16(), correlation_id = correlation.as_deref().unwrap_or("-"), detail = detail.as_deref().unwrap_or("-"), "the vendor refused a request");
        let status_error = VendorError::Status {
            endpoint: endpoint.to_string(),
            status: status.as_u16(),
            detail: detail.clone(),
            retries,
        };
        match status.as_u16() {
            401 => Err(VendorError::Unauthorized {
                endpoint: endpoint.to_string(),
            }),
            403 => Err(VendorError::MissingScopes {
                endpoint: endpoint.to_string(),
                scopes: parsed
                    .as_ref()
                    .map(ErrorBody::missing_scopes)
                    .unwrap_or_default(),
                message: detail,
            }),
            429 => {
                let policy = parsed
                    .as_ref()
                    .and_then(|body| body.policy_name.clone())
                    .unwrap_or_default();
                if policy.eq_ignore_ascii_case("DAILY") {
                    return Err(VendorError::DailyLimit {
                        endpoint: endpoint.to_string(),
                    });
                }
                let wait = header("retry-after")
                    .map(Duration::from_secs)
                    .or_else(|| {
                        header("x-hubspot-ratelimit-interval-milliseconds")
                            .map(Duration::from_millis)
                    })
                    .unwrap_or(self.policy.rate_limit_wait);
                Ok(Attempt::RateLimited(wait, status_error))
            }
            423 | 477 | 500..=599 => {
                if let Some(seconds) = header("retry-after") {
                    self.pacer.pause(Duration::from_secs(seconds));
                }
                Ok(Attempt::Transient(status_error))
            }
            _ => Err(status_error),
        }
    }

    /// Requests made so far, retries among them, and 429s met.
    pub fn stats(&self) -> (u64, u64, u64) {
        (
            self.counters.requests.load(Ordering::Relaxed),
            self.counters.retries.load(Ordering::Relaxed),
            self.counters.rate_limited.load(Ordering::Relaxed),
        )
    }

    pub fn budget(&self) -> (u32, Duration) {
        self.pacer.budget()
    }
}

/// The error and its causes in one line ("operation timed out", "connection closed before message
/// completed").
fn describe(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut text = if error.is_timeout() {
        "timed out".to_string()
    } else {
        error.to_string()
    };
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Exponential backoff with jitter: `base` × 2^(attempt-1), ±25 %.
fn backoff(base: Duration, attempt: u32) -> Duration {
    use rand::Rng;
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(8));
    let wait = base.saturating_mul(factor);
    let jitter = rand::thread_rng().gen_range(0.75..1.25);
    wait.mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_accepted_only_on_loopback() {
        assert!(parse_api_base("http://127.0.0.1:8080").is_ok());
        assert!(parse_api_base("http://localhost:1").is_ok());
        assert!(parse_api_base("https://api.hubapi.com").is_ok());
        let refused = parse_api_base("http://api.hubapi.com").unwrap_err();
        assert!(refused.to_string().contains("loopback"), "{refused}");
    }

    #[test]
    fn a_token_never_shows_in_debug_output() {
        let token = Token::new("pat-na1-secret\n").unwrap();
        assert_eq!(format!("{token:?}"), "Token(hidden)");
    }

    #[test]
    fn a_forbidden_message_names_every_missing_scope() {
        let error = VendorError::MissingScopes {
            endpoint: "GET /crm/v3/objects/tickets".into(),
            scopes: vec!["tickets".into(), "conversations.read".into()],
            message: None,
        };
        let text = error.to_string();
        assert!(
            text.contains("scopes tickets, conversations.read"),
            "{text}"
        );
    }
}
