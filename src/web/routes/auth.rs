//! Signing in (password or single sign-on), signing out and self-registration (spec section 2).

use super::{account_message, login_again, open_session, shown_again, text, Answer, Params};
use crate::app::accounts::{self, AccountError, Registration};
use crate::domain::rules;
use crate::site::render::{self, Frame, Page};
use crate::web::extract::{ClientAddress, SignedIn, SiteOf, Visitor};
use crate::web::security::{self, cookie, SESSION_COOKIE};
use crate::web::App;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/{slug}/login", get(login_page).post(login))
        .route("/{slug}/logout", post(logout))
        .route("/{slug}/sso", get(sso))
        .route("/{slug}/register", get(register_page).post(register))
}

async fn login_page(
    SiteOf(site): SiteOf,
    visitor: Visitor,
    Query(params): Query<Params>,
) -> Answer {
    let notice = if params.contains_key("expired") {
        Some(text(&site, "login.expired"))
    } else {
        None
    };
    let page = Page::Login(render::login_view(&site.settings, "", None, notice));
    Ok(visitor.keep(site.page(StatusCode::OK, &page, &visitor.frame)))
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn login(
    State(app): State<App>,
    SiteOf(site): SiteOf,
    visitor: Visitor,
    ClientAddress(client): ClientAddress,
    Form(form): Form<LoginForm>,
) -> Answer {
    visitor.check_form(&form.csrf)?;
    let outcome = accounts::sign_in_with_password(
        &app.workspace,
        &site.settings,
        &site.catalog,
        &app.throttle,
        Some(client),
        &form.email,
        &form.password,
    )
    .await;
    // A sign-in that cannot be written (the workspace busy, a write error) keeps the address typed.
    let error = match outcome {
        Ok(contact) => {
            return match open_session(&app, &site, &contact.id).await {
                Ok(response) => Ok(response),
                Err(error) => {
                    Ok(visitor.keep(login_again(&site, &visitor.frame, &form.email, &error)))
                }
            }
        }
        Err(AccountError::AccessDenied(_)) => {
            return Ok(site.page(StatusCode::FORBIDDEN, &Page::AccessDenied, &visitor.frame))
        }
        Err(AccountError::Storage(error)) => {
            return Ok(visitor.keep(login_again(&site, &visitor.frame, &form.email, &error)))
        }
        Err(error) => error,
    };
    let status = match error {
        AccountError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::UNAUTHORIZED,
    };
    let page = Page::Login(render::login_view(
        &site.settings,
        &form.email,
        Some(account_message(&site, &error)),
        None,
    ));
    Ok(visitor.keep(site.page(status, &page, &visitor.frame)))
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(app): State<App>,
    SiteOf(site): SiteOf,
    current: Option<SignedIn>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Answer {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        if let Some(current) = &current {
            current.check_form(&form.csrf)?;
        }
        app.sessions.forget(&token);
        app.workspace.end_session(&token).await?;
    }
    let mut response = site.page(StatusCode::OK, &Page::SignedOut, &Frame::default());
    response
        .headers_mut()
        .append(header::SET_COOKIE, security::clear_cookie(SESSION_COOKIE));
    Ok(response)
}

async fn sso(State(app): State<App>, SiteOf(site): SiteOf, Query(params): Query<Params>) -> Answer {
    let token = params
        .get("jwt")
        .or_else(|| params.get("token"))
        .cloned()
        .unwrap_or_default();
    match accounts::sign_in_with_jwt(&app.workspace, &site.settings, &site.catalog, &token).await {
        Ok(contact) => Ok(open_session(&app, &site, &contact.id).await?),
        Err(AccountError::AccessDenied(_)) => Ok(site.page(
            StatusCode::FORBIDDEN,
            &Page::AccessDenied,
            &Frame::default(),
        )),
        Err(AccountError::Storage(error)) => Err(error.into()),
        Err(error) => {
            let page = Page::Login(render::login_view(
                &site.settings,
                "",
                Some(account_message(&site, &error)),
                None,
            ));
            Ok(site.page(StatusCode::UNAUTHORIZED, &page, &Frame::default()))
        }
    }
}

async fn register_page(SiteOf(site): SiteOf, visitor: Visitor) -> Answer {
    if !rules::registration_open(&site.settings) {
        return Ok(site.page(StatusCode::FORBIDDEN, &Page::AccessDenied, &visitor.frame));
    }
    let page = Page::Register(render::register_view(
        &site.settings,
        "",
        false,
        false,
        None,
    ));
    Ok(visitor.keep(site.page(StatusCode::OK, &page, &visitor.frame)))
}

#[derive(Deserialize)]
struct RegisterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    consent: Option<String>,
}

async fn register(
    State(app): State<App>,
    SiteOf(site): SiteOf,
    visitor: Visitor,
    Form(form): Form<RegisterForm>,
) -> Answer {
    visitor.check_form(&form.csrf)?;
    let registration = Registration {
        email: &form.email,
        password: &form.password,
        consent: form.consent.is_some(),
    };
    let outcome =
        accounts::register(&app.workspace, &site.settings, &app.origin, &registration).await;
    let (status, page) = match outcome {
        Ok(()) => (
            StatusCode::OK,
            render::register_view(&site.settings, form.email.trim(), true, true, None),
        ),
        Err(AccountError::RegistrationClosed) => {
            return Ok(site.page(StatusCode::FORBIDDEN, &Page::AccessDenied, &visitor.frame))
        }
        // Kept as typed (never the password), to send again in a moment.
        Err(AccountError::Storage(error)) => {
            let view = render::register_view(
                &site.settings,
                &form.email,
                registration.consent,
                false,
                Some(text(&site, "error.try_again")),
            );
            let page = Page::Register(view);
            let response = shown_again(&site, &page, &visitor.frame, "a registration", &error);
            return Ok(visitor.keep(response));
        }
        Err(error) => (
            StatusCode::BAD_REQUEST,
            render::register_view(
                &site.settings,
                &form.email,
                registration.consent,
                false,
                Some(account_message(&site, &error)),
            ),
        ),
    };
    Ok(visitor.keep(site.page(status, &Page::Register(page), &visitor.frame)))
}
