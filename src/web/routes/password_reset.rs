//! Links that let a customer choose a password (spec section 2): the invitation a listed contact is sent
//! (`/welcome`, which also confirms a self-registration) and the password reset (`/password-reset`).
//! Both end by signing the customer in.

use super::{account_message, login_again, open_session, shown_again, text, Answer, Params};
use crate::app::accounts::{self, AccountError, WelcomeLink};
use crate::site::render::{Frame, Page, ResetView};
use crate::storage::tokens::TokenPurpose;
use crate::web::extract::{SiteOf, Visitor};
use crate::web::site::Site;
use crate::web::{App, WebError};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/{slug}/welcome", get(welcome_page).post(welcome))
        .route(
            "/{slug}/password-reset",
            get(reset_request_page).post(reset_request),
        )
        .route(
            "/{slug}/password-reset/choose",
            get(reset_choose_page).post(reset_choose),
        )
}

fn reset_view(
    stage: &str,
    purpose: TokenPurpose,
    email: &str,
    token: &str,
    action: String,
) -> ResetView {
    ResetView {
        stage: stage.into(),
        purpose: purpose.as_str().into(),
        email: email.into(),
        token: token.into(),
        action,
        min_password: crate::domain::passwords::MIN_PASSWORD_LENGTH,
        error: None,
    }
}

/// The page for a password link (invitation or reset) that cannot be used.
fn invalid_link(site: &Site, frame: &Frame, purpose: TokenPurpose) -> Response {
    let view = reset_view("invalid", purpose, "", "", String::new());
    site.page(StatusCode::BAD_REQUEST, &Page::PasswordReset(view), frame)
}

async fn welcome_page(
    State(app): State<App>,
    SiteOf(site): SiteOf,
    visitor: Visitor,
    Query(params): Query<Params>,
) -> Answer {
    let frame = &visitor.frame;
    let token = params.get("token").cloned().unwrap_or_default();
    let outcome =
        accounts::open_welcome_link(&app.workspace, &site.settings, &site.catalog, &token).await;
    let response = match outcome {
        Ok(WelcomeLink::Confirmed(contact)) => {
            return Ok(open_session(&app, &site, &contact.id).await?)
        }
        Ok(WelcomeLink::ChoosePassword { email }) => {
            let view = reset_view(
                "choose",
                TokenPurpose::Invitation,
                &email,
                &token,
                format!("/{}/welcome", site.settings.slug),
            );
            site.page(StatusCode::OK, &Page::PasswordReset(view), frame)
        }
        Err(AccountError::AccessDenied(_)) => {
            site.page(StatusCode::FORBIDDEN, &Page::AccessDenied, frame)
        }
        Err(AccountError::Storage(error)) => return Err(error.into()),
        Err(_) => invalid_link(&site, frame, TokenPurpose::Invitation),
    };
    Ok(visitor.keep(response))
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

/// Sets a password through a link of `purpose` and signs the customer in.
async fn set_password(
    app: &App,
    site: &Site,
    visitor: &Visitor,
    form: &PasswordForm,
    purpose: TokenPurpose,
    action: String,
) -> Answer {
    visitor.check_form(&form.csrf)?;
    let frame = &visitor.frame;
    let outcome = accounts::set_password_with_link(
        &app.workspace,
        &site.settings,
        &site.catalog,
        &form.token,
        purpose,
        &form.password,
    )
    .await;
    if outcome.is_ok() {
        // The contact's other sessions ended with the password change.
        app.sessions.clear();
    }
    let response = match outcome {
        // The password is set; only the session could not be started: signing in works now.
        Ok(contact) => match open_session(app, site, &contact.id).await {
            Ok(response) => return Ok(response),
            Err(error) => login_again(site, frame, &contact.email, &error),
        },
        Err(AccountError::AccessDenied(_)) => {
            site.page(StatusCode::FORBIDDEN, &Page::AccessDenied, frame)
        }
        // The link is still unused: the same form again, to choose the password in a moment.
        Err(AccountError::Storage(error)) => {
            let mut view = choose_again(app, form, purpose, action).await;
            view.error = Some(text(site, "error.try_again"));
            let page = Page::PasswordReset(view);
            shown_again(site, &page, frame, "a new password", &error)
        }
        Err(AccountError::InvalidLink) => invalid_link(site, frame, purpose),
        Err(error) => {
            let mut view = choose_again(app, form, purpose, action).await;
            view.error = Some(account_message(site, &error));
            site.page(StatusCode::BAD_REQUEST, &Page::PasswordReset(view), frame)
        }
    };
    Ok(visitor.keep(response))
}

/// The form for choosing a password through the link `form` came from, to show again.
async fn choose_again(
    app: &App,
    form: &PasswordForm,
    purpose: TokenPurpose,
    action: String,
) -> ResetView {
    let email = accounts::link_email(&app.workspace, &form.token, purpose)
        .await
        .unwrap_or_default();
    reset_view("choose", purpose, &email, &form.token, action)
}

async fn welcome(
    State(app): State<App>,
    SiteOf(site): SiteOf,
    visitor: Visitor,
    Form(form): Form<PasswordForm>,
) -> Answer {
    let action = format!("/{}/welcome", site.settings.slug);
    set_password(
        &app,
        &site,
        &visitor,
        &form,
        TokenPurpose::Invitation,
        action,
    )
    .await
}

async fn reset_request_page(SiteOf(site): SiteOf, visitor: Visitor) -> Answer {
    let view = reset_view(
        "request",
        TokenPurpose::PasswordReset,
        "",
        "",
        String::new(),
    );
    Ok(visitor.keep(site.page(StatusCode::OK, &Page::PasswordReset(view), &visitor.frame)))
}

#[derive(Deserialize)]
struct EmailForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

async fn reset_request(
    State(app): State<App>,
    SiteOf(site): SiteOf,
    visitor: Visitor,
    Form(form): Form<EmailForm>,
) -> Answer {
    visitor.check_form(&form.csrf)?;
    match accounts::request_password_reset(
        &app.workspace,
        &site.settings,
        &site.catalog,
        &app.origin,
        &form.email,
    )
    .await
    {
        Ok(()) => {}
        // The address kept, to ask again in a moment.
        Err(AccountError::Storage(error)) => {
            let mut view = reset_view(
                "request",
                TokenPurpose::PasswordReset,
                &form.email,
                "",
                String::new(),
            );
            view.error = Some(text(&site, "error.try_again"));
            let page = Page::PasswordReset(view);
            let response = shown_again(&site, &page, &visitor.frame, "a reset request", &error);
            return Ok(visitor.keep(response));
        }
        Err(error) => return Err(WebError::internal(error)),
    }
    // The same answer whether or not the address has an account.
    let view = reset_view(
        "sent",
        TokenPurpose::PasswordReset,
        form.email.trim(),
        "",
        String::new(),
    );
    Ok(visitor.keep(site.page(StatusCode::OK, &Page::PasswordReset(view), &visitor.frame)))
}

async fn reset_choose_page(
    State(app): State<App>,
    SiteOf(site): SiteOf,
    visitor: Visitor,
    Query(params): Query<Params>,
) -> Answer {
    let frame = &visitor.frame;
    let token = params.get("token").cloned().unwrap_or_default();
    let response =
        match accounts::link_email(&app.workspace, &token, TokenPurpose::PasswordReset).await {
            Ok(email) => {
                let view = reset_view(
                    "choose",
                    TokenPurpose::PasswordReset,
                    &email,
                    &token,
                    format!("/{}/password-reset/choose", site.settings.slug),
                );
                site.page(StatusCode::OK, &Page::PasswordReset(view), frame)
            }
            Err(AccountError::Storage(error)) => return Err(error.into()),
            Err(_) => invalid_link(&site, frame, TokenPurpose::PasswordReset),
        };
    Ok(visitor.keep(response))
}

async fn reset_choose(
    State(app): State<App>,
    SiteOf(site): SiteOf,
    visitor: Visitor,
    Form(form): Form<PasswordForm>,
) -> Answer {
    let action = format!("/{}/password-reset/choose", site.settings.slug);
    set_password(
        &app,
        &site,
        &visitor,
        &form,
        TokenPurpose::PasswordReset,
        action,
    )
    .await
}
