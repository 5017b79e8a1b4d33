//! The signed-in customer's tickets (spec section 5): the list, a ticket's page, replies with an optional
//! attachment, and attachment downloads. A ticket the customer may not see answers as one that does not
//! exist.

use super::{
    conversation_message, log_not_saved, not_saved_status, see_other, text, Answer, Params,
};
use crate::app::conversations::{self, ConversationError, Upload};
use crate::app::customer;
use crate::site::pages::ListQuery;
use crate::site::render::{Page, TicketView};
use crate::web::extract::{SignedIn, SiteOf};
use crate::web::security;
use crate::web::site::Site;
use crate::web::{App, WebError};
use axum::extract::{DefaultBodyLimit, FromRequestParts, Multipart, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;

/// `reply_limit`: the largest reply body read before it is cut off. A ticket is addressed as
/// `/{slug}/{ticket}/…`, or, when its id is a word the portal's own pages use (or `.`/`..`), as
/// `/{slug}/ticket/…?id=…`; `site::encode::ticket_path` chooses, and both forms reach the same handlers.
pub(super) fn routes(reply_limit: usize) -> Router<App> {
    Router::new()
        .route("/{slug}", get(list))
        .route("/{slug}/ticket", get(ticket))
        .route("/{slug}/{ticket}", get(ticket))
        .route(
            "/{slug}/ticket/reply",
            post(reply).layer(DefaultBodyLimit::max(reply_limit)),
        )
        .route(
            "/{slug}/{ticket}/reply",
            post(reply).layer(DefaultBodyLimit::max(reply_limit)),
        )
        .route("/{slug}/ticket/close", post(close))
        .route("/{slug}/{ticket}/close", post(close))
        .route("/{slug}/ticket/attachments/{attachment}", get(attachment))
        .route("/{slug}/{ticket}/attachments/{attachment}", get(attachment))
}

/// The ticket a request is about: the `{ticket}` segment of the path, or the `id` query parameter of the
/// `ticket` routes.
struct TicketId(String);

impl FromRequestParts<App> for TicketId {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, WebError> {
        let Path(path) =
            <Path<HashMap<String, String>> as FromRequestParts<App>>::from_request_parts(
                parts, app,
            )
            .await
            .map_err(|_| WebError::NotFound)?;
        if let Some(id) = path.get("ticket") {
            return Ok(TicketId(id.clone()));
        }
        let Query(query) =
            Query::<Params>::try_from_uri(&parts.uri).map_err(|_| WebError::NotFound)?;
        query
            .get("id")
            .cloned()
            .map(TicketId)
            .ok_or(WebError::NotFound)
    }
}

async fn list(
    State(app): State<App>,
    SiteOf(site): SiteOf,
    current: SignedIn,
    Query(params): Query<Params>,
) -> Answer {
    let query = ListQuery::parse(&params);
    let read = {
        let (app, customer) = (app.clone(), current.customer.clone());
        move || async move {
            Ok::<_, WebError>(customer::related_tickets(&app.workspace, &customer).await?)
        }
    };
    let version = app.data.current().await;
    let tickets = app
        .tickets
        .get_or_read(&current.customer, version, read)
        .await?;
    // A customer coming back to a list they saw is served the page made then (`cache::CustomerTickets`).
    let list = tickets.list_page(site.renderer.id(), &current.customer, &query, |tickets| {
        customer::list_page(
            &site.settings,
            &site.catalog,
            &current.customer,
            tickets,
            &query,
        )
    })?;
    Ok(site.page(StatusCode::OK, &Page::List(list), &current.frame))
}

/// What the ticket page shows besides the ticket: a reply text to keep, an error or a notice.
struct TicketExtras {
    status: StatusCode,
    reply_text: String,
    error: Option<String>,
    notice: Option<String>,
}

async fn ticket_response(
    app: &App,
    site: &Site,
    current: &SignedIn,
    ticket_id: &str,
    extras: TicketExtras,
) -> Answer {
    let TicketExtras {
        status,
        reply_text,
        error,
        notice,
    } = extras;
    let page = customer::load_ticket(
        &app.workspace,
        &site.settings,
        &site.catalog,
        &current.customer,
        ticket_id,
    )
    .await?;
    let view = TicketView {
        ticket: page,
        reply_text,
        error,
        notice,
        max_mb: app.policy.max_bytes.div_ceil(1024 * 1024),
    };
    Ok(site.page(status, &Page::Ticket(view), &current.frame))
}

async fn ticket(
    State(app): State<App>,
    SiteOf(site): SiteOf,
    current: SignedIn,
    TicketId(ticket_id): TicketId,
    Query(params): Query<Params>,
) -> Answer {
    let notice = if params.contains_key("sent") {
        Some(text(&site, "detail.sent"))
    } else if params.contains_key("closed") {
        Some(text(&site, "detail.closed_by_you"))
    } else if params.contains_key("submitted") {
        Some(text(&site, "form.submitted"))
    } else {
        None
    };
    ticket_response(
        &app,
        &site,
        &current,
        &ticket_id,
        TicketExtras {
            status: StatusCode::OK,
            reply_text: String::new(),
            error: None,
            notice,
        },
    )
    .await
}

/// The reply form as read: token, text, the optional file, and whether a part could not be read.
#[derive(Default)]
struct ReplyForm {
    csrf: String,
    text: String,
    upload: Option<Upload>,
    /// The form broke off outside an attachment's bytes (e.g. a part header with a NUL in the file
    /// name): the file it was bringing would be lost, so the reply is refused and the text kept.
    unreadable: bool,
}

/// Reads the reply form. Bytes past the attachment limit are counted but not kept; a body cut off at the
/// server's limit counts as an attachment that is too large.
async fn read_reply(mut multipart: Multipart, limit: usize) -> ReplyForm {
    let mut form = ReplyForm::default();
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => {
                match form.upload.as_mut() {
                    Some(Upload { size, .. }) => *size = (*size).max(limit + 1),
                    None => {
                        tracing::warn!(%error, "a reply form could not be read to its end");
                        form.unreadable = true;
                    }
                }
                break;
            }
        };
        match field.name().unwrap_or("") {
            "csrf" => form.csrf = field.text().await.unwrap_or_default(),
            "text" => form.text = field.text().await.unwrap_or_default(),
            "attachment" => {
                let name = field.file_name().unwrap_or("").to_string();
                let content_type = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_string();
                let mut current = Upload {
                    name,
                    content_type,
                    data: Vec::new(),
                    size: 0,
                };
                let mut cut_off = false;
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            current.size += chunk.len();
                            if current.size <= limit {
                                current.data.extend_from_slice(&chunk);
                            }
                        }
                        Ok(None) => break,
                        Err(_) => {
                            cut_off = true;
                            break;
                        }
                    }
                }
                if cut_off {
                    current.size = current.size.max(limit + 1);
                }
                // An empty file input still sends a part, without a name.
                if !current.name.is_empty() || current.size > 0 {
                    form.upload = Some(current);
                }
                if cut_off {
                    break;
                }
            }
            _ => {}
        }
    }
    form
}

async fn reply(
    State(app): State<App>,
    SiteOf(site): SiteOf,
    current: SignedIn,
    TicketId(ticket_id): TicketId,
    multipart: Multipart,
) -> Answer {
    let ReplyForm {
        csrf,
        text,
        upload,
        unreadable,
    } = read_reply(multipart, app.policy.max_bytes).await;
    current.check_form(&csrf)?;
    let outcome = if unreadable {
        Err(ConversationError::AttachmentUnreadable)
    } else {
        conversations::reply(
            &app.workspace,
            &site.settings,
            &site.catalog,
            &app.policy,
            &current.customer.contact,
            &ticket_id,
            conversations::NewReply {
                text: text.clone(),
                upload,
            },
        )
        .await
    };
    if outcome.is_ok() {
        // The replier's own list is read again at once; everyone else's once the version is checked.
        app.tickets.forget(&current.customer);
        app.data.invalidate();
    }
    let error = match outcome {
        Ok(_) => {
            let url = format!(
                "/{}/{}",
                site.settings.slug,
                crate::site::encode::ticket_path_with(&ticket_id, "", "sent=1")
            );
            return Ok(see_other(&url));
        }
        Err(ConversationError::NotFound) => return Err(WebError::NotFound),
        Err(ConversationError::AccessDenied(_)) => return Err(WebError::AccessDenied),
        Err(error) => error,
    };
    let (status, retry_after) = match &error {
        ConversationError::AttachmentTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, None),
        ConversationError::AttachmentBlocked { .. } => (StatusCode::UNSUPPORTED_MEDIA_TYPE, None),
        ConversationError::Closed => (StatusCode::CONFLICT, None),
        ConversationError::Storage(error) => {
            log_not_saved("a reply", error);
            not_saved_status(error)
        }
        _ => (StatusCode::BAD_REQUEST, None),
    };
    let message = conversation_message(&site, &error);
    let mut response = ticket_response(
        &app,
        &site,
        &current,
        &ticket_id,
        TicketExtras {
            status,
            reply_text: text,
            error: Some(message),
            notice: None,
        },
    )
    .await?;
    if let Some((name, value)) = retry_after {
        response.headers_mut().insert(name, value);
    }
    Ok(response)
}

/// "Close ticket" (portal-rules.md 10.3): a signed-in, CSRF-protected POST. Anyone else's ticket, or a
/// ticket without a close action, answers as one that does not exist; a closed one with 409.
async fn close(
    State(app): State<App>,
    SiteOf(site): SiteOf,
    current: SignedIn,
    TicketId(ticket_id): TicketId,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Answer {
    current.check_form(form.get("csrf").map_or("", String::as_str))?;
    let outcome = conversations::close(
        &app.workspace,
        &site.settings,
        &site.catalog,
        &current.customer.contact,
        &ticket_id,
    )
    .await;
    if outcome.is_ok() {
        app.tickets.forget(&current.customer);
        app.data.invalidate();
    }
    let error = match outcome {
        Ok(_) => {
            let url = format!(
                "/{}/{}",
                site.settings.slug,
                crate::site::encode::ticket_path_with(&ticket_id, "", "closed=1")
            );
            return Ok(see_other(&url));
        }
        Err(ConversationError::NotFound | ConversationError::CloseNotOffered(_)) => {
            return Err(WebError::NotFound)
        }
        Err(ConversationError::AccessDenied(_)) => return Err(WebError::AccessDenied),
        Err(error) => error,
    };
    let (status, retry_after) = match &error {
        ConversationError::Closed => (StatusCode::CONFLICT, None),
        ConversationError::Storage(error) => {
            log_not_saved("a close", error);
            not_saved_status(error)
        }
        _ => (StatusCode::BAD_REQUEST, None),
    };
    let message = conversation_message(&site, &error);
    let mut response = ticket_response(
        &app,
        &site,
        &current,
        &ticket_id,
        TicketExtras {
            status,
            reply_text: String::new(),
            error: Some(message),
            notice: None,
        },
    )
    .await?;
    if let Some((name, value)) = retry_after {
        response.headers_mut().insert(name, value);
    }
    Ok(response)
}

async fn attachment(
    State(app): State<App>,
    SiteOf(site): SiteOf,
    current: SignedIn,
    TicketId(ticket_id): TicketId,
    Path(path): Path<HashMap<String, String>>,
) -> Answer {
    let attachment_id: i64 = path
        .get("attachment")
        .and_then(|id| id.parse().ok())
        .ok_or(WebError::NotFound)?;
    let stored = customer::load_attachment(
        &app.workspace,
        &site.settings,
        &site.catalog,
        &current.customer,
        &ticket_id,
        attachment_id,
    )
    .await?;
    let content_type = HeaderValue::from_str(&stored.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let disposition = format!(
        "attachment; filename=\"{}\"",
        security::download_name(&stored.name)
    );
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).expect("a cleaned file name"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
        ],
        stored.data,
    )
        .into_response())
}
