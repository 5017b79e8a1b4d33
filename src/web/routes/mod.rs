//! The portal's routes, by area as the customer meets them: signing in and out, registration and
//! invitations (`auth`), password reset (`password_reset`), the ticket list, page, replies and
//! attachments (`tickets`), the support form (`support_form`), the knowledge base (`knowledge_base`) and
//! the branding files (`assets`). Each handler takes its request context from `extract` (the site, the
//! signed-in customer, the visitor), calls one engine operation and renders the answer; refusals the
//! customer can fix (a wrong password, a missing field, a refused attachment) re-render the form with the
//! message and what was typed, everything else becomes a `WebError`.

mod assets;
mod auth;
mod knowledge_base;
mod password_reset;
mod support_form;
mod tickets;

use super::security::{self, SESSION_COOKIE};
use super::site::Site;
use super::{error_pages, App, WebError};
use crate::app::accounts::AccountError;
use crate::app::conversations::ConversationError;
use crate::domain::i18n;
use crate::site::render::{self, Frame, Page};
use crate::storage::StorageError;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;

type Params = HashMap<String, String>;
type Answer = Result<Response, WebError>;

pub(crate) fn router(app: App) -> Router {
    // Room for the largest accepted attachment and the rest of the form; past that the upload is cut off
    // and refused with the typed text kept.
    let reply_limit = app.policy.max_bytes.saturating_mul(2) + 1024 * 1024;
    Router::new()
        .route("/", get(root))
        .route("/healthz", get(|| async { "ok" }))
        .merge(auth::routes())
        .merge(password_reset::routes())
        .merge(tickets::routes(reply_limit))
        .merge(support_form::routes())
        .merge(knowledge_base::routes())
        .merge(assets::routes())
        .fallback(without_trailing_slash)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            error_pages,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            super::body_deadline::body_deadline,
        ))
        // Outside `error_pages`, so a failure's log line falls inside its request's span.
        .layer(super::trace::layer())
        .with_state(app)
}

/// A path no route matches: `/{slug}/` and every other path with a trailing slash is sent to the same
/// path without it (permanently, keeping the query and the method); anything else is not found.
async fn without_trailing_slash(uri: Uri) -> Answer {
    let path = uri.path();
    let trimmed = path.trim_end_matches('/');
    // `//elsewhere.example/` must not become a redirect to another site.
    let elsewhere = trimmed[1.min(trimmed.len())..].starts_with(['/', '\\']);
    if trimmed.len() == path.len() || trimmed.is_empty() || elsewhere {
        return Err(WebError::NotFound);
    }
    let target = match uri.query() {
        Some(query) => format!("{trimmed}?{query}"),
        None => trimmed.to_string(),
    };
    Ok(Redirect::permanent(&target).into_response())
}

async fn root(State(app): State<App>) -> Answer {
    let site = app.sites.get().await?;
    Ok(see_other(&format!("/{}", site.settings.slug)))
}

fn text(site: &Site, key: &str) -> String {
    i18n::text(&site.settings.language, key).to_string()
}

fn format(site: &Site, key: &str, values: &[(&str, &str)]) -> String {
    i18n::format(&site.settings.language, key, values)
}

fn see_other(location: &str) -> Response {
    Redirect::to(location).into_response()
}

/// Starts a session for the contact and sends them to their tickets.
async fn open_session(app: &App, site: &Site, contact_id: &str) -> Result<Response, StorageError> {
    let (token, _) = app.workspace.start_session(contact_id).await?;
    let mut response = see_other(&format!("/{}", site.settings.slug));
    response.headers_mut().append(
        header::SET_COOKIE,
        security::set_cookie(SESSION_COOKIE, &token),
    );
    Ok(response)
}

/// The customer-facing sentence for an account refusal.
fn account_message(site: &Site, error: &AccountError) -> String {
    match error {
        AccountError::InvalidCredentials => text(site, "error.invalid_credentials"),
        AccountError::Throttled { minutes } => format(
            site,
            "error.throttled",
            &[("minutes", &minutes.to_string())],
        ),
        AccountError::AccessDenied(_) => text(site, "denied.text"),
        AccountError::PasswordSignInDisabled => text(site, "login.sso"),
        AccountError::RegistrationClosed => text(site, "denied.text"),
        AccountError::ConsentRequired => text(site, "error.consent_required"),
        AccountError::InvalidEmail(_) => text(site, "error.invalid_email"),
        AccountError::WeakPassword(_) => format(
            site,
            "password.hint",
            &[(
                "count",
                &crate::domain::passwords::MIN_PASSWORD_LENGTH.to_string(),
            )],
        ),
        AccountError::InvalidLink => text(site, "reset.invalid"),
        AccountError::SsoNotConfigured => text(site, "error.sso_not_configured"),
        AccountError::SamlNotSupported => text(site, "login.saml_unsupported"),
        AccountError::InvalidToken(_) => text(site, "error.invalid_token"),
        // The desktop's refusals; the portal never asks for them.
        AccountError::TooManyEmails { .. } | AccountError::UnknownContact(_) => {
            text(site, "error.text")
        }
        AccountError::Storage(_) => text(site, "error.text"),
    }
}

/// The customer-facing sentence for a refused reply or form submission.
fn conversation_message(site: &Site, error: &ConversationError) -> String {
    match error {
        ConversationError::Closed => text(site, "detail.closed"),
        ConversationError::CloseNotOffered(_) => text(site, "detail.closed"),
        ConversationError::EmptyReply => text(site, "error.empty_reply"),
        ConversationError::AttachmentTooLarge { limit_mb } => format(
            site,
            "error.attachment_too_large",
            &[("size", &limit_mb.to_string())],
        ),
        ConversationError::AttachmentBlocked { name } => {
            format(site, "error.attachment_blocked", &[("name", name)])
        }
        ConversationError::AttachmentName { name } => {
            format(site, "error.attachment_name", &[("name", name)])
        }
        ConversationError::AttachmentUnreadable => text(site, "error.attachment_unreadable"),
        ConversationError::NoInbox => text(site, "error.no_inbox"),
        ConversationError::FormNotAvailable => text(site, "error.form_not_available"),
        ConversationError::MissingFields(fields) => format(
            site,
            "error.missing_fields",
            &[("fields", &fields.join(", "))],
        ),
        ConversationError::Storage(_) => text(site, "error.not_saved"),
        ConversationError::NotFound | ConversationError::AccessDenied(_) => {
            text(site, "error.text")
        }
    }
}

/// The status of a page that shows a customer's writing again because it could not be saved: 503 (with
/// a hint to retry soon) while the workspace is busy with other writers, 500 for anything else.
fn not_saved_status(
    error: &StorageError,
) -> (StatusCode, Option<(header::HeaderName, HeaderValue)>) {
    if error.is_busy() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Some((header::RETRY_AFTER, HeaderValue::from_static("2"))),
        )
    } else {
        (StatusCode::INTERNAL_SERVER_ERROR, None)
    }
}

/// Logs a write that failed with its cause; the caller shows the form again with what was typed.
fn log_not_saved(what: &str, error: &StorageError) {
    tracing::error!(
        error = %super::with_causes(error),
        busy = error.is_busy(),
        "{what} could not be saved; the form is shown again with what was typed"
    );
}

/// `page`, a form shown again with what was typed (never a password) because `what` could not be
/// written: logged with its cause, 503 with `Retry-After` while the workspace is busy, 500 otherwise.
fn shown_again(
    site: &Site,
    page: &Page,
    frame: &Frame,
    what: &str,
    error: &StorageError,
) -> Response {
    log_not_saved(what, error);
    let (status, retry_after) = not_saved_status(error);
    let mut response = site.page(status, page, frame);
    if let Some((name, value)) = retry_after {
        response.headers_mut().insert(name, value);
    }
    response
}

/// The sign-in form again with `email` kept, after the sign-in could not be written.
fn login_again(site: &Site, frame: &Frame, email: &str, error: &StorageError) -> Response {
    let view = render::login_view(
        &site.settings,
        email,
        Some(text(site, "error.try_again")),
        None,
    );
    shown_again(site, &Page::Login(view), frame, "a sign-in", error)
}

#[cfg(test)]
mod tests {
    use crate::domain::i18n;

    /// Every route file: the customer sentences they choose are i18n keys.
    const SOURCES: [&str; 7] = [
        include_str!("mod.rs"),
        include_str!("assets.rs"),
        include_str!("auth.rs"),
        include_str!("knowledge_base.rs"),
        include_str!("password_reset.rs"),
        include_str!("support_form.rs"),
        include_str!("tickets.rs"),
    ];

    /// The literal keys the routes pass to `text` and `format` after the site, however rustfmt wraps
    /// the call.
    fn used_keys(source: &str) -> Vec<String> {
        let mut keys = Vec::new();
        for opener in ["text(", "format("] {
            for (at, _) in source.match_indices(opener) {
                // `context(` is not `text(`.
                let before = source[..at].chars().last().unwrap_or(' ');
                if before.is_alphanumeric() || before == '_' || before == '.' {
                    continue;
                }
                let arguments = source[at + opener.len()..].trim_start();
                let Some(rest) = ["&site,", "site,"]
                    .iter()
                    .find_map(|site| arguments.strip_prefix(site))
                else {
                    continue;
                };
                let Some(rest) = rest.trim_start().strip_prefix('"') else {
                    continue;
                };
                keys.push(rest[..rest.find('"').expect("a closing quote")].to_string());
            }
        }
        keys
    }

    #[test]
    fn every_page_under_the_slug_is_a_reserved_ticket_segment() {
        // A ticket whose id is one of these words is linked through the `ticket` route instead.
        let mut found = 0;
        for source in SOURCES {
            for (at, _) in source.match_indices("\"/{slug}/") {
                let rest = &source[at + "\"/{slug}/".len()..];
                let segment = &rest[..rest.find(['/', '"']).expect("a closing quote")];
                // `{ticket}` is the ticket's own segment; an empty one is this test's pattern.
                if segment.is_empty() || segment.starts_with('{') {
                    continue;
                }
                assert!(
                    crate::site::encode::RESERVED_SEGMENTS.contains(&segment),
                    "the route segment {segment:?} is missing from RESERVED_SEGMENTS"
                );
                found += 1;
            }
        }
        assert!(found > 8, "found only {found} routes: the scan is broken");
    }

    #[test]
    fn every_string_the_routes_show_has_an_english_text() {
        let english = i18n::keys("en");
        let mut checked = 0;
        for source in SOURCES {
            for key in used_keys(source) {
                assert!(english.contains(&key), "missing translation key {key}");
                checked += 1;
            }
        }
        assert!(
            checked > 20,
            "found only {checked} keys: the scan is broken"
        );
    }
}
