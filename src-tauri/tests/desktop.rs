//! End-to-end test of the Portal Studio desktop shell, driven through WebDriver.
//!
//! Chain: this test → `tauri-driver` (WebDriver intermediary) → `WebKitWebDriver` → the real
//! `portal-studio` binary, rendering into a private Xvfb display when `DISPLAY` is unset.
//!
//! Prerequisites (all installed by `.ci/setup`):
//! * `Xvfb` (only when no `DISPLAY` is set), `WebKitWebDriver` (Debian package
//!   `webkit2gtk-driver`), and `tauri-driver` (`cargo install --locked tauri-driver`).
//! * The UI bundle: `npm --prefix ui ci && npm --prefix ui run build`. Tauri embeds `ui/dist`
//!   into the binary at compile time, so it must exist (and be current) *before* cargo compiles
//!   `portal-studio`; a stale bundle means a stale app under test.
//!
//! Run: `cargo test -p portal-studio --test desktop -- --nocapture`
//! (cargo builds `target/debug/portal-studio` itself before running integration tests).
//! Set `PORTAL_STUDIO_SKIP_DESKTOP_E2E=1` to skip on machines without a WebKit WebDriver.
//!
//! The app runs on a temporary workspace (`PORTAL_STUDIO_WORKSPACE`), never the user's data; on that
//! first run it creates the demo workspace there itself.
//!
//! Output: `target/screenshots/desktop-*.png`, plus the drivers' logs in `target/e2e/`.

mod common;

use common::{check_eq, err, poll, tauri_invoke, tauri_refusal, Ui};
use fantoccini::key::Key;
use fantoccini::Locator;
use serde_json::{json, Value};
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

const SECTIONS: [&str; 9] = [
    "Workspace",
    "Setup checklist",
    "Settings",
    "History",
    "Customers",
    "Outbox",
    "Inbox",
    "Preview",
    "Visibility",
];

#[tokio::test]
async fn desktop_app_edits_the_live_portal() {
    if std::env::var_os("PORTAL_STUDIO_SKIP_DESKTOP_E2E").is_some() {
        eprintln!("desktop e2e skipped: PORTAL_STUDIO_SKIP_DESKTOP_E2E is set");
        return;
    }

    let workspace_dir = tempfile::tempdir().unwrap();
    let workspace = workspace_dir.path().join("demo.portal");
    let session = common::start(&workspace, "desktop").await;
    let (client, shot_dir, driver_log) = (&session.client, &session.shots, &session.driver_log);

    // Run the checks, then end the session (which closes the app) whatever their outcome.
    let ui = Ui {
        client,
        shots: shot_dir,
    };
    let outcome = check_app(&ui, &workspace).await;
    if outcome.is_err() {
        let _ = ui.shot("desktop-failure").await;
    }
    let closed = client.clone().close().await;
    if let Err(message) = outcome {
        panic!("{message}\n(driver log: {})", driver_log.display());
    }
    closed.expect("closing the WebDriver session");
}

async fn portal_title(url: &str) -> Result<String, String> {
    let html = reqwest::get(url)
        .await
        .map_err(err)?
        .text()
        .await
        .map_err(err)?;
    let start = html
        .find("<title>")
        .ok_or_else(|| format!("{url} has no <title>"))?
        + "<title>".len();
    let end = html[start..]
        .find("</title>")
        .ok_or_else(|| format!("{url}: unterminated <title>"))?;
    Ok(html[start..start + end].to_string())
}

async fn wait_portal_title(url: &str, expected: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let title = portal_title(url).await?;
        if title == expected {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the live portal's <title>: expected {expected:?}, got {title:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn check_app(ui: &Ui<'_>, workspace: &Path) -> Result<(), String> {
    let client = ui.client;
    let h1 = client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("h1"))
        .await
        .map_err(|e| format!("the UI never rendered an <h1>: {e}"))?;
    check_eq("h1", h1.text().await.map_err(err)?, "Portal Studio")?;
    check_eq(
        "document title",
        client.title().await.map_err(err)?,
        "Portal Studio",
    )?;
    let title = tauri_invoke(client, "plugin:window|title", json!({ "label": "main" })).await?;
    check_eq("native window title", title, json!("Portal Studio"))?;

    let mut labels = Vec::new();
    for item in client
        .find_all(Locator::Css("nav[aria-label='Sections'] button"))
        .await
        .map_err(err)?
    {
        labels.push(item.text().await.map_err(err)?);
    }
    check_eq(
        "sidebar sections",
        labels,
        SECTIONS.map(String::from).to_vec(),
    )?;
    let expected_version = format!("Portal Studio v{}", env!("CARGO_PKG_VERSION"));
    ui.wait_text(
        "[data-testid='app-version']",
        Duration::from_secs(10),
        |t| t == expected_version,
    )
    .await?;

    // 1. First run on an empty path: the app creates and opens the demo workspace there.
    let url = ui
        .wait_text(
            "[data-testid='portal-url']",
            Duration::from_secs(240),
            |t| t.starts_with("http://127.0.0.1:"),
        )
        .await?;
    ui.wait_text(
        "[data-testid='workspace-title']",
        Duration::from_secs(10),
        |t| t == "Demo Support",
    )
    .await?;
    let path = ui
        .wait_text(
            "[data-testid='workspace-path']",
            Duration::from_secs(5),
            |t| !t.is_empty(),
        )
        .await?;
    check_eq("workspace path", path, workspace.display().to_string())?;
    wait_portal_title(&url, "Sign in · Demo Support").await?;
    ui.shot("desktop-workspace").await?;

    // 2. One draft for every view: a draft made in Settings goes along to Visibility (no question on
    //    leaving), its what-if computes it, the shell's bar names each change by its label, a change can
    //    be reverted alone, and the bar saves the rest: the live portal serves the new <title>.
    ui.section("settings").await?;
    ui.type_into("#page_title", "Acme Help Centre").await?;
    ui.wait_text(DIRTY, Duration::from_secs(5), |t| {
        t == "1 unsaved change: Page title"
    })
    .await?;
    ui.click("button[data-group='tickets']").await?;
    ui.type_into("#ticket_permissions", "contact").await?;
    ui.wait_text(DIRTY, Duration::from_secs(5), |t| {
        t == "2 unsaved changes: Page title, Ticket permissions"
    })
    .await?;
    ui.doc_shot("settings-draft").await?;
    // Another workspace would drop the draft: that asks, in a dialog that takes the focus and keeps
    // it from the page behind; Esc means "keep editing" and the draft stays.
    ui.click("[data-action='open']").await?;
    ui.wait_text(UNSAVED, Duration::from_secs(5), |t| {
        t.contains("2 unsaved changes: Page title, Ticket permissions")
    })
    .await?;
    wait_focus_inside(ui, UNSAVED).await?;
    ui.axe("the unsaved-changes question").await?;
    ui.shot("desktop-unsaved").await?;
    for _ in 0..4 {
        ui.press(Key::Tab).await?;
        if !ui.focus_inside(UNSAVED).await? {
            return Err("Tab left the unsaved-changes dialog for the page behind it".into());
        }
    }
    ui.press(Key::Escape).await?;
    wait_gone(ui, UNSAVED).await?;
    ui.wait_text(DIRTY, Duration::from_secs(5), |t| {
        t == "2 unsaved changes: Page title, Ticket permissions"
    })
    .await?;
    ui.section("visibility").await?;
    if client.find(Locator::Css(UNSAVED)).await.is_ok() {
        return Err("leaving Settings with a draft still asks to save or discard it".into());
    }
    ui.wait_text(
        "[data-testid='what-if-summary']",
        Duration::from_secs(60),
        |t| !t.is_empty(),
    )
    .await?;
    check_eq(
        "the what-if's ticket permissions (the draft made in Settings)",
        select_value(ui, "[data-testid='draft-ticket-permissions']").await?,
        "contact".to_string(),
    )?;
    ui.shot("desktop-what-if-settings-draft").await?;
    ui.click(DIRTY).await?;
    ui.click("[data-change='ticket_permissions'] [data-action='revert-change']")
        .await?;
    ui.wait_text(DIRTY, Duration::from_secs(5), |t| {
        t == "1 unsaved change: Page title"
    })
    .await?;
    check_eq(
        "the what-if's ticket permissions after reverting them in the bar",
        select_value(ui, "[data-testid='draft-ticket-permissions']").await?,
        "company".to_string(),
    )?;
    ui.wait_enabled("[data-action='save-settings']", true)
        .await?;
    ui.click("[data-action='save-settings']").await?;
    ui.wait_text(NOTICE, Duration::from_secs(10), |t| {
        t.contains("Settings saved")
    })
    .await?;
    wait_portal_title(&url, "Sign in · Acme Help Centre").await?;
    ui.section("settings").await?;

    // 3. An invalid domain shows the engine's message next to the field and blocks saving.
    ui.type_into("#domain", "x.hs-sites.com").await?;
    let expected = portal::domain::settings::domain_problem("x.hs-sites.com")
        .ok_or("the engine accepts x.hs-sites.com")?;
    ui.wait_text("[data-error-for='domain']", Duration::from_secs(10), |t| {
        t == expected
    })
    .await?;
    ui.wait_enabled("[data-action='save-settings']", false)
        .await?;
    ui.shot("desktop-settings-invalid-domain").await?;
    ui.click("[data-action='discard-draft']").await?;

    // 4. Turning the live portal off asks first, in an accessible dialog: the focus is inside it when it
    //    opens, Tab stays inside, Esc closes it and leaves the portal on.
    ui.section("setup-checklist").await?;
    ui.click("[data-testid='enable-switch']").await?;
    ui.wait_text(CONFIRM, Duration::from_secs(5), |t| {
        t.contains("Turn the live portal off?")
    })
    .await?;
    wait_focus_inside(ui, CONFIRM).await?;
    ui.axe("the turn-off confirmation").await?;
    ui.doc_shot("dialog-turn-off").await?;
    for _ in 0..4 {
        ui.press(Key::Tab).await?;
        if !ui.focus_inside(CONFIRM).await? {
            return Err("Tab left the confirmation dialog for the page behind it".into());
        }
    }
    ui.press(Key::Escape).await?;
    wait_gone(ui, CONFIRM).await?;
    check_eq(
        "switch after Esc",
        ui.attribute("[data-testid='enable-switch']", "aria-checked")
            .await?,
        Some("true".to_string()),
    )?;
    // The enable switch refuses with the checklist's reasons: switch off, remove the domain, try again.
    ui.click("[data-testid='enable-switch']").await?;
    ui.click(&format!("{CONFIRM} [data-action='confirm']"))
        .await?;
    ui.wait_text(
        "[data-testid='enabled-badge']",
        Duration::from_secs(10),
        |t| t == "Portal disabled",
    )
    .await?;
    ui.section("settings").await?;
    ui.type_into("#domain", "").await?;
    ui.wait_enabled("[data-action='save-settings']", true)
        .await?;
    ui.click("[data-action='save-settings']").await?;
    ui.wait_text(NOTICE, Duration::from_secs(10), |t| {
        t.contains("Settings saved")
    })
    .await?;
    ui.section("setup-checklist").await?;
    let reason = ui
        .wait_text(
            "[data-testid='checklist'] li[data-key='domain'] .reason",
            Duration::from_secs(10),
            |t| !t.is_empty(),
        )
        .await?;
    ui.click("[data-testid='enable-switch']").await?;
    let refused = ui
        .wait_text(
            "[data-testid='enable-refused']",
            Duration::from_secs(10),
            |t| !t.is_empty(),
        )
        .await?;
    if !refused.contains(&reason) {
        return Err(format!(
            "the refusal {refused:?} does not give the checklist's reason {reason:?}"
        ));
    }
    check_eq(
        "switch after the refusal",
        ui.attribute("[data-testid='enable-switch']", "aria-checked")
            .await?,
        Some("false".to_string()),
    )?;
    ui.shot("desktop-checklist-refused").await?;

    // 5. Undo the title change from the history: the old value is back, in the app and the portal.
    ui.section("history").await?;
    ui.wait_text("[data-testid='history']", Duration::from_secs(10), |t| {
        t.contains("Acme Help Centre")
    })
    .await?;
    ui.shot("desktop-history").await?;
    // The entry of the page title change, found by its text and scrolled into view (the snapshot
    // panel above the list pushes older entries below the fold).
    let entry = client
        .execute(
            "const li = [...document.querySelectorAll(\"[data-testid='history'] li[data-entry]\")]
               .find((l) => l.textContent.includes('Page title') && l.textContent.includes('Acme Help Centre'));
             if (!li) return null;
             li.scrollIntoView({ block: 'center' });
             return li.dataset.entry;",
            vec![],
        )
        .await
        .map_err(err)?;
    let Some(entry) = entry.as_str() else {
        return Err("no history entry for the page title change".into());
    };
    ui.click(&format!("[data-entry='{entry}'] [data-action='undo']"))
        .await?;
    ui.wait_text(NOTICE, Duration::from_secs(10), |t| t.contains("Undid"))
        .await?;
    ui.section("workspace").await?;
    ui.wait_text(
        "[data-testid='workspace-title']",
        Duration::from_secs(10),
        |t| t == "Demo Support",
    )
    .await?;

    // A customer acts on the portal (a reply and a password reset, through the engine on the same file):
    // the Inbox, timelines and Outbox show it.
    let subject = customer_activity(workspace).await?;

    // The other views render from the open workspace.
    ui.section("customers").await?;
    ui.wait_text("[data-testid='contacts']", Duration::from_secs(60), |t| {
        t.contains("Can sign in")
    })
    .await?;
    // Ana, who replied (the table sorts by name: search narrows it to her).
    ui.type_into("[data-testid='contacts-search']", "ana.ito0")
        .await?;
    ui.wait_text("[data-testid='contacts']", Duration::from_secs(10), |t| {
        t.contains("ana.ito0@acme.example") && !t.contains("Loading")
    })
    .await?;
    ui.click("[data-testid='contacts'] button.link").await?;
    ui.wait_text("[data-testid='timeline']", Duration::from_secs(10), |t| {
        t.contains("E2E reply")
    })
    .await?;
    ui.shot("desktop-customers").await?;
    ui.section("outbox").await?;
    ui.wait_text("[data-testid='email']", Duration::from_secs(10), |t| {
        t.contains("ana.ito0@acme.example")
    })
    .await?;
    ui.shot("desktop-outbox").await?;
    ui.section("inbox").await?;
    ui.wait_text("[data-testid='inbox']", Duration::from_secs(10), |t| {
        t.contains(&subject)
    })
    .await?;
    ui.click("[data-testid='inbox'] tbody tr td strong").await?;
    ui.wait_text("[data-testid='timeline']", Duration::from_secs(10), |t| {
        t.contains("ana.ito0@acme.example") || t.contains("reply")
    })
    .await?;
    ui.shot("desktop-inbox").await?;
    ui.section("settings").await?;
    ui.click("button[data-group='access']").await?;
    ui.shot("desktop-settings-access").await?;
    // Company view rules (portal-rules.md 10.1) pick from the workspace's contact properties.
    ui.click("button[data-group='tickets']").await?;
    ui.click("[data-action='add-company-view-rule']").await?;
    ui.wait_text(
        "[data-testid='company-view']",
        Duration::from_secs(10),
        |t| t.contains("job_title") && t.contains("Company scope"),
    )
    .await?;
    ui.shot("desktop-settings-company-view").await?;
    ui.click("[data-action='discard-draft']").await?;

    check_every_view(ui).await?;
    check_files(ui, workspace).await
}

/// The shell's bar naming the unsaved changes of the one settings draft.
const DIRTY: &str = "[data-testid='dirty']";
/// The toast a notice is shown in (svelte-sonner).
const NOTICE: &str = "[data-sonner-toast]";
/// The question before the unsaved draft would be lost (bits-ui AlertDialog).
const UNSAVED: &str = "[data-testid='unsaved-dialog']";
/// The confirmation dialog (bits-ui AlertDialog).
const CONFIRM: &str = "[data-testid='confirm-dialog']";

/// Every view, with what shows it has loaded: each passes axe-core's WCAG 2.1 AA rules, and its
/// screenshot at the default window size goes to the documentation (`PORTAL_SCREENSHOTS`).
const VIEWS: [(&str, &str); 9] = [
    ("workspace", "[data-testid='workspace-title']"),
    ("setup-checklist", "[data-testid='checklist'] li"),
    ("settings", "#page_title"),
    ("history", "[data-testid='history'] li"),
    ("customers", "[data-testid='contacts'] .vrow button.link"),
    ("outbox", "[data-testid='email']"),
    ("inbox", "[data-testid='inbox'] tbody tr"),
    ("preview", "[data-testid='render-time']"),
    ("visibility", "[data-testid='matrix'] [data-row-contact]"),
];

async fn check_every_view(ui: &Ui<'_>) -> Result<(), String> {
    let mut problems = Vec::new();
    // The pictures show the views, not the last notice.
    ui.client
        .execute(
            "document.querySelectorAll('[data-sonner-toast] [data-close-button]').forEach((b) => b.click());",
            vec![],
        )
        .await
        .map_err(err)?;
    for (id, ready) in VIEWS {
        ui.section(id).await?;
        ui.client
            .wait()
            .at_most(Duration::from_secs(60))
            .for_element(Locator::Css(ready))
            .await
            .map_err(|e| format!("the {id} view never showed {ready}: {e}"))?;
        if id == "inbox" {
            // A message open, with its ticket's timeline (contacts by name).
            ui.click("[data-testid='inbox'] tbody tr button").await?;
            ui.wait_text("[data-testid='timeline']", Duration::from_secs(10), |t| {
                t.contains("Ana Ito")
            })
            .await?;
        }
        // Let the view's second reads (timelines, renders) settle before judging it.
        tokio::time::sleep(Duration::from_millis(700)).await;
        if let Err(violations) = ui.axe(&format!("the {id} view")).await {
            problems.push(violations);
        }
        ui.doc_shot(id).await?;
    }
    // The designer's tab of the preview: branding and the template editor.
    ui.section("preview").await?;
    ui.click("button[data-tab='design']").await?;
    ui.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid='design']"))
        .await
        .map_err(|e| format!("the preview's design tab never opened: {e}"))?;
    tokio::time::sleep(Duration::from_millis(700)).await;
    if let Err(violations) = ui.axe("the preview's design tab").await {
        problems.push(violations);
    }
    ui.doc_shot("preview-design").await?;
    ui.click("button[data-tab='page']").await?;
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// The value of a `<select>` (what the user sees chosen).
async fn select_value(ui: &Ui<'_>, css: &str) -> Result<String, String> {
    let value = ui
        .client
        .execute(
            "const e = document.querySelector(arguments[0]); return e ? e.value : null;",
            vec![json!(css)],
        )
        .await
        .map_err(err)?;
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("no {css}"))
}

async fn wait_focus_inside(ui: &Ui<'_>, css: &str) -> Result<(), String> {
    let what = format!("the focus to move into {css} when it opened");
    poll(&what, Duration::from_secs(5), async || {
        ui.focus_inside(css).await
    })
    .await
}

async fn wait_gone(ui: &Ui<'_>, css: &str) -> Result<(), String> {
    let what = format!("{css} to close");
    poll(&what, Duration::from_secs(5), async || {
        Ok(ui.client.find(Locator::Css(css)).await.is_err())
    })
    .await
}

/// Ana replies on her first open visible ticket and asks for a password reset. Returns the ticket's subject.
async fn customer_activity(path: &Path) -> Result<String, String> {
    let workspace = portal::Workspace::open(path, false).await.map_err(err)?;
    let settings = workspace.settings().await.map_err(err)?;
    let catalog = workspace.catalog().await.map_err(err)?;
    let email = "ana.ito0@acme.example";
    let ana = workspace
        .contact_by_email(email)
        .await
        .map_err(err)?
        .ok_or("the demo has no Ana")?;
    portal::app::accounts::request_password_reset(
        &workspace,
        &settings,
        &catalog,
        "http://127.0.0.1",
        email,
    )
    .await
    .map_err(err)?;
    let rows = portal::app::matrix::audit(&workspace).await.map_err(err)?;
    let tickets: Vec<String> = rows
        .into_iter()
        .filter(|row| row.contact == email)
        .flat_map(|row| row.visible_tickets)
        .collect();
    for ticket in tickets {
        let reply = portal::app::conversations::NewReply {
            text: "E2E reply: the printer is still offline.".into(),
            upload: None,
        };
        let sent = portal::app::conversations::reply(
            &workspace,
            &settings,
            &catalog,
            &portal::app::conversations::AttachmentPolicy::default(),
            &ana,
            &ticket,
            reply,
        )
        .await;
        if sent.is_ok() {
            let subject = workspace
                .ticket(&ticket)
                .await
                .map_err(err)?
                .map(|ticket| ticket.subject)
                .unwrap_or_default();
            workspace.close().await;
            return Ok(subject);
        }
    }
    workspace.close().await;
    Err("Ana could not reply on any of her tickets".into())
}

/// File actions through the same commands the toolbar's dialogs feed: bad files get a clear message and
/// change nothing; export then import makes a new workspace the app switches to; open switches back.
async fn check_files(ui: &Ui<'_>, workspace: &Path) -> Result<(), String> {
    let client = ui.client;
    let dir = workspace.parent().unwrap();
    let path_of = |value: Value| value["path"].as_str().unwrap_or_default().to_string();
    let original = path_of(tauri_invoke(client, "workspace_info", json!({})).await?);

    let bad = dir.join("not-a-bundle.json");
    fs::write(&bad, "{ this is not a bundle").map_err(err)?;
    let imported = dir.join("imported.portal");
    let refused = tauri_refusal(
        client,
        "import_bundle",
        json!({ "bundle": bad, "destination": imported }),
    )
    .await?;
    let message = refused["message"].as_str().unwrap_or_default();
    if refused["engine"] != "bundle" || !message.contains("is not a valid bundle") {
        return Err(format!("importing a bad bundle: {refused}"));
    }
    if imported.exists() {
        return Err("a failed import left a workspace file behind".into());
    }
    let refused = tauri_refusal(client, "open_workspace", json!({ "path": bad })).await?;
    let message = refused["message"].as_str().unwrap_or_default();
    if refused["engine"] != "notAWorkspace" || !message.contains("is not a Portal Studio workspace")
    {
        return Err(format!("opening a non-workspace file: {refused}"));
    }
    // Every command failure is in the app's log file, with its cause.
    let log = common::app_log(workspace);
    if !log.contains(message) {
        return Err(format!(
            "the log file lacks the refusal {message:?}:\n{log}"
        ));
    }
    check_eq(
        "open workspace after bad files",
        path_of(tauri_invoke(client, "workspace_info", json!({})).await?),
        original.clone(),
    )?;

    let bundle = dir.join("export.json");
    tauri_invoke(client, "export_bundle", json!({ "path": bundle })).await?;
    let text = fs::read_to_string(&bundle).map_err(err)?;
    if !text.contains("Demo Support") {
        return Err("the exported bundle lacks the workspace's settings".into());
    }
    let info = tauri_invoke(
        client,
        "import_bundle",
        json!({ "bundle": bundle, "destination": imported }),
    )
    .await?;
    check_eq(
        "imported workspace",
        path_of(info),
        imported.display().to_string(),
    )?;
    let info = tauri_invoke(client, "open_workspace", json!({ "path": original })).await?;
    check_eq("reopened workspace", path_of(info), original.clone())?;

    // Cancelling a long import (a large bundle) leaves no file and the open workspace as it was.
    let large = dir.join("large.json");
    let data = portal::app::demo::generate(
        7,
        portal::app::demo::DemoSize {
            contacts: 2_000,
            tickets: 60_000,
        },
    );
    fs::write(&large, portal::bundle::write(&data)).map_err(err)?;
    let cancelled = dir.join("cancelled.portal");
    client
        .execute(
            r#"
            const [bundle, destination] = arguments;
            window.__import = window.__TAURI_INTERNALS__
                .invoke("import_bundle", { bundle, destination })
                .then((value) => ({ ok: value }), (error) => ({ err: error }));
            "#,
            vec![json!(large), json!(cancelled)],
        )
        .await
        .map_err(err)?;
    tokio::time::sleep(Duration::from_millis(400)).await;
    check_eq(
        "cancel_work while importing",
        tauri_invoke(client, "cancel_work", json!({})).await?,
        json!(true),
    )?;
    let outcome = client
        .execute_async(
            "const done = arguments[0]; window.__import.then(done);",
            vec![],
        )
        .await
        .map_err(err)?;
    if outcome["err"]["kind"] != "cancelled" {
        return Err(format!("cancelled import answered {outcome}"));
    }
    if cancelled.exists() {
        return Err("a cancelled import left a workspace file behind".into());
    }
    check_eq(
        "open workspace after the cancelled import",
        path_of(tauri_invoke(client, "workspace_info", json!({})).await?),
        original,
    )?;
    Ok(())
}
