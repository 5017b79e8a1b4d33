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

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

const APP: &str = env!("CARGO_BIN_EXE_portal-studio");
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

    let app = Path::new(APP);
    assert!(
        app.is_file(),
        "{APP} is missing: build the app first with `npm --prefix ui run build && cargo build -p portal-studio`"
    );
    let target_dir = app
        .parent()
        .and_then(Path::parent)
        .expect("the app binary lives in <target>/<profile>/");
    let log_dir = target_dir.join("e2e");
    let shot_dir = target_dir.join("screenshots");
    fs::create_dir_all(&log_dir).unwrap();
    fs::create_dir_all(&shot_dir).unwrap();
    let workspace_dir = tempfile::tempdir().unwrap();
    let workspace = workspace_dir.path().join("demo.portal");

    let tauri_driver = find_tool("TAURI_DRIVER", "tauri-driver", &[cargo_bin("tauri-driver")])
        .expect(
            "tauri-driver not found (set TAURI_DRIVER, or `cargo install --locked tauri-driver`)",
        );
    let native_driver = find_tool(
        "WEBKIT_WEBDRIVER",
        "WebKitWebDriver",
        &[PathBuf::from("/usr/bin/WebKitWebDriver")],
    )
    .expect(
        "WebKitWebDriver not found (set WEBKIT_WEBDRIVER, or `apt-get install webkit2gtk-driver`)",
    );

    // Everything spawned below is killed by this guard when the test ends, passes or panics.
    let mut guard = ProcessGuard::default();

    let display = match std::env::var("DISPLAY") {
        Ok(display) if !display.is_empty() => display,
        _ => guard.start_xvfb(&log_dir),
    };

    let port = free_port();
    let native_port = free_port();
    let driver_log = log_dir.join("tauri-driver.log");
    let mut driver = Command::new(&tauri_driver);
    driver
        .arg("--port")
        .arg(port.to_string())
        .arg("--native-port")
        .arg(native_port.to_string())
        .arg("--native-driver")
        .arg(&native_driver)
        .env("DISPLAY", &display)
        // The app (started by WebKitWebDriver under tauri-driver) inherits this: a temp workspace.
        .env("PORTAL_STUDIO_WORKSPACE", &workspace)
        // Without this, GTK waits for an accessibility bus that does not exist under Xvfb.
        .env("NO_AT_BRIDGE", "1")
        .env("GDK_BACKEND", "x11")
        .stdin(Stdio::null())
        .stdout(log_file(&driver_log))
        .stderr(log_file(&driver_log));
    guard.spawn("tauri-driver", &mut driver);
    guard.wait_for_port("tauri-driver", port, Duration::from_secs(20), &driver_log);

    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("wry"));
    capabilities.insert(
        "tauri:options".into(),
        json!({ "application": app.canonicalize().unwrap() }),
    );
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .unwrap_or_else(|e| {
            panic!(
                "could not start a WebDriver session with {APP}: {e}\n(see {})",
                driver_log.display()
            )
        });

    // Run the checks, then end the session (which closes the app) whatever their outcome.
    let ui = Ui {
        client: &client,
        shots: &shot_dir,
    };
    let outcome = check_app(&ui, &workspace).await;
    if outcome.is_err() {
        let _ = ui.shot("desktop-failure").await;
    }
    let closed = client.close().await;
    if let Err(message) = outcome {
        panic!("{message}\n(driver log: {})", driver_log.display());
    }
    closed.expect("closing the WebDriver session");
}

struct Ui<'a> {
    client: &'a fantoccini::Client,
    shots: &'a Path,
}

impl Ui<'_> {
    /// Waits until the element's text satisfies `want`, returning it.
    async fn wait_text(
        &self,
        css: &str,
        timeout: Duration,
        want: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        let mut last = String::from("(no such element)");
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                if let Ok(text) = element.text().await {
                    if want(&text) {
                        return Ok(text);
                    }
                    last = text;
                }
            }
            if Instant::now() > deadline {
                return Err(format!("{css}: after {timeout:?} the text is {last:?}"));
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    async fn click(&self, css: &str) -> Result<(), String> {
        let element = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .map_err(|e| format!("{css}: {e}"))?;
        element
            .click()
            .await
            .map_err(|e| format!("click {css}: {e}"))
    }

    /// Types `value` into an input as the user would (an `input` event per change).
    async fn type_into(&self, css: &str, value: &str) -> Result<(), String> {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .map_err(|e| format!("{css}: {e}"))?;
        let script = r#"
            const [css, value] = arguments;
            const input = document.querySelector(css);
            input.focus();
            input.value = value;
            input.dispatchEvent(new Event("input", { bubbles: true }));
            input.dispatchEvent(new Event("change", { bubbles: true }));
        "#;
        self.client
            .execute(script, vec![json!(css), json!(value)])
            .await
            .map(|_| ())
            .map_err(err)
    }

    async fn attribute(&self, css: &str, name: &str) -> Result<Option<String>, String> {
        let element = self.client.find(Locator::Css(css)).await.map_err(err)?;
        element.attr(name).await.map_err(err)
    }

    async fn wait_enabled(&self, css: &str, enabled: bool) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let disabled = self.attribute(css, "disabled").await?.is_some();
            if disabled != enabled {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("{css}: expected enabled={enabled}"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn section(&self, id: &str) -> Result<(), String> {
        self.click(&format!("button[data-section='{id}']")).await
    }

    async fn shot(&self, name: &str) -> Result<(), String> {
        // WebKit's screenshot is the last *painted* frame, which can lag the DOM under Xvfb.
        self.client
            .execute_async(
                "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                vec![],
            )
            .await
            .map_err(err)?;
        let png = self.client.screenshot().await.map_err(err)?;
        if !png.starts_with(b"\x89PNG") {
            return Err("WebDriver screenshot is not a PNG".into());
        }
        let path = self.shots.join(format!("{name}.png"));
        fs::write(&path, &png).map_err(err)?;
        eprintln!("screenshot: {} ({} bytes)", path.display(), png.len());
        Ok(())
    }
}

/// The `<title>` the live portal serves at `url` (following redirects to its sign-in page).
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
    wait_portal_title(&url, "Demo Support").await?;
    ui.shot("desktop-workspace").await?;

    // 2. Change the page title and save: the live portal serves the new <title>.
    ui.section("settings").await?;
    ui.type_into("#page_title", "Acme Help Centre").await?;
    ui.wait_text("[data-testid='dirty']", Duration::from_secs(5), |t| {
        t.contains("page_title")
    })
    .await?;
    // Leaving with unsaved changes asks first.
    ui.section("outbox").await?;
    ui.wait_text(
        "[data-testid='unsaved-dialog']",
        Duration::from_secs(5),
        |t| t.contains("unsaved changes"),
    )
    .await?;
    ui.shot("desktop-unsaved").await?;
    ui.click("[data-action='stay']").await?;
    ui.wait_enabled("[data-action='save-settings']", true)
        .await?;
    ui.click("[data-action='save-settings']").await?;
    ui.wait_text("[data-testid='notice']", Duration::from_secs(10), |t| {
        t.contains("Settings saved")
    })
    .await?;
    wait_portal_title(&url, "Acme Help Centre").await?;

    // 3. An invalid domain shows the engine's message next to the field and blocks saving.
    ui.type_into("#domain", "x.hs-sites.com").await?;
    let expected = portal::settings::domain_problem("x.hs-sites.com")
        .ok_or("the engine accepts x.hs-sites.com")?;
    ui.wait_text("[data-error-for='domain']", Duration::from_secs(10), |t| {
        t == expected
    })
    .await?;
    ui.wait_enabled("[data-action='save-settings']", false)
        .await?;
    ui.shot("desktop-settings-invalid-domain").await?;
    ui.click("[data-action='discard-draft']").await?;

    // 4. The enable switch refuses with the checklist's reasons: switch off, remove the domain, try again.
    ui.section("setup-checklist").await?;
    ui.click("[data-testid='enable-switch']").await?;
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
    ui.wait_text("[data-testid='notice']", Duration::from_secs(10), |t| {
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
    let entries = client
        .find_all(Locator::Css("[data-testid='history'] li"))
        .await
        .map_err(err)?;
    let mut undone = false;
    for entry in entries {
        let text = entry.text().await.map_err(err)?;
        if text.contains("page_title") && text.contains("Acme Help Centre") {
            entry
                .find(Locator::Css("[data-action='undo']"))
                .await
                .map_err(err)?
                .click()
                .await
                .map_err(err)?;
            undone = true;
            break;
        }
    }
    if !undone {
        return Err("no history entry for the page title change".into());
    }
    ui.wait_text("[data-testid='notice']", Duration::from_secs(10), |t| {
        t.starts_with("Undid")
    })
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
    ui.click("[data-testid='contacts'] tbody tr td strong")
        .await?;
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

    check_files(ui, workspace).await
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
    portal::accounts::request_password_reset(
        &workspace,
        &settings,
        &catalog,
        "http://127.0.0.1",
        email,
    )
    .await
    .map_err(err)?;
    let rows = portal::audit::audit(&workspace).await.map_err(err)?;
    let tickets: Vec<String> = rows
        .into_iter()
        .filter(|row| row.contact == email)
        .flat_map(|row| row.visible_tickets)
        .collect();
    for ticket in tickets {
        let reply = portal::conversations::NewReply {
            text: "E2E reply: the printer is still offline.".into(),
            upload: None,
        };
        let sent = portal::conversations::reply(
            &workspace,
            &settings,
            &catalog,
            &portal::conversations::AttachmentPolicy::default(),
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
    let refused = tauri_invoke(
        client,
        "import_bundle",
        json!({ "bundle": bad, "destination": imported }),
    )
    .await;
    match refused {
        Err(message) if message.contains("is not a valid bundle") => {}
        other => return Err(format!("importing a bad bundle: {other:?}")),
    }
    if imported.exists() {
        return Err("a failed import left a workspace file behind".into());
    }
    match tauri_invoke(client, "open_workspace", json!({ "path": bad })).await {
        Err(message) if message.contains("not a") => {}
        other => return Err(format!("opening a non-workspace file: {other:?}")),
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
    let data = portal::demo::generate(
        7,
        portal::demo::DemoSize {
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
                .then((value) => ({ ok: value }), (error) => ({ err: String(error) }));
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
    let message = outcome["err"].as_str().unwrap_or_default().to_string();
    if !message.contains("import cancelled") {
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

/// Calls a Tauri command from inside the webview, as the UI's `invoke()` would.
async fn tauri_invoke(
    client: &fantoccini::Client,
    command: &str,
    args: Value,
) -> Result<Value, String> {
    let script = r#"
        const [command, args, done] = arguments;
        window.__TAURI_INTERNALS__.invoke(command, args)
            .then((value) => done({ ok: value }), (error) => done({ err: String(error) }));
    "#;
    let reply = client
        .execute_async(script, vec![json!(command), args])
        .await
        .map_err(err)?;
    match reply {
        Value::Object(mut reply) if reply.contains_key("ok") => Ok(reply.remove("ok").unwrap()),
        other => Err(format!("invoke({command}) failed: {other}")),
    }
}

fn check_eq<A, E>(what: &str, actual: A, expected: E) -> Result<(), String>
where
    A: PartialEq<E> + std::fmt::Debug,
    E: std::fmt::Debug,
{
    if actual == expected {
        Ok(())
    } else {
        Err(format!("{what}: expected {expected:?}, got {actual:?}"))
    }
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Child processes to tear down, each leading its own process group so that grandchildren
/// (WebKitWebDriver and the app it launches) go down with it.
#[derive(Default)]
struct ProcessGuard {
    children: Vec<(&'static str, Child)>,
}

impl ProcessGuard {
    fn spawn(&mut self, name: &'static str, command: &mut Command) -> &mut Child {
        command.process_group(0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {name}: {e}"));
        self.children.push((name, child));
        &mut self.children.last_mut().unwrap().1
    }

    /// Starts `Xvfb` on the first free display and returns it (e.g. `":1"`).
    fn start_xvfb(&mut self, log_dir: &Path) -> String {
        let xvfb = find_tool("XVFB", "Xvfb", &[])
            .expect("no DISPLAY and no Xvfb to make one (`apt-get install xvfb`)");
        let mut command = Command::new(xvfb);
        command
            // Xvfb picks a free display itself and prints its number on fd 1 once it is ready.
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1440x900x24",
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file(&log_dir.join("xvfb.log")));
        let child = self.spawn("Xvfb", &mut command);
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(15))
            .expect("Xvfb did not report a display within 15s (see target/e2e/xvfb.log)");
        let number = line.trim();
        assert!(
            !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()),
            "Xvfb exited without a display (see target/e2e/xvfb.log)"
        );
        format!(":{number}")
    }

    fn wait_for_port(&mut self, name: &str, port: u16, timeout: Duration, log: &Path) {
        let deadline = Instant::now() + timeout;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            for (child_name, child) in &mut self.children {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!(
                        "{child_name} exited early ({status}); see {}",
                        log.display()
                    );
                }
            }
            assert!(
                Instant::now() < deadline,
                "{name} did not listen on port {port} within {timeout:?}; see {}",
                log.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for ProcessGuard {
    fn drop(&mut self) {
        // Newest first: the driver (and the app under it) before the X server it draws on.
        for (name, mut child) in self.children.drain(..).rev() {
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            // Whatever is left of the group (children that ignored SIGTERM) is killed outright.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &group])
                .stderr(Stdio::null())
                .status();
            if let Err(e) = child.wait() {
                eprintln!("could not reap {name}: {e}");
            }
        }
    }
}

/// `$ENV_VAR`, else `name` on PATH, else the first existing fallback.
fn find_tool(env_var: &str, name: &str, fallbacks: &[PathBuf]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env_var) {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .chain(fallbacks.iter().cloned())
        .find(|path| path.is_file())
}

fn cargo_bin(name: &str) -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .unwrap_or_default()
        .join("bin")
        .join(name)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("no free local port")
        .port()
}

fn log_file(path: &Path) -> File {
    File::options()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()))
}
