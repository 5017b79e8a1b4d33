//! The WebDriver harness shared by the desktop end-to-end tests: Xvfb, tauri-driver + WebKitWebDriver,
//! a process guard, and a small `Ui` helper over fantoccini. (A copy of the harness in desktop.rs, so that
//! designer.rs can reuse it without editing a file another engineer is working on.)
#![allow(dead_code)]

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

pub const APP: &str = env!("CARGO_BIN_EXE_portal-studio");

/// The axe-core rule tags the window tests hold every view to: WCAG 2.1 level A and AA.
pub const AXE_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// A running app under WebDriver; dropping it tears everything down.
pub struct Session {
    pub client: fantoccini::Client,
    pub shots: PathBuf,
    pub driver_log: PathBuf,
    _guard: ProcessGuard,
}

/// Starts Xvfb (without DISPLAY), tauri-driver and the app on `workspace`.
/// `name` tells the driver logs of different test files apart.
pub async fn start(workspace: &Path, name: &str) -> Session {
    let app = Path::new(APP);
    assert!(app.is_file(), "{APP} is missing: build the app first");
    let target_dir = app
        .parent()
        .and_then(Path::parent)
        .expect("the app binary lives in <target>/<profile>/");
    let log_dir = target_dir.join("e2e");
    let shots = target_dir.join("screenshots");
    fs::create_dir_all(&log_dir).unwrap();
    fs::create_dir_all(&shots).unwrap();
    let tauri_driver = find_tool("TAURI_DRIVER", "tauri-driver", &[cargo_bin("tauri-driver")])
        .expect("tauri-driver not found");
    let native_driver = find_tool(
        "WEBKIT_WEBDRIVER",
        "WebKitWebDriver",
        &[PathBuf::from("/usr/bin/WebKitWebDriver")],
    )
    .expect("WebKitWebDriver not found");
    let mut guard = ProcessGuard::default();
    let display = match std::env::var("DISPLAY") {
        Ok(display) if !display.is_empty() => display,
        _ => guard.start_xvfb(&log_dir),
    };
    let port = free_port();
    let native_port = free_port();
    let driver_log = log_dir.join(format!("tauri-driver-{name}.log"));
    let mut driver = Command::new(&tauri_driver);
    driver
        .arg("--port")
        .arg(port.to_string())
        .arg("--native-port")
        .arg(native_port.to_string())
        .arg("--native-driver")
        .arg(&native_driver)
        .env("DISPLAY", &display)
        .env("PORTAL_STUDIO_WORKSPACE", workspace)
        // The app's data, WebKit's and the log folder (`app_log_dir`) go beside the workspace.
        .env("XDG_DATA_HOME", workspace.parent().unwrap().join("data"))
        .env("NO_AT_BRIDGE", "1")
        .env("GDK_BACKEND", "x11")
        // The app turns WebKit's accelerated compositing off (src-tauri/src/main.rs), but in that
        // mode WebKitWebDriver's screenshot never answers under Xvfb; the window tests, which take
        // screenshots, run with it on. Everything else about the app is the same.
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "0")
        .stdin(Stdio::null())
        .stdout(log_file(&driver_log))
        .stderr(log_file(&driver_log));
    guard.spawn("tauri-driver", &mut driver);
    guard.wait_for_port("tauri-driver", port, Duration::from_secs(20), &driver_log);
    // tauri-driver listens before the WebKitWebDriver it starts does, and forwards a new-session
    // request to it blindly: sent too early, the request's connection is dropped unanswered ("did not
    // respond (legacy client)"), which a loaded machine hit in CI. So wait for both.
    guard.wait_for_port(
        "WebKitWebDriver",
        native_port,
        Duration::from_secs(20),
        &driver_log,
    );
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("wry"));
    capabilities.insert(
        "tauri:options".into(),
        json!({ "application": app.canonicalize().unwrap() }),
    );
    let url = format!("http://127.0.0.1:{port}");
    let mut attempt = 1;
    let client = loop {
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
        {
            Ok(client) => break client,
            // Only a request that never got an answer is worth repeating; a refusal is final.
            Err(
                e @ (fantoccini::error::NewSessionError::Failed(_)
                | fantoccini::error::NewSessionError::FailedC(_)
                | fantoccini::error::NewSessionError::Lost(_)),
            ) if attempt < 3 => {
                eprintln!("no WebDriver session on attempt {attempt}, trying again: {e}");
                attempt += 1;
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(e) => panic!("no WebDriver session: {e} (see {})", driver_log.display()),
        }
    };
    Session {
        client,
        shots,
        driver_log,
        _guard: guard,
    }
}

/// Polls `check` every 100 ms until it answers true; past `timeout` it fails, saying what it waited for.
pub async fn poll(
    what: &str,
    timeout: Duration,
    mut check: impl AsyncFnMut() -> Result<bool, String>,
) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        if check().await? {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("waited {timeout:?} for {what}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub struct Ui<'a> {
    pub client: &'a fantoccini::Client,
    pub shots: &'a Path,
}

impl Ui<'_> {
    /// Runs `script` in the window (its last argument is the callback) and answers what it passes to it.
    pub async fn run(&self, script: &str, args: Vec<Value>) -> Result<Value, String> {
        self.client.execute_async(script, args).await.map_err(err)
    }

    /// Polls `condition` (a JavaScript expression; one that throws counts as false) until it is true.
    pub async fn wait_js(
        &self,
        what: &str,
        condition: &str,
        timeout: Duration,
    ) -> Result<(), String> {
        let script = format!("try {{ return !!({condition}); }} catch (e) {{ return false; }}");
        poll(what, timeout, async || {
            Ok(self.client.execute(&script, vec![]).await.map_err(err)? == Value::Bool(true))
        })
        .await
    }

    /// Waits until the element's text satisfies `want`, returning it.
    pub async fn wait_text(
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

    /// Clicks the element as the user would, retrying while something covers it (a dialog that is
    /// still closing: the window behind a modal takes no clicks until it has gone).
    pub async fn click(&self, css: &str) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let element = self
                .client
                .wait()
                .at_most(Duration::from_secs(10))
                .for_element(Locator::Css(css))
                .await
                .map_err(|e| format!("{css}: {e}"))?;
            match element.click().await {
                Ok(()) => return Ok(()),
                Err(e) if Instant::now() > deadline => return Err(format!("click {css}: {e}")),
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }

    /// Types `value` into an input as the user would (an `input` event per change).
    pub async fn type_into(&self, css: &str, value: &str) -> Result<(), String> {
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

    pub async fn attribute(&self, css: &str, name: &str) -> Result<Option<String>, String> {
        let element = self.client.find(Locator::Css(css)).await.map_err(err)?;
        element.attr(name).await.map_err(err)
    }

    pub async fn wait_enabled(&self, css: &str, enabled: bool) -> Result<(), String> {
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

    pub async fn section(&self, id: &str) -> Result<(), String> {
        self.click(&format!("button[data-section='{id}']")).await
    }

    /// Runs axe-core (the UI's own copy, `ui/node_modules/axe-core`) in the window as it is now, with
    /// the WCAG 2.1 A and AA rules; any violation fails with the list of them, each with its elements.
    pub async fn axe(&self, view: &str) -> Result<(), String> {
        let loaded = self
            .client
            .execute("return typeof window.axe === 'object';", vec![])
            .await
            .map_err(err)?;
        if loaded != json!(true) {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../ui/node_modules/axe-core/axe.min.js");
            let source = fs::read_to_string(&path).map_err(|e| {
                format!(
                    "axe-core: {}: {e} (run `npm --prefix ui ci`)",
                    path.display()
                )
            })?;
            // As the script's own body: the app's content security policy forbids eval, not WebDriver.
            self.client
                .execute(&format!("{source}\n;return true;"), vec![])
                .await
                .map_err(|e| format!("injecting axe-core: {e}"))?;
        }
        // `iframes: false`: the preview's frames are portal pages, which the portal's browser tests check.
        let script = r#"
            const [tags, done] = arguments;
            const listed = (v) => v.id + " (" + v.impact + "): " + v.help + "\n" + v.nodes.slice(0, 6)
                .map((n) => "      " + n.target.join(" ") + ": " + String(n.failureSummary).split("\n").join(" "))
                .join("\n");
            window.axe
                .run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"], iframes: false })
                .then((r) => done({ ok: r.violations.map(listed) }), (e) => done({ err: String(e) }));
        "#;
        let reply = self
            .client
            .execute_async(script, vec![json!(AXE_TAGS)])
            .await
            .map_err(|e| format!("axe on {view}: {e}"))?;
        let violations: Vec<String> = match reply.get("ok") {
            Some(Value::Array(list)) => list
                .iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect(),
            _ => return Err(format!("axe on {view} failed: {reply}")),
        };
        if violations.is_empty() {
            eprintln!("axe: {view}: no WCAG 2.1 AA violations");
            Ok(())
        } else {
            Err(format!(
                "axe: {} WCAG 2.1 AA violation(s) on {view}:\n  {}",
                violations.len(),
                violations.join("\n  ")
            ))
        }
    }

    /// A screenshot of the window for the documentation: written to `$PORTAL_SCREENSHOTS/NAME.png`
    /// when that variable names a folder (`docs/screenshots` for the README), so an ordinary test run
    /// never rewrites the committed pictures; always to `target/screenshots/` too.
    pub async fn doc_shot(&self, name: &str) -> Result<(), String> {
        self.shot(name).await?;
        if let Some(dir) = std::env::var_os("PORTAL_SCREENSHOTS").filter(|d| !d.is_empty()) {
            // A relative folder is the repository's (cargo runs the tests in src-tauri/).
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
            fs::create_dir_all(&dir).map_err(err)?;
            fs::copy(
                self.shots.join(format!("{name}.png")),
                dir.join(format!("{name}.png")),
            )
            .map_err(err)?;
        }
        Ok(())
    }

    /// Presses a key (`fantoccini::key::Key`) in the element that has the focus.
    pub async fn press(&self, key: fantoccini::key::Key) -> Result<(), String> {
        let focused = self.client.active_element().await.map_err(err)?;
        let key: char = key.into();
        focused.send_keys(&key.to_string()).await.map_err(err)
    }

    /// True when the focused element is inside the element `css`.
    pub async fn focus_inside(&self, css: &str) -> Result<bool, String> {
        let inside = self
            .client
            .execute(
                "const box = document.querySelector(arguments[0]); return !!box && box.contains(document.activeElement);",
                vec![json!(css)],
            )
            .await
            .map_err(err)?;
        Ok(inside == json!(true))
    }

    pub async fn shot(&self, name: &str) -> Result<(), String> {
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

/// Calls `command` in the app's window; the reply is `{ ok: value }` or `{ err: error }`.
async fn invoke_in_window(
    client: &fantoccini::Client,
    command: &str,
    args: Value,
) -> Result<serde_json::Map<String, Value>, String> {
    let script = r#"
        const [command, args, done] = arguments;
        window.__TAURI_INTERNALS__.invoke(command, args)
            .then((value) => done({ ok: value }), (error) => done({ err: error }));
    "#;
    match client
        .execute_async(script, vec![json!(command), args])
        .await
        .map_err(err)?
    {
        Value::Object(reply) => Ok(reply),
        other => Err(format!("invoke({command}) answered {other}")),
    }
}

pub async fn tauri_invoke(
    client: &fantoccini::Client,
    command: &str,
    args: Value,
) -> Result<Value, String> {
    let mut reply = invoke_in_window(client, command, args).await?;
    reply
        .remove("ok")
        .ok_or_else(|| format!("invoke({command}) failed: {reply:?}"))
}

/// Calls `command` expecting a refusal; returns the command's error (`{ kind, message, … }`).
pub async fn tauri_refusal(
    client: &fantoccini::Client,
    command: &str,
    args: Value,
) -> Result<Value, String> {
    let mut reply = invoke_in_window(client, command, args).await?;
    reply
        .remove("err")
        .ok_or_else(|| format!("invoke({command}) was not refused: {reply:?}"))
}

/// Everything the app has logged so far (its rotating files under `$XDG_DATA_HOME`, set by `start`).
pub fn app_log(workspace: &Path) -> String {
    let folder = workspace
        .parent()
        .unwrap()
        .join("data/studio.portal.desktop/logs");
    let mut text = String::new();
    for entry in fs::read_dir(folder).into_iter().flatten().flatten() {
        text.push_str(&fs::read_to_string(entry.path()).unwrap_or_default());
    }
    text
}

pub fn check_eq<A, E>(what: &str, actual: A, expected: E) -> Result<(), String>
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

pub fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Child processes to tear down, each leading its own process group so that grandchildren
/// (WebKitWebDriver and the app it launches) go down with it.
#[derive(Default)]
pub struct ProcessGuard {
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
        // "localhost": WebKitWebDriver may listen on the IPv6 loopback only.
        while TcpStream::connect(("localhost", port)).is_err() {
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
pub fn find_tool(env_var: &str, name: &str, fallbacks: &[PathBuf]) -> Option<PathBuf> {
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

pub fn cargo_bin(name: &str) -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .unwrap_or_default()
        .join("bin")
        .join(name)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("no free local port")
        .port()
}

pub fn log_file(path: &Path) -> File {
    File::options()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()))
}
