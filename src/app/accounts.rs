//! Customer accounts of the portal (spec section 2): password sign-in with throttling, self-registration
//! confirmed by email, invitations for list contacts, password reset by single-use link, and JWT single
//! sign-on. Who may sign in is always decided by `rules::may_sign_in`, the same rule `portal view-as` uses;
//! this module adds the credentials around it. Emails go to the outbox in the portal's language. Answers
//! never reveal whether an address has an account (no account enumeration): unknown addresses cost the
//! same password check, and reset requests and registrations answer alike whatever the address.

use crate::domain::model::{Catalog, Contact};
use crate::domain::rules::{self, may_sign_in};
use crate::domain::settings::{AccessMode, JwtAlgorithm, Settings, SsoConfiguration};
use crate::domain::{email, i18n, passwords};
use crate::storage::tokens::{self, TokenPurpose};
use crate::storage::{contacts, logins, outbox, StorageError, Tx};
use crate::Workspace;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

pub const INVITATION_VALID_MINUTES: i64 = 7 * 24 * 60;
pub const CONFIRMATION_VALID_MINUTES: i64 = 24 * 60;
pub const RESET_VALID_MINUTES: i64 = 60;
/// At most this many registration emails (confirmations, "you already have an account") and, separately,
/// this many password-reset emails go to one address within `ACCOUNT_EMAIL_WINDOW_MINUTES`; further
/// requests answer the same but send nothing, so nobody can flood an address or the outbox.
pub const MAX_ACCOUNT_EMAILS_PER_WINDOW: usize = 3;
pub const ACCOUNT_EMAIL_WINDOW_MINUTES: i64 = 60;

/// Whether another email of `kind` may go to `address` now; logs the refusal. Runs inside the write
/// transaction that would queue it, so requests racing for the last place cannot both take it.
async fn may_email(connection: &mut Tx, address: &str, kind: &str) -> Result<bool, StorageError> {
    let since = chrono::Utc::now().timestamp_millis() - ACCOUNT_EMAIL_WINDOW_MINUTES * 60_000;
    let sent = outbox::sent_since_in(connection, address, kind, since).await?;
    if sent >= MAX_ACCOUNT_EMAILS_PER_WINDOW {
        tracing::warn!(
            kind,
            sent,
            "not sending another account email to this address within the window"
        );
        return Ok(false);
    }
    Ok(true)
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the email address or password is not correct")]
    InvalidCredentials,
    #[error("too many failed sign-ins; try again in {minutes} minutes")]
    Throttled { minutes: u64 },
    #[error("access denied: {0}")]
    AccessDenied(String),
    #[error("this portal signs customers in through single sign-on")]
    PasswordSignInDisabled,
    #[error("self-registration is not open on this portal")]
    RegistrationClosed,
    #[error("the consent box must be ticked to register")]
    ConsentRequired,
    #[error("\"{0}\" is not an email address")]
    InvalidEmail(String),
    #[error("{0}")]
    WeakPassword(String),
    #[error("this link is not valid: it was used already, has expired or was mistyped")]
    InvalidLink,
    #[error("single sign-on is not configured for this portal")]
    SsoNotConfigured,
    #[error("SAML sign-in is not yet supported")]
    SamlNotSupported,
    #[error("the sign-in token was refused: {0}")]
    InvalidToken(String),
    #[error("{sent} such emails went to this address within the last {minutes} minutes; try again later")]
    TooManyEmails { sent: usize, minutes: i64 },
    #[error("no contact has the id {0}")]
    UnknownContact(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

pub type Result<T, E = AccountError> = std::result::Result<T, E>;

/// Limits password attempts, both per account (the address typed) and per address of origin (the
/// client's IP as the server sees it, so spraying one guess over many accounts is limited too).
///
/// An attempt is counted *before* its password is checked, and the same step decides whether it may go
/// ahead, so simultaneous guesses cannot all pass a check made before any of them failed: at most the
/// limit of them is ever verified. A successful sign-in takes its own attempt back and clears the
/// account's earlier failures.
///
/// The account's count is kept in the workspace (`storage::logins`, one write transaction per attempt
/// that takes the lock up front): a lock survives a restart, holds for every server on the workspace,
/// and the desktop's Customers view shows it and can lift it (`unlock`). The count per address of
/// origin stays in this server's memory: it protects the running server from one sprayer, and
/// addresses are not something an administrator unlocks.
#[derive(Debug)]
pub struct LoginThrottle {
    origins: Mutex<HashMap<IpAddr, Vec<Instant>>>,
    per_account: usize,
    per_origin: usize,
    window: Duration,
}

/// Past this many addresses, those whose attempts are all older than the window are forgotten, so many
/// addresses cannot make the throttle hold unbounded memory.
const THROTTLE_PRUNE_AT: usize = 10_000;

impl Default for LoginThrottle {
    /// Five failures within fifteen minutes lock the account, fifty the address of origin, until the
    /// fifteen minutes since the first of them have passed (for the origin: since the oldest is that old).
    fn default() -> Self {
        LoginThrottle::new(5, 50, Duration::from_secs(15 * 60))
    }
}

/// One counted sign-in attempt. Dropping it leaves it counted as a failure; `succeeded` takes it back.
#[derive(Debug)]
pub struct LoginAttempt<'a> {
    throttle: &'a LoginThrottle,
    account: String,
    origin: Option<IpAddr>,
    at: Instant,
}

impl LoginAttempt<'_> {
    /// The password was right: the account's failures are forgotten (in the workspace) and this attempt
    /// no longer counts against the address of origin.
    pub async fn succeeded(self, workspace: &Workspace) -> Result<(), StorageError> {
        self.take_back_origin();
        let mut transaction = workspace.write().await?;
        logins::clear_in(&mut transaction, &self.account).await?;
        transaction.commit().await
    }

    fn take_back_origin(&self) {
        let Some(origin) = self.origin else { return };
        let mut origins = self.throttle.origins.lock().expect("throttle lock");
        if let Some(times) = origins.get_mut(&origin) {
            if let Some(at) = times.iter().position(|at| *at == self.at) {
                times.remove(at);
            }
        }
    }
}

/// Drops the times older than `window` and answers how long until a place frees when `times` is full.
fn full_for(
    times: &mut Vec<Instant>,
    limit: usize,
    window: Duration,
    now: Instant,
) -> Option<Duration> {
    times.retain(|at| now.duration_since(*at) < window);
    (times.len() >= limit).then(|| window.saturating_sub(now.duration_since(times[0])))
}

impl LoginThrottle {
    pub fn new(per_account: usize, per_origin: usize, window: Duration) -> Self {
        LoginThrottle {
            origins: Mutex::new(HashMap::new()),
            per_account: per_account.max(1),
            per_origin: per_origin.max(1),
            window,
        }
    }

    /// Counts an attempt on `account` from `origin` before its password is checked: the origin's here,
    /// the account's in the workspace. `Ok(Err(wait))`, with nothing counted, while the account or the
    /// origin is locked.
    pub async fn begin(
        &self,
        workspace: &Workspace,
        account: &str,
        origin: Option<IpAddr>,
    ) -> Result<std::result::Result<LoginAttempt<'_>, Duration>, StorageError> {
        let attempt = match self.begin_origin(account, origin) {
            Ok(attempt) => attempt,
            Err(wait) => return Ok(Err(wait)),
        };
        let limit = logins::AttemptLimit {
            attempts: i64::try_from(self.per_account).unwrap_or(i64::MAX),
            window_millis: i64::try_from(self.window.as_millis()).unwrap_or(i64::MAX),
        };
        let now = chrono::Utc::now().timestamp_millis();
        let counted = async {
            let mut transaction = workspace.write().await?;
            let counted = logins::count_attempt_in(&mut transaction, account, now, limit).await?;
            transaction.commit().await?;
            Ok::<_, StorageError>(counted)
        }
        .await;
        match counted {
            Ok(Ok(())) => Ok(Ok(attempt)),
            Ok(Err(until)) => {
                attempt.take_back_origin();
                let wait = u64::try_from(until - now).unwrap_or(0);
                Ok(Err(Duration::from_millis(wait)))
            }
            Err(error) => {
                attempt.take_back_origin();
                Err(error)
            }
        }
    }

    /// Counts the attempt against its address of origin, unless that address is locked.
    fn begin_origin(
        &self,
        account: &str,
        origin: Option<IpAddr>,
    ) -> std::result::Result<LoginAttempt<'_>, Duration> {
        let now = Instant::now();
        if let Some(origin) = origin {
            let mut origins = self.origins.lock().expect("throttle lock");
            if origins.len() > THROTTLE_PRUNE_AT {
                origins.retain(|_, times| {
                    times
                        .last()
                        .is_some_and(|at| now.duration_since(*at) < self.window)
                });
            }
            let times = origins.entry(origin).or_default();
            if let Some(wait) = full_for(times, self.per_origin, self.window, now) {
                return Err(wait);
            }
            times.push(now);
        }
        Ok(LoginAttempt {
            throttle: self,
            account: account.to_string(),
            origin,
            at: now,
        })
    }
}

/// Lifts the sign-in lock of the contact `contact_id` (an administrator's Unlock): their failed
/// attempts are forgotten, so the next sign-in is checked at once. Answers whether they had any.
pub async fn unlock(workspace: &Workspace, contact_id: &str) -> Result<bool> {
    let contact = workspace
        .contact(contact_id)
        .await?
        .ok_or_else(|| AccountError::UnknownContact(contact_id.to_string()))?;
    let mut transaction = workspace.write().await?;
    let had = logins::clear_in(&mut transaction, &throttle_key(&contact.email)).await?;
    transaction.commit().await?;
    tracing::info!(
        had_failures = had,
        "an administrator unlocked a contact's sign-in"
    );
    Ok(had)
}

/// Until when (milliseconds since the epoch) each locked account is locked, by the throttle's key of an
/// address (trimmed, lower-cased): what the Customers view shows.
pub async fn sign_in_locks(workspace: &Workspace) -> Result<HashMap<String, i64>> {
    Ok(workspace.locked_accounts().await?.into_iter().collect())
}

/// The key the throttle counts an address under: trimmed and lower-cased, as contacts' addresses match.
pub fn throttle_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Checked against when the address has no login, so that unknown addresses take as long as known ones.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| passwords::hash("not a password anyone has"));

async fn verify_password(password: &str, hash: Option<String>) -> bool {
    let password = password.to_string();
    // Argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.clone());
        passwords::verify(&password, &hash) && known
    })
    .await
    .unwrap_or(false)
}

async fn hash_password(password: &str) -> String {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || passwords::hash(&password))
        .await
        .expect("hashing does not panic")
}

fn access_check(settings: &Settings, catalog: &Catalog, contact: &Contact) -> Result<()> {
    may_sign_in(settings, catalog, contact)
        .into_result()
        .map_err(AccountError::AccessDenied)
}

/// Signs a customer in with email and password, from the client address `origin` (for the throttle).
/// A wrong password and an unknown address are the same error; a correct password of a contact who may
/// not use the portal is `AccessDenied`.
pub async fn sign_in_with_password(
    workspace: &Workspace,
    settings: &Settings,
    catalog: &Catalog,
    throttle: &LoginThrottle,
    origin: Option<IpAddr>,
    email: &str,
    password: &str,
) -> Result<Contact> {
    if settings.access.mode.uses_sso() {
        return Err(AccountError::PasswordSignInDisabled);
    }
    let attempt = throttle
        .begin(workspace, &throttle_key(email), origin)
        .await?
        .map_err(|wait| {
            tracing::warn!(origin = ?origin, "password sign-in refused: too many failed attempts");
            AccountError::Throttled {
                minutes: wait.as_secs().div_ceil(60).max(1),
            }
        })?;
    let contact = workspace.contact_by_email(email).await?;
    let hash = match &contact {
        Some(contact) => workspace.password_hash(&contact.id).await?,
        None => None,
    };
    if !verify_password(password, hash).await {
        tracing::info!(origin = ?origin, "password sign-in refused: wrong address or password");
        return Err(AccountError::InvalidCredentials);
    }
    attempt.succeeded(workspace).await?;
    let contact = contact.expect("a verified password belongs to a contact");
    access_check(settings, catalog, &contact)?;
    Ok(contact)
}

/// Where links in emails point: the portal's origin (scheme and host) and its slug.
fn link(origin: &str, settings: &Settings, path_and_query: &str) -> String {
    format!(
        "{}/{}/{path_and_query}",
        origin.trim_end_matches('/'),
        settings.slug
    )
}

/// The origin of the published portal, for emails written outside a running server.
pub fn public_origin(settings: &Settings) -> String {
    match &settings.domain {
        Some(domain) => format!("https://{domain}"),
        None => "http://localhost".into(),
    }
}

fn greeting_name(contact: &Contact) -> String {
    contact.short_name()
}

/// The subject and body of email `key` to `contact`, in the portal's language.
fn email_text(settings: &Settings, contact: &Contact, key: &str, link: &str) -> (String, String) {
    let language = settings.language.as_str();
    let values = [
        ("portal", settings.page_title.as_str()),
        ("name", &greeting_name(contact)),
        ("link", link),
    ];
    let subject = i18n::format(language, &format!("email.{key}.subject"), &values);
    let body = i18n::format(language, &format!("email.{key}.body"), &values);
    (subject, body)
}

async fn queue_email(
    connection: &mut Tx,
    settings: &Settings,
    kind: &str,
    contact: &Contact,
    key: &str,
    link: &str,
) -> Result<(), StorageError> {
    let (subject, body) = email_text(settings, contact, key, link);
    outbox::queue_in(
        connection,
        &outbox::NewEmail {
            kind,
            to_address: &contact.email,
            subject: &subject,
            body: &body,
            contact_id: Some(&contact.id),
            ticket_id: None,
        },
    )
    .await?;
    Ok(())
}

/// What a visitor types into the registration form.
pub struct Registration<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub consent: bool,
}

/// Self-registration. Nothing is signed in yet: a confirmation link goes to the address, and opening it
/// activates the chosen password, so nobody can take over someone else's email. When the address is an
/// existing contact's (who has tickets to protect), the registrant's password is never used: the link
/// asks the contact to choose a password of their own, so a registrant who is not the contact cannot
/// pre-claim the account and wait for the contact to click. An address that already has a login gets a
/// "you already have an account" email instead; the visitor sees the same answer in every case.
pub async fn register(
    workspace: &Workspace,
    settings: &Settings,
    origin: &str,
    registration: &Registration<'_>,
) -> Result<()> {
    if !rules::registration_open(settings) {
        return Err(AccountError::RegistrationClosed);
    }
    let email = registration.email.trim();
    if !email::is_valid(email) {
        return Err(AccountError::InvalidEmail(email.to_string()));
    }
    if let Some(problem) = passwords::weakness(registration.password) {
        return Err(AccountError::WeakPassword(problem));
    }
    if !registration.consent {
        return Err(AccountError::ConsentRequired);
    }
    let hash = hash_password(registration.password).await;
    let mut transaction = workspace.write().await?;
    if !may_email(&mut transaction, email, "registration").await? {
        return Ok(());
    }
    let (contact, existed) = match contacts::contact_by_email_in(&mut transaction, email).await? {
        Some(contact) => (contact, true),
        None => {
            let contact = Contact {
                id: format!("portal-{}", random_id()),
                email: email.to_string(),
                first_name: String::new(),
                last_name: String::new(),
                company: None,
                lists: Vec::new(),
                ..Contact::default()
            };
            contacts::insert_contact_in(&mut transaction, &contact).await?;
            (contact, false)
        }
    };
    if contacts::has_login_in(&mut transaction, &contact.id).await? {
        let login = link(origin, settings, "login");
        queue_email(
            &mut transaction,
            settings,
            "registration",
            &contact,
            "account_exists",
            &login,
        )
        .await?;
    } else {
        // An existing contact's link carries no password: whoever opens it chooses one.
        let (chosen, key) = if existed {
            tracing::info!(
                contact = %contact.id,
                "registration for an existing contact: the link asks them to choose a password"
            );
            (None, "claim")
        } else {
            (Some(hash.as_str()), "confirm")
        };
        let token = tokens::issue_in(
            &mut transaction,
            &contact.id,
            TokenPurpose::Invitation,
            CONFIRMATION_VALID_MINUTES,
            chosen,
        )
        .await?;
        let confirm = link(origin, settings, &format!("welcome?token={token}"));
        queue_email(
            &mut transaction,
            settings,
            "registration",
            &contact,
            key,
            &confirm,
        )
        .await?;
    }
    transaction.commit().await?;
    Ok(())
}

/// What opening a welcome link (invitation or registration confirmation) leads to.
#[derive(Debug)]
pub enum WelcomeLink {
    /// A registration confirmed: the chosen password is active and the contact can be signed in.
    Confirmed(Contact),
    /// An invitation: the contact still has to choose a password.
    ChoosePassword { email: String },
}

/// Opens a welcome link. A registration confirmation is consumed here; an invitation only when the
/// password is chosen (`accept_invitation`).
pub async fn open_welcome_link(
    workspace: &Workspace,
    settings: &Settings,
    catalog: &Catalog,
    token: &str,
) -> Result<WelcomeLink> {
    let mut transaction = workspace.write().await?;
    let found = tokens::find_in(&mut transaction, token, TokenPurpose::Invitation)
        .await?
        .ok_or(AccountError::InvalidLink)?;
    let contact = workspace
        .contact(&found.contact_id)
        .await?
        .ok_or(AccountError::InvalidLink)?;
    let Some(hash) = found.password_hash else {
        return Ok(WelcomeLink::ChoosePassword {
            email: contact.email,
        });
    };
    tokens::consume_in(&mut transaction, token, TokenPurpose::Invitation).await?;
    contacts::set_password_hash_in(&mut transaction, &contact.id, &hash).await?;
    transaction.commit().await?;
    access_check(settings, catalog, &contact)?;
    Ok(WelcomeLink::Confirmed(contact))
}

/// The address a password link (invitation or reset) was sent to, if the link is usable.
pub async fn link_email(
    workspace: &Workspace,
    token: &str,
    purpose: TokenPurpose,
) -> Result<String> {
    let found = workspace
        .find_token(token, purpose)
        .await?
        .ok_or(AccountError::InvalidLink)?;
    Ok(workspace
        .contact(&found.contact_id)
        .await?
        .ok_or(AccountError::InvalidLink)?
        .email)
}

/// Sets the password through a single-use link (invitation or reset) and answers the contact to sign in.
/// The link is consumed only when the password is acceptable, and every older session of the contact ends.
pub async fn set_password_with_link(
    workspace: &Workspace,
    settings: &Settings,
    catalog: &Catalog,
    token: &str,
    purpose: TokenPurpose,
    password: &str,
) -> Result<Contact> {
    if let Some(problem) = passwords::weakness(password) {
        return Err(AccountError::WeakPassword(problem));
    }
    let hash = hash_password(password).await;
    let mut transaction = workspace.write().await?;
    let found = tokens::consume_in(&mut transaction, token, purpose)
        .await?
        .ok_or(AccountError::InvalidLink)?;
    contacts::set_password_hash_in(&mut transaction, &found.contact_id, &hash).await?;
    tokens::end_sessions_of_in(&mut transaction, &found.contact_id).await?;
    transaction.commit().await?;
    let contact = workspace
        .contact(&found.contact_id)
        .await?
        .ok_or(AccountError::InvalidLink)?;
    access_check(settings, catalog, &contact)?;
    Ok(contact)
}

/// Sends a reset link when the address belongs to a contact who may sign in with a password; does
/// nothing otherwise. The caller shows the same answer in both cases.
pub async fn request_password_reset(
    workspace: &Workspace,
    settings: &Settings,
    catalog: &Catalog,
    origin: &str,
    email: &str,
) -> Result<()> {
    if settings.access.mode.uses_sso() || !email::is_valid(email.trim()) {
        return Ok(());
    }
    let Some(contact) = workspace.contact_by_email(email).await? else {
        return Ok(());
    };
    if !may_sign_in(settings, catalog, &contact).allowed {
        return Ok(());
    }
    let mut transaction = workspace.write().await?;
    if !may_email(&mut transaction, &contact.email, "password_reset").await? {
        return Ok(());
    }
    let token = tokens::issue_in(
        &mut transaction,
        &contact.id,
        TokenPurpose::PasswordReset,
        RESET_VALID_MINUTES,
        None,
    )
    .await?;
    let reset = link(
        origin,
        settings,
        &format!("password-reset/choose?token={token}"),
    );
    queue_email(
        &mut transaction,
        settings,
        "password_reset",
        &contact,
        "password_reset",
        &reset,
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// What `send_sign_in_email` queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SignInEmail {
    Invitation,
    PasswordReset,
}

/// The admin's "send a sign-in email" for one contact, under the saved settings, into the outbox: an
/// invitation (choose a password) to a contact without a portal login, a password-reset link to one
/// with a login. Refused with the reason when the portal signs in through single sign-on, when the
/// contact may not sign in, or when the address already got `MAX_ACCOUNT_EMAILS_PER_WINDOW` of them
/// within the window (the same bound customers' own requests have).
pub async fn send_sign_in_email(workspace: &Workspace, contact_id: &str) -> Result<SignInEmail> {
    let settings = workspace.settings().await?;
    let catalog = workspace.catalog().await?;
    if settings.access.mode.uses_sso() {
        return Err(AccountError::PasswordSignInDisabled);
    }
    let contact = workspace
        .contact(contact_id)
        .await?
        .ok_or_else(|| AccountError::UnknownContact(contact_id.to_string()))?;
    let access = may_sign_in(&settings, &catalog, &contact);
    if !access.allowed {
        return Err(AccountError::AccessDenied(access.reason));
    }
    let origin = public_origin(&settings);
    let mut transaction = workspace.write().await?;
    let sent = if contacts::has_login_in(&mut transaction, &contact.id).await? {
        SignInEmail::PasswordReset
    } else {
        SignInEmail::Invitation
    };
    let (purpose, minutes, path, key) = match sent {
        SignInEmail::Invitation => (
            TokenPurpose::Invitation,
            INVITATION_VALID_MINUTES,
            "welcome",
            "invitation",
        ),
        SignInEmail::PasswordReset => (
            TokenPurpose::PasswordReset,
            RESET_VALID_MINUTES,
            "password-reset/choose",
            "password_reset",
        ),
    };
    if !may_email(&mut transaction, &contact.email, key).await? {
        return Err(AccountError::TooManyEmails {
            sent: MAX_ACCOUNT_EMAILS_PER_WINDOW,
            minutes: ACCOUNT_EMAIL_WINDOW_MINUTES,
        });
    }
    let token = tokens::issue_in(&mut transaction, &contact.id, purpose, minutes, None).await?;
    let url = link(&origin, &settings, &format!("{path}?token={token}"));
    queue_email(&mut transaction, &settings, key, &contact, key, &url).await?;
    transaction.commit().await?;
    Ok(sent)
}

/// With access mode `lists`, invites every listed contact without a login who has no usable invitation
/// yet (spec section 2). Runs inside the settings save, so the invitations exist exactly when the saved
/// settings do. Returns how many were sent.
pub async fn invite_listed_contacts_in(
    connection: &mut Tx,
    settings: &Settings,
    origin: &str,
) -> Result<usize, StorageError> {
    if settings.access.mode != AccessMode::Lists {
        return Ok(0);
    }
    // Batched: a first save in `lists` mode may invite tens of thousands of contacts, and two inserts
    // per contact made that save take seconds.
    let invited = contacts::uninvited_in_lists_in(&mut *connection, &settings.access.lists).await?;
    let contact_ids: Vec<&str> = invited.iter().map(|contact| contact.id.as_str()).collect();
    let tokens = tokens::issue_many_in(
        &mut *connection,
        &contact_ids,
        TokenPurpose::Invitation,
        INVITATION_VALID_MINUTES,
    )
    .await?;
    let texts: Vec<(String, String)> = invited
        .iter()
        .zip(&tokens)
        .map(|(contact, token)| {
            let welcome = link(origin, settings, &format!("welcome?token={token}"));
            email_text(settings, contact, "invitation", &welcome)
        })
        .collect();
    let emails: Vec<outbox::NewEmail<'_>> = invited
        .iter()
        .zip(&texts)
        .map(|(contact, (subject, body))| outbox::NewEmail {
            kind: "invitation",
            to_address: &contact.email,
            subject,
            body,
            contact_id: Some(&contact.id),
            ticket_id: None,
        })
        .collect();
    outbox::queue_many_in(&mut *connection, &emails).await?;
    Ok(invited.len())
}

/// Signs a customer in with a JWT from the identity provider: the signature (HS256 secret or RS256 key),
/// issuer, audience, expiry and not-before time are checked, a token is accepted once (its `jti`, or the
/// whole token when it has none, is remembered until it expires), and the contact is the one whose email
/// is in the configured claim. With `sso_all` an SSO user who is not a contact yet becomes one.
pub async fn sign_in_with_jwt(
    workspace: &Workspace,
    settings: &Settings,
    catalog: &Catalog,
    token: &str,
) -> Result<Contact> {
    use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
    if !settings.access.mode.uses_sso() {
        return Err(AccountError::SsoNotConfigured);
    }
    let (algorithm, key, issuer, audience, email_claim) = match &settings.sso {
        None => return Err(AccountError::SsoNotConfigured),
        Some(SsoConfiguration::Saml { .. }) => return Err(AccountError::SamlNotSupported),
        Some(SsoConfiguration::Jwt {
            algorithm,
            secret,
            public_key,
            issuer,
            audience,
            email_claim,
        }) => {
            let (algorithm, key) = match algorithm {
                JwtAlgorithm::HS256 => (
                    Algorithm::HS256,
                    DecodingKey::from_secret(
                        secret
                            .as_deref()
                            .ok_or(AccountError::SsoNotConfigured)?
                            .as_bytes(),
                    ),
                ),
                JwtAlgorithm::RS256 => (
                    Algorithm::RS256,
                    DecodingKey::from_rsa_pem(
                        public_key
                            .as_deref()
                            .ok_or(AccountError::SsoNotConfigured)?
                            .as_bytes(),
                    )
                    .map_err(|_| AccountError::SsoNotConfigured)?,
                ),
            };
            (algorithm, key, issuer, audience, email_claim)
        }
    };
    let mut validation = Validation::new(algorithm);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    validation.validate_nbf = true;
    let claims = decode::<serde_json::Map<String, serde_json::Value>>(token, &key, &validation)
        .map_err(|error| {
            tracing::info!(%error, "single sign-on token refused");
            AccountError::InvalidToken(error.to_string())
        })?
        .claims;
    let email = claims
        .get(email_claim)
        .and_then(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|email| email::is_valid(email))
        .ok_or_else(|| {
            AccountError::InvalidToken(format!(
                "the claim \"{email_claim}\" holds no email address"
            ))
        })?;
    // Remembered until the token would be refused as expired (its `exp` plus the allowed clock skew).
    let expires_at = claims
        .get("exp")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(0)
        .saturating_add(i64::try_from(validation.leeway).unwrap_or(0))
        .saturating_mul(1000);
    let replay_key = match claims.get("jti").and_then(serde_json::Value::as_str) {
        Some(id) => format!("jti\n{issuer}\n{id}"),
        None => format!("token\n{token}"),
    };
    let mut transaction = workspace.write().await?;
    if !tokens::first_sso_use_in(&mut transaction, &replay_key, expires_at).await? {
        tracing::warn!("single sign-on token refused: it was used before");
        return Err(AccountError::InvalidToken(
            "the token was used before".into(),
        ));
    }
    let contact = match contacts::contact_by_email_in(&mut transaction, email).await? {
        Some(contact) => contact,
        None if settings.access.mode == AccessMode::SsoAll => {
            let contact = Contact {
                id: format!("portal-{}", random_id()),
                email: email.to_string(),
                first_name: String::new(),
                last_name: String::new(),
                company: None,
                lists: Vec::new(),
                ..Contact::default()
            };
            contacts::insert_contact_in(&mut transaction, &contact).await?;
            contact
        }
        None => {
            transaction.commit().await?;
            return Err(AccountError::AccessDenied(
                "not a contact in any access list".into(),
            ));
        }
    };
    transaction.commit().await?;
    access_check(settings, catalog, &contact)?;
    Ok(contact)
}

/// 64 random bits as hex, for ids of things the portal creates.
pub fn random_id() -> String {
    use rand::RngCore;
    format!("{:016x}", rand::rngs::OsRng.next_u64())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn empty_workspace(dir: &tempfile::TempDir) -> Workspace {
        crate::app::transfer::import(&dir.path().join("w.portal"), &Default::default(), false)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn throttle_locks_an_account_after_repeated_failures_and_clears_on_success() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = empty_workspace(&dir).await;
        let throttle = LoginThrottle::new(3, 100, Duration::from_secs(60));
        let begin = |account: &'static str| throttle.begin(&workspace, account, None);
        for _ in 0..2 {
            drop(begin("a").await.unwrap().expect("not locked yet"));
        }
        let third = begin("a").await.unwrap().expect("a third try");
        third.succeeded(&workspace).await.unwrap();
        for _ in 0..3 {
            drop(
                begin("a")
                    .await
                    .unwrap()
                    .expect("the success cleared the failures"),
            );
        }
        assert!(begin("a").await.unwrap().is_err());
        assert!(begin("b").await.unwrap().is_ok());
        workspace.close().await;
    }

    #[tokio::test]
    async fn an_accounts_lock_is_kept_in_the_workspace_for_every_throttle() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = empty_workspace(&dir).await;
        let first = LoginThrottle::new(2, 100, Duration::from_secs(60));
        for _ in 0..2 {
            drop(first.begin(&workspace, "a", None).await.unwrap().unwrap());
        }
        // Another server (or this one restarted) sees the same lock, with its end.
        let second = LoginThrottle::new(2, 100, Duration::from_secs(60));
        let wait = second
            .begin(&workspace, "a", None)
            .await
            .unwrap()
            .expect_err("locked for every throttle");
        assert!(wait > Duration::from_secs(50) && wait <= Duration::from_secs(60));
        let locks = sign_in_locks(&workspace).await.unwrap();
        assert_eq!(locks.keys().collect::<Vec<_>>(), ["a"]);
        workspace.close().await;
    }

    #[tokio::test]
    async fn throttle_locks_an_origin_that_tries_many_accounts() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = empty_workspace(&dir).await;
        let throttle = LoginThrottle::new(3, 4, Duration::from_secs(60));
        let origin = Some(IpAddr::from([10, 0, 0, 1]));
        for n in 0..4 {
            drop(
                throttle
                    .begin(&workspace, &format!("account {n}"), origin)
                    .await
                    .unwrap()
                    .expect("under both limits"),
            );
        }
        assert!(throttle
            .begin(&workspace, "account 9", origin)
            .await
            .unwrap()
            .is_err());
        assert!(throttle
            .begin(&workspace, "account 9", Some(IpAddr::from([10, 0, 0, 2])))
            .await
            .unwrap()
            .is_ok());
        workspace.close().await;
    }

    #[tokio::test]
    async fn a_successful_attempt_does_not_count_against_its_origin() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = empty_workspace(&dir).await;
        let throttle = LoginThrottle::new(3, 2, Duration::from_secs(60));
        let origin = Some(IpAddr::from([10, 0, 0, 1]));
        for _ in 0..5 {
            throttle
                .begin(&workspace, "a", origin)
                .await
                .unwrap()
                .expect("successes never lock")
                .succeeded(&workspace)
                .await
                .unwrap();
        }
        workspace.close().await;
    }
}
