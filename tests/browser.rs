//! The portal in a real browser: headless Chromium driven over WebDriver (chromedriver) signs in as an
//! acme contact, opens a ticket, replies with an attachment and sees the reply. Screenshots of the list
//! (desktop and phone width) and the ticket page go to target/screenshots/ for people to look at.

mod portal_support;

use fantoccini::{ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use portal_support::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// Ends chromedriver (and with it the browser) however the test ends.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_for_port(port: u16) {
    let start = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn save_screenshot(client: &fantoccini::Client, path: &Path) {
    let png = client.screenshot().await.unwrap();
    std::fs::write(path, png).unwrap();
}

/// A headless Chromium session over chromedriver, and what must live as long as it.
struct Browser {
    client: fantoccini::Client,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Ends the session, then fails the test if `outcome` (what it drove) failed.
    async fn finish(self, outcome: Result<(), fantoccini::error::CmdError>) {
        let _ = self.client.clone().close().await;
        outcome.unwrap();
    }
}

/// The element `css` once the page shows it (a click or a navigation loads the page after it returns).
async fn wait_for(
    client: &fantoccini::Client,
    css: &str,
) -> Result<fantoccini::elements::Element, fantoccini::error::CmdError> {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
}

/// Screenshots of the current page at desktop width (`NAME.png`) and phone width (`NAME-mobile.png`),
/// leaving the window at desktop width.
async fn save_screenshots(
    client: &fantoccini::Client,
    name: &str,
) -> Result<(), fantoccini::error::CmdError> {
    let dir = screenshots();
    client.set_window_size(1280, 900).await?;
    save_screenshot(client, &dir.join(format!("{name}.png"))).await;
    client.set_window_size(390, 844).await?;
    save_screenshot(client, &dir.join(format!("{name}-mobile.png"))).await;
    client.set_window_size(1280, 900).await
}

async fn browser() -> Browser {
    if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
        panic!("Chromium and chromedriver are needed (apt-get install chromium chromium-driver)");
    }
    let profile = tempfile::tempdir().unwrap();
    let port = free_port();
    let driver = Driver(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    wait_for_port(port).await;
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-dev-shm-usage", "--hide-scrollbars",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        }),
    );
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session");
    Browser {
        client,
        _driver: driver,
        _profile: profile,
    }
}

#[tokio::test]
async fn a_customer_signs_in_replies_with_an_attachment_and_sees_the_reply() {
    let portal = acme().await;
    let browser = browser().await;
    let outcome = drive(&browser.client, &portal).await;
    browser.finish(outcome).await;
}

async fn drive(
    client: &fantoccini::Client,
    portal: &Portal,
) -> Result<(), fantoccini::error::CmdError> {
    client.set_window_size(1280, 900).await?;
    client.goto(&portal.base).await?;
    // Not signed in: the login page.
    assert!(client.current_url().await?.path().ends_with("/login"));
    sign_in_as_ana(client).await?;
    assert_eq!(client.current_url().await?.as_str(), portal.base);
    let rows = client.find_all(Locator::Css("tr[data-ticket-id]")).await?;
    assert_eq!(rows.len(), 4);
    save_screenshots(client, "portal-list").await?;

    client
        .find(Locator::Css("tr[data-ticket-id=\"1001\"] a"))
        .await?
        .click()
        .await?;
    wait_for(client, "#reply-text").await?;
    assert!(client
        .current_url()
        .await?
        .path()
        .ends_with("/tickets/1001"));
    let before = client
        .find_all(Locator::Css("[data-message-id]"))
        .await?
        .len();

    let upload_dir = tempfile::tempdir().unwrap();
    let file = upload_dir.path().join("printer-log.txt");
    std::fs::write(&file, "paper jam at 09:14\n").unwrap();
    client
        .find(Locator::Css("#reply-text"))
        .await?
        .send_keys("The printer jams again; log attached.")
        .await?;
    client
        .find(Locator::Css("#reply-file"))
        .await?
        .send_keys(&file.display().to_string())
        .await?;
    client
        .find(Locator::Css(".reply button[type=submit]"))
        .await?
        .click()
        .await?;
    wait_for(client, "[role=status]").await?;

    assert!(client
        .current_url()
        .await?
        .path()
        .ends_with("/tickets/1001"));
    let messages = client.find_all(Locator::Css("[data-message-id]")).await?;
    assert_eq!(messages.len(), before + 1);
    let last = messages.last().unwrap().text().await?;
    assert!(
        last.contains("The printer jams again; log attached."),
        "{last}"
    );
    assert!(last.contains("printer-log.txt"), "{last}");
    let notice = client
        .find(Locator::Css("[role=status]"))
        .await?
        .text()
        .await?;
    assert_eq!(notice, "Your reply was sent.");
    save_screenshots(client, "portal-ticket").await?;

    client.goto(&portal.url("/login")).await?;
    save_screenshots(client, "portal-login").await
}

// ---- WCAG 2.1 AA on every page (axe-core) ----

/// axe-core as the admin UI installs it (`ui/node_modules`, which `./test` installs before this runs).
fn axe_source() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "{} is needed for the accessibility checks (cd ui && npm ci): {error}",
            path.display()
        )
    })
}

/// The WCAG 2.1 A and AA violations axe-core finds on the current page, one line each (rule, impact,
/// help, the first elements), after the page has loaded.
async fn axe_violations(client: &fantoccini::Client, axe: &str) -> Vec<String> {
    wait_for(client, "footer").await.expect("the page loads");
    client
        .execute(axe, Vec::new())
        .await
        .expect("axe-core loads in the page");
    let found = client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, { runOnly: { type: "tag",
                                              values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
                 .then((result) => done(result.passes.length === 0
                   ? ["axe checked nothing"]
                   : result.violations.map((v) =>
                       `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3)
                         .map((n) => n.target.join(" ")).join(", ")}`)))
                 .catch((error) => done([`axe failed: ${error}`]));"#,
            Vec::new(),
        )
        .await
        .expect("axe-core runs");
    found
        .as_array()
        .expect("a list of violations")
        .iter()
        .map(|line| line.as_str().unwrap_or_default().to_string())
        .collect()
}

/// Opens `url` and records axe's violations under `name`.
async fn check_page(
    client: &fantoccini::Client,
    axe: &str,
    name: &str,
    url: &str,
    found: &mut Vec<String>,
) -> Result<(), fantoccini::error::CmdError> {
    client.goto(url).await?;
    check_current(client, axe, name, found).await;
    Ok(())
}

/// `check_page` for each `(name, path)`, the path under the portal's slug.
async fn check_pages(
    client: &fantoccini::Client,
    axe: &str,
    portal: &Portal,
    pages: &[(&str, &str)],
    found: &mut Vec<String>,
) -> Result<(), fantoccini::error::CmdError> {
    for (name, path) in pages {
        check_page(client, axe, name, &portal.url(path), found).await?;
    }
    Ok(())
}

async fn check_current(
    client: &fantoccini::Client,
    axe: &str,
    name: &str,
    found: &mut Vec<String>,
) {
    let violations = axe_violations(client, axe).await;
    let file = format!("portal-page-{}.png", name.replace([' ', ','], "-"));
    save_screenshot(client, &screenshots().join(file)).await;
    found.extend(violations.into_iter().map(|line| format!("{name}: {line}")));
}

async fn fill(
    client: &fantoccini::Client,
    css: &str,
    text: &str,
) -> Result<(), fantoccini::error::CmdError> {
    client.find(Locator::Css(css)).await?.send_keys(text).await
}

/// Submits the page's form and waits for the page that answers to show `then`.
async fn submit(
    client: &fantoccini::Client,
    then: &str,
) -> Result<(), fantoccini::error::CmdError> {
    client
        .find(Locator::Css("main form button[type=submit]"))
        .await?
        .click()
        .await?;
    wait_for(client, then).await?;
    Ok(())
}

/// Signs in as ana through the login form on the current page and waits for her list.
async fn sign_in_as_ana(client: &fantoccini::Client) -> Result<(), fantoccini::error::CmdError> {
    fill(client, "#email", "ana@acme.example").await?;
    fill(client, "#password", &acme_password("ana@acme.example")).await?;
    submit(client, "tr[data-ticket-id]").await
}

#[tokio::test]
async fn every_portal_page_passes_axe_wcag_2_1_aa() {
    let portal = acme().await;
    let browser = browser().await;
    let axe = axe_source();
    let mut found = Vec::new();
    let outcome = visit_every_page(&browser.client, &portal, &axe, &mut found).await;
    browser.finish(outcome).await;
    assert!(
        found.is_empty(),
        "WCAG 2.1 AA violations (axe-core):\n{}",
        found.join("\n")
    );
}

async fn visit_every_page(
    client: &fantoccini::Client,
    portal: &Portal,
    axe: &str,
    found: &mut Vec<String>,
) -> Result<(), fantoccini::error::CmdError> {
    client.set_window_size(1280, 900).await?;
    // Visitors.
    check_page(client, axe, "login", &portal.url("/login"), found).await?;
    fill(client, "#email", "ana@acme.example").await?;
    fill(client, "#password", "not the password").await?;
    submit(client, "[role=alert], .alert, .error").await?;
    check_current(client, axe, "login with an error", found).await;
    let visitors = [
        ("access denied", "/register"),
        ("knowledge base", "/knowledge-base"),
        ("article", "/knowledge-base/kb-1"),
        ("not found", "/no-such-page"),
        ("reset", "/password-reset"),
    ];
    check_pages(client, axe, portal, &visitors, found).await?;
    fill(client, "#email", "ana@acme.example").await?;
    submit(client, "main h1").await?;
    check_current(client, axe, "reset sent", found).await;
    let email = portal
        .outbox()
        .await
        .into_iter()
        .find(|email| email.kind == "password_reset")
        .expect("the reset email");
    let link = email
        .body
        .split_whitespace()
        .find(|word| word.starts_with("http"))
        .expect("a link")
        .to_string();
    // The link's path under the portal's slug (`/tickets`), on this test's server.
    let choose = &link[link.find("/tickets/").expect("a portal link") + "/tickets".len()..];
    let links = [
        ("reset choose", choose),
        (
            "reset invalid",
            "/password-reset/choose?token=no-such-token",
        ),
    ];
    check_pages(client, axe, portal, &links, found).await?;
    set_setting(portal, "access.mode", "self_registration").await;
    check_page(client, axe, "register", &portal.url("/register"), found).await?;
    set_setting(portal, "access.mode", "lists").await;

    // Signed in.
    client.goto(&portal.url("/login")).await?;
    sign_in_as_ana(client).await?;
    check_current(client, axe, "ticket list", found).await;
    let signed_in = [
        ("ticket list, organization", "?view=organization"),
        ("ticket list, mine", "?view=mine"),
        ("ticket list, no match", "?q=zzzz"),
        ("ticket page", "/1001"),
        ("support form", "/new"),
    ];
    check_pages(client, axe, portal, &signed_in, found).await?;
    submit(client, "main h1").await?;
    check_current(client, axe, "support form with an error", found).await;
    let signed_in = [
        ("knowledge base, signed in", "/knowledge-base"),
        ("not found, signed in", "/no-such-ticket"),
    ];
    check_pages(client, axe, portal, &signed_in, found).await?;
    client.goto(&portal.base).await?;
    client
        .find(Locator::Css("form.account__signout button"))
        .await?
        .click()
        .await?;
    wait_for(client, "main h1").await?;
    check_current(client, axe, "signed out", found).await;

    // The off switch.
    set_setting(portal, "enabled", "false").await;
    check_page(client, axe, "not available", &portal.url("/login"), found).await?;
    set_setting(portal, "enabled", "true").await;

    // The check itself: a login template with an image without a text alternative is caught.
    set_setting(
        portal,
        "templates.login",
        r#"{% extends "base" %}{% block content %}<img src="data:,">{% endblock %}"#,
    )
    .await;
    let mut control = Vec::new();
    check_page(client, axe, "control", &portal.url("/login"), &mut control).await?;
    assert!(
        control.iter().any(|line| line.contains("image-alt")),
        "axe must report an image without alt: {control:?}"
    );
    Ok(())
}
