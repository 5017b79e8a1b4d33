//! The support form (spec section 5): a signed-in customer submits it and lands on the new ticket.

use super::{conversation_message, log_not_saved, not_saved_status, see_other, Answer};
use crate::app::conversations::{self, ConversationError};
use crate::app::customer;
use crate::site::render::{self, Page};
use crate::web::extract::{SignedIn, SiteOf};
use crate::web::{App, WebError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Form, Router};
use std::collections::BTreeMap;

pub(super) fn routes() -> Router<App> {
    Router::new().route("/{slug}/new", get(form_page).post(form_submit))
}

async fn form_page(SiteOf(site): SiteOf, current: SignedIn) -> Answer {
    customer::may_use_portal(&site.settings, &site.catalog, &current.customer)?;
    let view = render::form_view(&site.settings, &site.catalog, &BTreeMap::new(), None);
    if view.fields.is_empty() {
        return Err(WebError::NotFound);
    }
    Ok(site.page(StatusCode::OK, &Page::Form(view), &current.frame))
}

async fn form_submit(
    State(app): State<App>,
    SiteOf(site): SiteOf,
    current: SignedIn,
    Form(mut values): Form<BTreeMap<String, String>>,
) -> Answer {
    let csrf = values.remove("csrf").unwrap_or_default();
    current.check_form(&csrf)?;
    let outcome = conversations::submit_form(
        &app.workspace,
        &site.settings,
        &site.catalog,
        &current.customer.contact,
        &values,
    )
    .await;
    if outcome.is_ok() {
        // The submitter's own list is read again at once; everyone else's once the version is checked.
        app.tickets.forget(&current.customer);
        app.data.invalidate();
    }
    let error = match outcome {
        Ok(ticket_id) => {
            let url = format!(
                "/{}/{}",
                site.settings.slug,
                crate::site::encode::ticket_path_with(&ticket_id, "", "submitted=1")
            );
            return Ok(see_other(&url));
        }
        Err(ConversationError::FormNotAvailable) => return Err(WebError::NotFound),
        Err(ConversationError::AccessDenied(_)) => return Err(WebError::AccessDenied),
        Err(error) => error,
    };
    // A submission that could not be saved is shown again with everything typed, like a refused one.
    let (status, retry_after) = match &error {
        ConversationError::Storage(error) => {
            log_not_saved("a support-form submission", error);
            not_saved_status(error)
        }
        _ => (StatusCode::BAD_REQUEST, None),
    };
    let view = render::form_view(
        &site.settings,
        &site.catalog,
        &values,
        Some(conversation_message(&site, &error)),
    );
    let mut response = site.page(status, &Page::Form(view), &current.frame);
    if let Some((name, value)) = retry_after {
        response.headers_mut().insert(name, value);
    }
    Ok(response)
}
