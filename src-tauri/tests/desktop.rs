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
//! Output: `target/screenshots/desktop-shell.png`, plus the drivers' logs in `target/e2e/`.

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
const SECTIONS: [&str; 8] = [
    "Workspace",
    "Setup checklist",
    "Settings",
    "Customers",
    "Outbox",
    "Inbox",
    "Preview",
    "Visibility",
];

#[tokio::test]
async fn desktop_shell_renders_sidebar_and_reaches_rust() {
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
    let outcome = check_shell(&client, &shot_dir.join("desktop-shell.png")).await;
    let closed = client.close().await;
    if let Err(message) = outcome {
        panic!("{message}\n(driver log: {})", driver_log.display());
    }
    closed.expect("closing the WebDriver session");
}

async fn check_shell(client: &fantoccini::Client, screenshot: &Path) -> Result<(), String> {
    let wait = Duration::from_secs(30);
    let h1 = client
        .wait()
        .at_most(wait)
        .for_element(Locator::Css("h1"))
        .await
        .map_err(|e| format!("the UI never rendered an <h1> within {wait:?}: {e}"))?;
    check_eq("h1", h1.text().await.map_err(err)?, "Portal Studio")?;
    check_eq(
        "document title",
        client.title().await.map_err(err)?,
        "Portal Studio",
    )?;

    // The native window title and size come from tauri.conf.json, read back over Tauri's IPC
    // (allowed by `core:default` in capabilities/main.json).
    let title = tauri_invoke(client, "plugin:window|title", json!({ "label": "main" })).await?;
    check_eq("native window title", title, json!("Portal Studio"))?;
    let size = tauri_invoke(
        client,
        "plugin:window|inner_size",
        json!({ "label": "main" }),
    )
    .await?;
    check_eq(
        "window inner size",
        size,
        json!({ "width": 1280, "height": 800 }),
    )?;

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

    let placeholder = client
        .find(Locator::Css("[data-testid='pane-placeholder']"))
        .await
        .map_err(err)?;
    check_eq(
        "main pane",
        placeholder.text().await.map_err(err)?,
        "Loading workspace…",
    )?;

    // The status bar shows the crate version fetched with the `app_version` command.
    let expected_version = format!("Portal Studio v{}", env!("CARGO_PKG_VERSION"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = client
            .find(Locator::Css("[data-testid='app-version']"))
            .await
            .map_err(err)?
            .text()
            .await
            .map_err(err)?;
        if status == expected_version {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "status bar: expected {expected_version:?} via the app_version command, got {status:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Navigation is live: picking a section retitles the main pane.
    client
        .find(Locator::Css("button[data-section='customers']"))
        .await
        .map_err(err)?
        .click()
        .await
        .map_err(err)?;
    let heading = client.find(Locator::Css("main h2")).await.map_err(err)?;
    check_eq(
        "pane heading after click",
        heading.text().await.map_err(err)?,
        "Customers",
    )?;
    client
        .find(Locator::Css("button[data-section='workspace']"))
        .await
        .map_err(err)?
        .click()
        .await
        .map_err(err)?;

    // WebKit's screenshot is the last *painted* frame, which can lag the DOM under Xvfb; let two
    // animation frames pass so the picture shows the state asserted above.
    client
        .execute_async(
            "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            vec![],
        )
        .await
        .map_err(err)?;
    let png = client.screenshot().await.map_err(err)?;
    if !png.starts_with(b"\x89PNG") {
        return Err("WebDriver screenshot is not a PNG".into());
    }
    fs::write(screenshot, &png).map_err(err)?;
    eprintln!("screenshot: {} ({} bytes)", screenshot.display(), png.len());
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
