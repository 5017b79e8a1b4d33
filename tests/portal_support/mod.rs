//! Shared by the portal's HTTP tests: a workspace built from the acme fixture (or a changed copy of it) in
//! a temporary directory, a real server on a free loopback port, and a cookie-keeping client with small
//! helpers to read form tokens and the markup contract (data-ticket-id / data-message-id).
#![allow(dead_code)]

use portal::app::{settings_admin, transfer};
use portal::bundle;
use portal::domain::model::WorkspaceData;
use portal::web::{PortalServer, ServerOptions};
use portal::Workspace;
use std::path::PathBuf;

/// The repository's test fixtures (tests/fixtures/).
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn acme_data() -> WorkspaceData {
    let path = fixtures_dir().join("acme.bundle.json");
    bundle::read(&std::fs::read_to_string(path).expect("the acme fixture")).expect("acme parses")
}

pub fn acme_expected() -> serde_json::Value {
    let path = fixtures_dir().join("acme.expected.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("acme.expected.json")).unwrap()
}

/// The passwords in the acme bundle, by email.
pub fn acme_password(email: &str) -> String {
    let path = fixtures_dir().join("acme.bundle.json");
    let raw: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    raw["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|contact| contact["email"] == email)
        .and_then(|contact| contact["password"].as_str())
        .unwrap_or_else(|| panic!("{email} has a password in the bundle"))
        .to_string()
}

pub struct Portal {
    pub server: PortalServer,
    pub workspace: Workspace,
    /// `http://127.0.0.1:PORT/tickets`
    pub base: String,
    pub origin: String,
    _dir: tempfile::TempDir,
}

impl Portal {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A separate connection to the workspace file, for changing it behind the server's back as another
    /// process or a hand edit would (the engine keeps its own pool to itself).
    pub async fn sql(&self) -> sqlx::SqlitePool {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(self.workspace.path())
            .busy_timeout(std::time::Duration::from_secs(10));
        sqlx::SqlitePool::connect_with(options).await.unwrap()
    }

    /// Every email in the outbox, newest first.
    pub async fn outbox(&self) -> Vec<portal::storage::outbox::OutboxEmail> {
        self.workspace.outbox().await.unwrap()
    }
}

pub async fn start(data: WorkspaceData) -> Portal {
    start_with(data, ServerOptions::default()).await
}

pub async fn start_with(data: WorkspaceData, options: ServerOptions) -> Portal {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.portal");
    let workspace = transfer::import(&path, &data, false).await.unwrap();
    let server =
        PortalServer::start_with(workspace.clone(), "127.0.0.1:0".parse().unwrap(), options)
            .await
            .unwrap();
    let base = server.url();
    let origin = server.origin().to_string();
    Portal {
        server,
        workspace,
        base,
        origin,
        _dir: dir,
    }
}

pub async fn acme() -> Portal {
    start(acme_data()).await
}

/// A browser-like client: keeps cookies, follows redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

/// A client that keeps cookies but shows redirects as they are.
pub fn manual_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Undoes HTML escaping (as a browser reads attribute values).
pub fn unescape(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The values of `attribute="..."` in document order, unescaped.
pub fn attribute_values(html: &str, attribute: &str) -> Vec<String> {
    let needle = format!(" {attribute}=\"");
    html.match_indices(&needle)
        .map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            unescape(&rest[..rest.find('"').unwrap()])
        })
        .collect()
}

pub fn ticket_ids(html: &str) -> Vec<String> {
    attribute_values(html, "data-ticket-id")
}

pub fn message_ids(html: &str) -> Vec<String> {
    attribute_values(html, "data-message-id")
}

/// The form token on the page at `url` (fetching it also sets the form cookie).
pub async fn csrf_from(client: &reqwest::Client, url: &str) -> String {
    let html = client.get(url).send().await.unwrap().text().await.unwrap();
    csrf_in(&html)
}

pub fn csrf_in(html: &str) -> String {
    let needle = "name=\"csrf\" value=\"";
    let at = html.find(needle).expect("the page has a form token") + needle.len();
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

/// Posts the registration form (with consent) as `client`; answers the final response.
pub async fn register(
    client: &reqwest::Client,
    portal: &Portal,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let csrf = csrf_from(client, &portal.url("/register")).await;
    client
        .post(portal.url("/register"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
            ("consent", "yes"),
        ])
        .send()
        .await
        .unwrap()
}

/// Posts the login form; answers the final response (the list after a redirect, on success).
pub async fn sign_in(
    client: &reqwest::Client,
    portal: &Portal,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let csrf = csrf_from(client, &portal.url("/login")).await;
    client
        .post(portal.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

/// Posts the login form for an acme contact with the bundle's password; answers the final response.
pub async fn sign_in_with_bundle_password(
    client: &reqwest::Client,
    portal: &Portal,
    email: &str,
) -> reqwest::Response {
    sign_in(client, portal, email, &acme_password(email)).await
}

/// A signed-in client for an acme contact (with the bundle's password).
pub async fn signed_in(portal: &Portal, email: &str) -> reqwest::Client {
    let client = client();
    let response = sign_in_with_bundle_password(&client, portal, email).await;
    assert_eq!(response.status(), 200, "{email} signs in");
    assert_eq!(
        response.url().as_str(),
        portal.base,
        "{email} lands on the list"
    );
    client
}

pub async fn get_text(client: &reqwest::Client, url: &str) -> (u16, String) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The session form token of a signed-in page.
pub async fn session_csrf(client: &reqwest::Client, portal: &Portal) -> String {
    csrf_from(client, &portal.base).await
}

/// Saves `key` = `value` in the workspace settings (as the CLI would) and makes the server see it now.
pub async fn set_setting(portal: &Portal, key: &str, value: &str) {
    settings_admin::set_setting(&portal.workspace, key, value, "test")
        .await
        .unwrap();
    portal.server.invalidate();
}
