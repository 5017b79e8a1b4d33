//! The portal's routes. Each handler reads its input, calls one engine operation and renders the answer;
//! refusals the customer can fix (a wrong password, a missing field, a refused attachment) re-render the
//! form with the message and what was typed, everything else becomes a `WebError`.

use super::cache::KnownSession;
use super::security::{self, cookie, FORM_COOKIE, SESSION_COOKIE};
use super::site::Site;
use super::{error_pages, App, WebError};
use crate::app::accounts::{self, AccountError, Registration, WelcomeLink};
use crate::app::conversations::{self, ConversationError, Upload};
use crate::app::customer::{self, Customer};
use crate::domain::i18n;
use crate::domain::rules;
use crate::site::pages::ListQuery;
use crate::site::render::{self, Frame, Page, ResetView, TicketView, Viewer};
use crate::storage::sessions::new_token;
use crate::storage::tokens::TokenPurpose;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

type Params = HashMap<String, String>;
type Answer = Result<Response, WebError>;

pub(crate) fn router(app: App) -> Router {
    // Room for the largest accepted attachment and the rest of the form; past that the upload is cut off
    // and refused with the typed text kept.
    let reply_limit = app.policy.max_bytes.saturating_mul(2) + 1024 * 1024;
    Router::new()
        .route("/", get(root))
        .route("/healthz", get(|| async { "ok" }))
        .route("/{slug}", get(list))
        .route("/{slug}/login", get(login_page).post(login))
        .route("/{slug}/logout", post(logout))
        .route("/{slug}/register", get(register_page).post(register))
        .route("/{slug}/welcome", get(welcome_page).post(welcome))
        .route(
            "/{slug}/password-reset",
            get(reset_request_page).post(reset_request),
        )
        .route(
            "/{slug}/password-reset/choose",
            get(reset_choose_page).post(reset_choose),
        )
        .route("/{slug}/sso", get(sso))
        .route("/{slug}/new", get(form_page).post(form_submit))
        .route("/{slug}/assets/{asset}", get(asset))
        .route("/{slug}/knowledge-base", get(knowledge_base))
        .route("/{slug}/{ticket}", get(ticket))
        .route(
            "/{slug}/{ticket}/reply",
            post(reply).layer(DefaultBodyLimit::max(reply_limit)),
        )
        .route("/{slug}/{ticket}/attachments/{attachment}", get(attachment))
        .fallback(|| async { WebError::NotFound })
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            error_pages,
        ))
        // Outside `error_pages`, so a failure's log line falls inside its request's span.
        .layer(super::trace::layer())
        .with_state(app)
}

/// The portal's site for a request to `slug`: not found under another slug, not available while off.
async fn site(app: &App, slug: &str) -> Result<Arc<Site>, WebError> {
    let site = app.sites.get().await?;
    if site.settings.slug != slug {
        return Err(WebError::NotFound);
    }
    if !site.settings.enabled {
        return Err(WebError::NotAvailable);
    }
    Ok(site)
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

fn with_cookie(mut response: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The form token for a visitor who is not signed in, and the cookie to set if they have none yet.
fn visitor_frame(app: &App, headers: &HeaderMap) -> (Frame, Option<HeaderValue>) {
    match cookie(headers, FORM_COOKIE) {
        Some(value) => (
            Frame {
                viewer: None,
                csrf: app.forms.token(&value),
            },
            None,
        ),
        None => {
            let value = new_token();
            (
                Frame {
                    viewer: None,
                    csrf: app.forms.token(&value),
                },
                Some(security::set_cookie(FORM_COOKIE, &value)),
            )
        }
    }
}

fn check_visitor_form(app: &App, headers: &HeaderMap, token: &str) -> Result<(), WebError> {
    if app
        .forms
        .verify(cookie(headers, FORM_COOKIE).as_deref(), token)
    {
        Ok(())
    } else {
        Err(WebError::FormExpired)
    }
}

/// A signed-in customer and the frame their pages carry.
struct SignedIn {
    customer: Arc<Customer>,
    frame: Frame,
}

async fn signed_in(app: &App, site: &Site, headers: &HeaderMap) -> Result<SignedIn, WebError> {
    let token =
        cookie(headers, SESSION_COOKIE).ok_or(WebError::SignInRequired { expired: false })?;
    let idle_minutes = site.settings.idle_timeout_minutes;
    let verify = {
        let (app, token) = (app.clone(), token.clone());
        move || async move { verify_session(&app, &token, idle_minutes).await }
    };
    let known = app
        .sessions
        .get_or_verify(&token, idle_minutes, verify)
        .await?
        .ok_or(WebError::SignInRequired { expired: true })?;
    let frame = Frame {
        viewer: Some(Viewer {
            name: known.customer.contact.display_name(),
            email: known.customer.contact.email.clone(),
        }),
        csrf: known.csrf,
    };
    Ok(SignedIn {
        customer: known.customer,
        frame,
    })
}

/// The session for `token` as the workspace has it (marking it seen), with its customer; None when it
/// is unknown, ended or idle too long, or its contact is gone.
async fn verify_session(
    app: &App,
    token: &str,
    idle_minutes: u32,
) -> Result<Option<KnownSession>, WebError> {
    let Some(session) = app.workspace.touch_session(token, idle_minutes).await? else {
        return Ok(None);
    };
    let Some(customer) = customer::by_id(&app.workspace, &session.contact_id).await? else {
        return Ok(None);
    };
    Ok(Some(KnownSession {
        csrf: session.csrf_token,
        customer: Arc::new(customer),
        last_seen_at: session.last_seen_at,
    }))
}

fn check_session_form(signed_in: &SignedIn, token: &str) -> Result<(), WebError> {
    if security::same(&signed_in.frame.csrf, token) {
        Ok(())
    } else {
        Err(WebError::FormExpired)
    }
}

/// Starts a session for the contact and sends them to their tickets.
async fn open_session(app: &App, site: &Site, contact_id: &str) -> Answer {
    let (token, _) = app.workspace.start_session(contact_id).await?;
    Ok(with_cookie(
        see_other(&format!("/{}", site.settings.slug)),
        Some(security::set_cookie(SESSION_COOKIE, &token)),
    ))
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
        AccountError::Storage(_) => text(site, "error.text"),
    }
}

fn conversation_message(site: &Site, error: &ConversationError) -> String {
    match error {
        ConversationError::Closed => text(site, "detail.closed"),
        ConversationError::EmptyReply => text(site, "error.empty_reply"),
        ConversationError::AttachmentTooLarge { limit_mb } => format(
            site,
            "error.attachment_too_large",
            &[("size", &limit_mb.to_string())],
        ),
        ConversationError::AttachmentBlocked { name } => {
            format(site, "error.attachment_blocked", &[("name", name)])
        }
        ConversationError::NoInbox => text(site, "error.no_inbox"),
        ConversationError::FormNotAvailable => text(site, "error.form_not_available"),
        ConversationError::MissingFields(fields) => format(
            site,
            "error.missing_fields",
            &[("fields", &fields.join(", "))],
        ),
        ConversationError::NotFound
        | ConversationError::AccessDenied(_)
        | ConversationError::Storage(_) => text(site, "error.text"),
    }
}

async fn root(State(app): State<App>) -> Answer {
    let site = app.sites.get().await?;
    Ok(see_other(&format!("/{}", site.settings.slug)))
}

// ---- Signing in and out ----

async fn login_page(
    State(app): State<App>,
    Path(slug): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Answer {
    let site = site(&app, &slug).await?;
    let notice = if params.contains_key("expired") {
        Some(text(&site, "login.expired"))
    } else {
        None
    };
    let (frame, set) = visitor_frame(&app, &headers);
    let page = Page::Login(render::login_view(&site.settings, "", None, notice));
    Ok(with_cookie(site.page(StatusCode::OK, &page, &frame), set))
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
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Answer {
    let site = site(&app, &slug).await?;
    check_visitor_form(&app, &headers, &form.csrf)?;
    let (frame, set) = visitor_frame(&app, &headers);
    let outcome = accounts::sign_in_with_password(
        &app.workspace,
        &site.settings,
        &site.catalog,
        &app.throttle,
        &form.email,
        &form.password,
    )
    .await;
    let error = match outcome {
        Ok(contact) => return open_session(&app, &site, &contact.id).await,
        Err(AccountError::AccessDenied(_)) => {
            return Ok(site.page(StatusCode::FORBIDDEN, &Page::AccessDenied, &frame))
        }
        Err(AccountError::Storage(error)) => return Err(error.into()),
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
    Ok(with_cookie(site.page(status, &page, &frame), set))
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(app): State<App>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Answer {
    let site = site(&app, &slug).await?;
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        if let Ok(current) = signed_in(&app, &site, &headers).await {
            check_session_form(&current, &form.csrf)?;
        }
        app.sessions.forget(&token);
        app.workspace.end_session(&token).await?;
    }
    let response = site.page(StatusCode::OK, &Page::SignedOut, &Frame::default());
    Ok(with_cookie(
        response,
        Some(security::clear_cookie(SESSION_COOKIE)),
    ))
}

async fn sso(
    State(app): State<App>,
    Path(slug): Path<String>,
    Query(params): Query<Params>,
) -> Answer {
    let site = site(&app, &slug).await?;
    let token = params
        .get("jwt")
        .or_else(|| params.get("token"))
        .cloned()
        .unwrap_or_default();
    match accounts::sign_in_with_jwt(&app.workspace, &site.settings, &site.catalog, &token).await {
        Ok(contact) => open_session(&app, &site, &contact.id).await,
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

// ---- Registration, invitations and password reset ----

async fn register_page(
    State(app): State<App>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let site = site(&app, &slug).await?;
    let (frame, set) = visitor_frame(&app, &headers);
    if !rules::registration_open(&site.settings) {
        return Ok(site.page(StatusCode::FORBIDDEN, &Page::AccessDenied, &frame));
    }
    let page = Page::Register(render::register_view(
        &site.settings,
        "",
        false,
        false,
        None,
    ));
    Ok(with_cookie(site.page(StatusCode::OK, &page, &frame), set))
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
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<RegisterForm>,
) -> Answer {
    let site = site(&app, &slug).await?;
    check_visitor_form(&app, &headers, &form.csrf)?;
    let (frame, set) = visitor_frame(&app, &headers);
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
            return Ok(site.page(StatusCode::FORBIDDEN, &Page::AccessDenied, &frame))
        }
        Err(AccountError::Storage(error)) => return Err(error.into()),
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
    Ok(with_cookie(
        site.page(status, &Page::Register(page), &frame),
        set,
    ))
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
    Path(slug): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Answer {
    let site = site(&app, &slug).await?;
    let (frame, set) = visitor_frame(&app, &headers);
    let token = params.get("token").cloned().unwrap_or_default();
    let outcome =
        accounts::open_welcome_link(&app.workspace, &site.settings, &site.catalog, &token).await;
    let response = match outcome {
        Ok(WelcomeLink::Confirmed(contact)) => return open_session(&app, &site, &contact.id).await,
        Ok(WelcomeLink::ChoosePassword { email }) => {
            let view = reset_view(
                "choose",
                TokenPurpose::Invitation,
                &email,
                &token,
                format!("/{}/welcome", site.settings.slug),
            );
            site.page(StatusCode::OK, &Page::PasswordReset(view), &frame)
        }
        Err(AccountError::AccessDenied(_)) => {
            site.page(StatusCode::FORBIDDEN, &Page::AccessDenied, &frame)
        }
        Err(AccountError::Storage(error)) => return Err(error.into()),
        Err(_) => invalid_link(&site, &frame, TokenPurpose::Invitation),
    };
    Ok(with_cookie(response, set))
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
    headers: &HeaderMap,
    form: &PasswordForm,
    purpose: TokenPurpose,
    action: String,
) -> Answer {
    check_visitor_form(app, headers, &form.csrf)?;
    let (frame, set) = visitor_frame(app, headers);
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
        Ok(contact) => return open_session(app, site, &contact.id).await,
        Err(AccountError::AccessDenied(_)) => {
            site.page(StatusCode::FORBIDDEN, &Page::AccessDenied, &frame)
        }
        Err(AccountError::Storage(error)) => return Err(error.into()),
        Err(AccountError::InvalidLink) => invalid_link(site, &frame, purpose),
        Err(error) => {
            let email = accounts::link_email(&app.workspace, &form.token, purpose)
                .await
                .unwrap_or_default();
            let mut view = reset_view("choose", purpose, &email, &form.token, action);
            view.error = Some(account_message(site, &error));
            site.page(StatusCode::BAD_REQUEST, &Page::PasswordReset(view), &frame)
        }
    };
    Ok(with_cookie(response, set))
}

async fn welcome(
    State(app): State<App>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Answer {
    let site = site(&app, &slug).await?;
    let action = format!("/{}/welcome", site.settings.slug);
    set_password(
        &app,
        &site,
        &headers,
        &form,
        TokenPurpose::Invitation,
        action,
    )
    .await
}

async fn reset_request_page(
    State(app): State<App>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let site = site(&app, &slug).await?;
    let (frame, set) = visitor_frame(&app, &headers);
    let view = reset_view(
        "request",
        TokenPurpose::PasswordReset,
        "",
        "",
        String::new(),
    );
    Ok(with_cookie(
        site.page(StatusCode::OK, &Page::PasswordReset(view), &frame),
        set,
    ))
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
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<EmailForm>,
) -> Answer {
    let site = site(&app, &slug).await?;
    check_visitor_form(&app, &headers, &form.csrf)?;
    let (frame, set) = visitor_frame(&app, &headers);
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
        Err(AccountError::Storage(error)) => return Err(error.into()),
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
    Ok(with_cookie(
        site.page(StatusCode::OK, &Page::PasswordReset(view), &frame),
        set,
    ))
}

async fn reset_choose_page(
    State(app): State<App>,
    Path(slug): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Answer {
    let site = site(&app, &slug).await?;
    let (frame, set) = visitor_frame(&app, &headers);
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
                site.page(StatusCode::OK, &Page::PasswordReset(view), &frame)
            }
            Err(AccountError::Storage(error)) => return Err(error.into()),
            Err(_) => invalid_link(&site, &frame, TokenPurpose::PasswordReset),
        };
    Ok(with_cookie(response, set))
}

async fn reset_choose(
    State(app): State<App>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Answer {
    let site = site(&app, &slug).await?;
    let action = format!("/{}/password-reset/choose", site.settings.slug);
    set_password(
        &app,
        &site,
        &headers,
        &form,
        TokenPurpose::PasswordReset,
        action,
    )
    .await
}

// ---- Tickets ----

async fn list(
    State(app): State<App>,
    Path(slug): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Answer {
    let site = site(&app, &slug).await?;
    let current = signed_in(&app, &site, &headers).await?;
    let query = ListQuery::parse(&params);
    let read = {
        let (app, customer) = (app.clone(), current.customer.clone());
        move || async move {
            let tickets = customer::related_tickets(&app.workspace, &customer).await?;
            Ok::<_, WebError>(Arc::new(tickets))
        }
    };
    let tickets = app.tickets.get_or_read(&current.customer, read).await?;
    let list = customer::list_page(
        &site.settings,
        &site.catalog,
        &current.customer,
        &tickets,
        &query,
    )?;
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
    Path((slug, ticket_id)): Path<(String, String)>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Answer {
    let site = site(&app, &slug).await?;
    let current = signed_in(&app, &site, &headers).await?;
    let notice = if params.contains_key("sent") {
        Some(text(&site, "detail.sent"))
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

/// Reads the reply form: token, text and the optional file. Bytes past the attachment limit are counted
/// but not kept; a body cut off at the server's limit counts as an attachment that is too large.
async fn read_reply(mut multipart: Multipart, limit: usize) -> (String, String, Option<Upload>) {
    let (mut csrf, mut text, mut upload) = (String::new(), String::new(), None);
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                if let Some(Upload { size, .. }) = upload.as_mut() {
                    *size = (*size).max(limit + 1);
                }
                break;
            }
        };
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "text" => text = field.text().await.unwrap_or_default(),
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
                    upload = Some(current);
                }
                if cut_off {
                    break;
                }
            }
            _ => {}
        }
    }
    (csrf, text, upload)
}

async fn reply(
    State(app): State<App>,
    Path((slug, ticket_id)): Path<(String, String)>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Answer {
    let site = site(&app, &slug).await?;
    let current = signed_in(&app, &site, &headers).await?;
    let (csrf, text, upload) = read_reply(multipart, app.policy.max_bytes).await;
    check_session_form(&current, &csrf)?;
    let outcome = conversations::reply(
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
    .await;
    if outcome.is_ok() {
        app.tickets.clear();
    }
    let error = match outcome {
        Ok(_) => {
            let url = format!(
                "/{}/{}?sent=1",
                site.settings.slug,
                crate::site::encode::percent_encode(&ticket_id)
            );
            return Ok(see_other(&url));
        }
        Err(ConversationError::NotFound) => return Err(WebError::NotFound),
        Err(ConversationError::AccessDenied(_)) => return Err(WebError::AccessDenied),
        Err(ConversationError::Storage(error)) => return Err(error.into()),
        Err(error) => error,
    };
    let status = match error {
        ConversationError::AttachmentTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        ConversationError::AttachmentBlocked { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ConversationError::Closed => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    };
    let message = conversation_message(&site, &error);
    ticket_response(
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
    .await
}

async fn attachment(
    State(app): State<App>,
    Path((slug, ticket_id, attachment_id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Answer {
    let site = site(&app, &slug).await?;
    let current = signed_in(&app, &site, &headers).await?;
    let attachment_id: i64 = attachment_id.parse().map_err(|_| WebError::NotFound)?;
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

// ---- Support form ----

async fn form_page(State(app): State<App>, Path(slug): Path<String>, headers: HeaderMap) -> Answer {
    let site = site(&app, &slug).await?;
    let current = signed_in(&app, &site, &headers).await?;
    customer::may_use_portal(&site.settings, &site.catalog, &current.customer)?;
    let view = render::form_view(&site.settings, &site.catalog, &BTreeMap::new(), None);
    if view.fields.is_empty() {
        return Err(WebError::NotFound);
    }
    Ok(site.page(StatusCode::OK, &Page::Form(view), &current.frame))
}

async fn form_submit(
    State(app): State<App>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(mut values): Form<BTreeMap<String, String>>,
) -> Answer {
    let site = site(&app, &slug).await?;
    let current = signed_in(&app, &site, &headers).await?;
    let csrf = values.remove("csrf").unwrap_or_default();
    check_session_form(&current, &csrf)?;
    let outcome = conversations::submit_form(
        &app.workspace,
        &site.settings,
        &site.catalog,
        &current.customer.contact,
        &values,
    )
    .await;
    if outcome.is_ok() {
        app.tickets.clear();
    }
    let error = match outcome {
        Ok(ticket_id) => {
            let url = format!(
                "/{}/{}?submitted=1",
                site.settings.slug,
                crate::site::encode::percent_encode(&ticket_id)
            );
            return Ok(see_other(&url));
        }
        Err(ConversationError::FormNotAvailable) => return Err(WebError::NotFound),
        Err(ConversationError::AccessDenied(_)) => return Err(WebError::AccessDenied),
        Err(ConversationError::Storage(error)) => return Err(error.into()),
        Err(error) => error,
    };
    let view = render::form_view(
        &site.settings,
        &site.catalog,
        &values,
        Some(conversation_message(&site, &error)),
    );
    Ok(site.page(StatusCode::BAD_REQUEST, &Page::Form(view), &current.frame))
}

// ---- Knowledge base ----

/// The published articles' titles, for everyone (the header links here only when the setting is on).
async fn knowledge_base(
    State(app): State<App>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let site = site(&app, &slug).await?;
    if !rules::knowledge_base_shown(&site.settings, &site.catalog) {
        return Err(WebError::NotFound);
    }
    let titles = site
        .catalog
        .kb_articles
        .iter()
        .filter(|article| article.published)
        .map(|article| article.title.clone())
        .collect();
    let frame = match signed_in(&app, &site, &headers).await {
        Ok(current) => current.frame,
        Err(_) => Frame::default(),
    };
    Ok(site.page(StatusCode::OK, &Page::KnowledgeBase(titles), &frame))
}

// ---- Branding assets ----

async fn asset(State(app): State<App>, Path((slug, asset)): Path<(String, String)>) -> Answer {
    use base64::Engine;
    let site = site(&app, &slug).await?;
    if asset == "theme.css" {
        return Ok((
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/css; charset=utf-8"),
                ),
                // The URL carries a version: a changed theme gets a new URL.
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=86400"),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            site.renderer.theme_css().to_string(),
        )
            .into_response());
    }
    let image = match asset.as_str() {
        "logo" => site.settings.branding.logo.as_ref(),
        "favicon" => site.settings.branding.favicon.as_ref(),
        _ => None,
    }
    .ok_or(WebError::NotFound)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&image.data_base64)
        .map_err(|_| WebError::NotFound)?;
    let content_type =
        HeaderValue::from_str(&image.content_type).map_err(|_| WebError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            // The URL carries a version: a changed image gets a new URL.
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            // An SVG opened on its own must not run scripts.
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
            ),
        ],
        bytes,
    )
        .into_response())
}
