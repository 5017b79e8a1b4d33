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

#[tokio::test]
async fn a_customer_signs_in_replies_with_an_attachment_and_sees_the_reply() {
    if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
        panic!("Chromium and chromedriver are needed (apt-get install chromium chromium-driver)");
    }
    let portal = acme().await;
    let profile = tempfile::tempdir().unwrap();
    let port = free_port();
    let _driver = Driver(
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
    let outcome = drive(&client, &portal).await;
    let _ = client.close().await;
    outcome.unwrap();
}

async fn drive(
    client: &fantoccini::Client,
    portal: &Portal,
) -> Result<(), fantoccini::error::CmdError> {
    client.set_window_size(1280, 900).await?;
    client.goto(&portal.base).await?;
    // Not signed in: the login page.
    assert!(client.current_url().await?.path().ends_with("/login"));
    client
        .find(Locator::Css("#email"))
        .await?
        .send_keys("ana@acme.example")
        .await?;
    client
        .find(Locator::Css("#password"))
        .await?
        .send_keys(&acme_password("ana@acme.example"))
        .await?;
    client
        .find(Locator::Css("form button[type=submit]"))
        .await?
        .click()
        .await?;
    // The click starts the navigation; wait for the list to arrive.
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("tr[data-ticket-id]"))
        .await?;
    assert_eq!(client.current_url().await?.as_str(), portal.base);
    let rows = client.find_all(Locator::Css("tr[data-ticket-id]")).await?;
    assert_eq!(rows.len(), 4);
    let dir = screenshots();
    save_screenshot(client, &dir.join("portal-list.png")).await;
    client.set_window_size(390, 844).await?;
    save_screenshot(client, &dir.join("portal-list-mobile.png")).await;
    client.set_window_size(1280, 900).await?;

    client
        .find(Locator::Css("tr[data-ticket-id=\"1001\"] a"))
        .await?
        .click()
        .await?;
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#reply-text"))
        .await?;
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
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[role=status]"))
        .await?;

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
    save_screenshot(client, &dir.join("portal-ticket.png")).await;
    client.set_window_size(390, 844).await?;
    save_screenshot(client, &dir.join("portal-ticket-mobile.png")).await;

    client.goto(&portal.url("/login")).await?;
    save_screenshot(client, &dir.join("portal-login-mobile.png")).await;
    client.set_window_size(1280, 900).await?;
    save_screenshot(client, &dir.join("portal-login.png")).await;
    Ok(())
}
