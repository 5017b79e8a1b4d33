//! The pull dialog through the real desktop window (WebDriver over tauri-driver, as desktop.rs): the
//! vendor API stub of the engine's pull tests (`tests/vendor_stub`, included by path: test code that
//! never ships) serves a generated help desk slowly and in small pages; the dialog pulls it into the open
//! workspace, is cancelled once (the resumable state shows, the workspace untouched), resumes without
//! the slowness and shows what came in and how the re-pull changed what contacts see.
//!
//! Run: `cargo test -p portal-studio --test pull_dialog -- --nocapture` (prerequisites as desktop.rs).
//! Output: `target/screenshots/pull-dialog-*.png`.

mod common;
#[path = "../../tests/vendor_stub/mod.rs"]
mod vendor_stub;

use common::{check_eq, err, Ui};
use fantoccini::Locator;
use portal::app::demo::{self, DemoSize};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};
use vendor_stub::{Stub, TOKEN};

/// A token the stub refuses (401).
const WRONG_TOKEN: &str = "pat-na1-00000000-wrong-token-000000000000";

/// What the stub serves: a generated help desk, and how many of each kind it has.
struct Account {
    contacts: usize,
    tickets: usize,
    threads: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pull_dialog_pulls_from_the_help_desk_cancels_resumes_and_shows_the_counts() {
    if std::env::var_os("PORTAL_STUDIO_SKIP_DESKTOP_E2E").is_some() {
        eprintln!("desktop e2e skipped: PORTAL_STUDIO_SKIP_DESKTOP_E2E is set");
        return;
    }
    let data = demo::generate(
        11,
        DemoSize {
            contacts: 60,
            tickets: 240,
        },
    );
    let account = Account {
        contacts: data.contacts.len(),
        tickets: data.tickets.len(),
        // The stub adds a thread on a channel account its listing does not name.
        threads: data.threads.len() + 1,
    };
    // Pages of 10 records, each answer 120 ms late: the pull takes long enough to be cancelled.
    let stub = Stub::start(vendor_stub::dataset(&data), 10).await;
    drop(data);
    stub.faults(|faults| faults.all_slow = Some(Duration::from_millis(120)));

    let workspace_dir = tempfile::tempdir().unwrap();
    let workspace = workspace_dir.path().join("demo.portal");
    let session = common::start(&workspace, "pull-dialog").await;
    let ui = Ui {
        client: &session.client,
        shots: &session.shots,
    };
    let outcome = check_pull(&ui, &stub, &workspace, &account).await;
    if outcome.is_err() {
        let _ = ui.shot("pull-dialog-failure").await;
    }
    let log = common::app_log(&workspace);
    let closed = session.client.clone().close().await;
    if let Err(message) = outcome {
        panic!("{message}\n(driver log: {})", session.driver_log.display());
    }
    closed.expect("closing the WebDriver session");
    assert!(
        log.contains("cancelled"),
        "the cancelled pull is in the app's log"
    );
    assert!(log.contains("401"), "the refused token is in the app's log");
    for token in [TOKEN, WRONG_TOKEN] {
        assert!(!log.contains(token), "a token is never logged");
    }
    let file = std::fs::read(&workspace).unwrap();
    assert!(
        !file
            .windows(TOKEN.len())
            .any(|window| window == TOKEN.as_bytes()),
        "the token is never written to the workspace"
    );
    let wrong = format!("Bearer {WRONG_TOKEN}");
    assert!(
        stub.seen()
            .authorization_values
            .iter()
            .all(|value| *value == wrong),
        "every other request carried the token typed in the dialog"
    );
}

/// The number in the element `css` (digits only, "1,234" read as 1234); None while there is none.
async fn number(ui: &Ui<'_>, css: &str) -> Option<u64> {
    let text = ui
        .client
        .find(Locator::Css(css))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    digits.parse().ok()
}

async fn wait_number(
    ui: &Ui<'_>,
    css: &str,
    timeout: Duration,
    want: impl Fn(u64) -> bool,
) -> Result<u64, String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(found) = number(ui, css).await {
            if want(found) {
                return Ok(found);
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{css}: after {timeout:?} the number is {:?}",
                number(ui, css).await
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_stage(ui: &Ui<'_>, stage: &str, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        let now = ui
            .attribute("[data-testid='pull-dialog']", "data-stage")
            .await
            .ok()
            .flatten();
        if now.as_deref() == Some(stage) {
            return Ok(());
        }
        if Instant::now() > deadline {
            let error = ui
                .wait_text("[data-testid='pull-error']", Duration::ZERO, |_| true)
                .await
                .unwrap_or_default();
            return Err(format!(
                "the pull dialog: expected the {stage} stage, after {timeout:?} it is {now:?} {error}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn check_pull(
    ui: &Ui<'_>,
    stub: &Stub,
    workspace: &Path,
    account: &Account,
) -> Result<(), String> {
    let client = ui.client;
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("h1"))
        .await
        .map_err(|e| format!("the UI never rendered: {e}"))?;
    // Export is enabled once the workspace is open.
    ui.wait_enabled("[data-action='export']", true).await?;

    ui.click("[data-action='pull']").await?;
    ui.wait_text(
        "[data-testid='pull-target']",
        Duration::from_secs(10),
        |text| text.ends_with("demo.portal"),
    )
    .await?;
    ui.wait_text(
        "[data-testid='pull-dialog']",
        Duration::from_secs(5),
        |text| {
            text.contains("crm.objects.contacts.read")
                && text.contains("conversations.read")
                && text.contains("How to create the token")
        },
    )
    .await?;
    check_eq(
        "the token field masks what is typed",
        ui.attribute("[data-testid='pull-token']", "type").await?,
        Some("password".to_string()),
    )?;
    // A refused token: the vendor's words, back on the form, the workspace as it was.
    ui.type_into("[data-testid='pull-token']", WRONG_TOKEN)
        .await?;
    ui.type_into("[data-testid='pull-api-base']", &stub.url)
        .await?;
    ui.click("[data-action='pull-start']").await?;
    ui.wait_text(
        "[data-testid='pull-error']",
        Duration::from_secs(20),
        |text| text.contains("the access token was refused (401"),
    )
    .await?;
    wait_stage(ui, "form", Duration::from_secs(5)).await?;
    ui.wait_enabled("[data-action='export']", true).await?;

    ui.type_into("[data-testid='pull-token']", TOKEN).await?;
    client
        .execute(
            "document.querySelector('[data-testid=pull-how-to]').open = true;
             document.querySelector('[data-testid=pull-api-base]').closest('details').open = true;",
            vec![],
        )
        .await
        .map_err(err)?;
    ui.type_into("[data-testid='pull-api-base']", &stub.url)
        .await?;
    ui.wait_enabled("[data-action='pull-start']", true).await?;
    let scroll = |to: &'static str| {
        client.execute(
            "document.activeElement?.blur();
             document.querySelector('[data-testid=pull-dialog]').scrollTo(0, Number(arguments[0]));",
            vec![json!(to)],
        )
    };
    scroll("0").await.map_err(err)?;
    ui.shot("pull-dialog-form").await?;
    scroll("100000").await.map_err(err)?;
    ui.shot("pull-dialog-form-help").await?;
    // The keychain: remembered where one runs; otherwise the option says why it is off.
    let remember_disabled = ui
        .attribute("[data-testid='pull-remember']", "disabled")
        .await?
        .is_some();
    if remember_disabled {
        ui.wait_text(
            "[data-testid='pull-keychain-note']",
            Duration::from_secs(2),
            |text| text.contains("Not available here") && text.contains("works all the same"),
        )
        .await?;
    }

    // Pull, slowly; cancel once tickets are coming in.
    ui.click("[data-action='pull-start']").await?;
    wait_stage(ui, "running", Duration::from_secs(5)).await?;
    wait_number(
        ui,
        "[data-testid='pull-count-tickets']",
        Duration::from_secs(60),
        |count| count >= 20,
    )
    .await?;
    ui.wait_text(
        "[data-testid='pull-kind-contacts']",
        Duration::from_secs(2),
        |text| text.contains("done") && text.contains("without an email skipped"),
    )
    .await?;
    ui.wait_text(
        "[data-testid='pull-kind-tickets']",
        Duration::from_secs(2),
        |text| text.contains("/s") && text.contains("left"),
    )
    .await?;
    ui.shot("pull-dialog-running").await?;
    ui.click("[data-action='pull-cancel']").await?;
    wait_stage(ui, "stopped", Duration::from_secs(20)).await?;
    ui.wait_text(
        "[data-testid='pull-stopped']",
        Duration::from_secs(5),
        |text| text.contains("untouched") && text.contains("Resume continues"),
    )
    .await?;
    let staging = workspace.with_file_name("demo.portal.pull");
    check_eq("the resumable staging file", staging.exists(), true)?;
    let tickets_before_resume = number(ui, "[data-testid='pull-count-tickets']")
        .await
        .ok_or("the stopped view shows how many tickets were read")?;
    if tickets_before_resume as usize >= account.tickets {
        return Err(format!(
            "the pull was cancelled after every ticket ({tickets_before_resume})"
        ));
    }
    // The workspace was opened again, untouched: still the demo's data, not the pulled account's.
    let demo_contacts = open_contacts(client).await?;
    if demo_contacts == account.contacts {
        return Err(format!(
            "the open workspace has {demo_contacts} contacts, as many as the pulled account"
        ));
    }
    ui.shot("pull-dialog-stopped").await?;

    // Resume at full speed.
    stub.faults(|faults| faults.all_slow = None);
    ui.click("[data-action='pull-resume']").await?;
    wait_stage(ui, "done", Duration::from_secs(180)).await?;
    let summary = ui
        .wait_text(
            "[data-testid='pull-summary']",
            Duration::from_secs(5),
            |text| text.contains("(resumed)"),
        )
        .await?;
    for (what, expected) in [
        ("contacts", account.contacts),
        ("tickets", account.tickets),
        ("threads", account.threads),
    ] {
        let shown = number(ui, &format!("[data-testid='pull-row-{what}'] td.num"))
            .await
            .ok_or_else(|| format!("no {what} row in the summary: {summary}"))?;
        check_eq(&format!("{what} pulled"), shown as usize, expected)?;
    }
    ui.wait_text(
        "[data-testid='pull-visibility']",
        Duration::from_secs(2),
        |text| text.contains("ticket views appeared"),
    )
    .await?;
    check_eq("the staging file is gone", staging.exists(), false)?;
    ui.shot("pull-dialog-done").await?;
    // The open workspace is the pulled one now.
    check_eq(
        "contacts in the open workspace",
        open_contacts(client).await?,
        account.contacts,
    )?;
    ui.click("[data-action='pull-close']").await?;

    // Into a new file (the dialog's save dialog is native: the command is called as it calls it): a
    // new workspace, no re-pull, opened when complete.
    let fresh = workspace.with_file_name("fresh.portal");
    // (Longer than a WebDriver script may wait: started, then asked for until it has answered.)
    client
        .execute(
            "window.__pulled = null;
             window.__TAURI_INTERNALS__.invoke('start_pull', arguments[0])
                 .then((ok) => (window.__pulled = { ok }), (err) => (window.__pulled = { err }));",
            vec![
                json!({ "request": { "token": TOKEN, "target": fresh, "api_base": stub.url,
                                      "resume": false, "remember": false } }),
            ],
        )
        .await
        .map_err(err)?;
    let deadline = Instant::now() + Duration::from_secs(180);
    let pulled = loop {
        let answer = client
            .execute("return window.__pulled;", vec![])
            .await
            .map_err(err)?;
        if let Some(ok) = answer.get("ok") {
            break ok.clone();
        }
        if let Some(refused) = answer.get("err") {
            return Err(format!("the pull into a new file was refused: {refused}"));
        }
        if Instant::now() > deadline {
            return Err("the pull into a new file did not end within 180 s".into());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    check_eq(
        "a pull into a new file replaced",
        &pulled["replaced"],
        &json!(false),
    )?;
    check_eq(
        "its visibility changes",
        &pulled["visibility"],
        &json!(null),
    )?;
    let info = common::tauri_invoke(client, "workspace_info", json!({})).await?;
    check_eq(
        "the open workspace",
        &info["path"],
        &json!(fresh.display().to_string()),
    )?;
    Ok(())
}

/// How many contacts the open workspace has, as the Customers view asks (its first page, computed
/// afresh, carries the count).
async fn open_contacts(client: &fantoccini::Client) -> Result<usize, String> {
    let query = json!({
        "search": "", "access": "all", "sort": "name", "descending": false, "group": null,
        "offset": 0, "limit": 0, "with_groups": false,
    });
    let page = common::tauri_invoke(
        client,
        "customer_page",
        json!({ "refresh": true, "query": query }),
    )
    .await?;
    page["total"]
        .as_u64()
        .map(|total| total as usize)
        .ok_or_else(|| format!("customer_page answered no total: {page}"))
}
