//! The keychain (`portal_studio::keychain`) against a real Secret Service, the store it picks on Linux:
//! the test starts a private session bus and an unlocked gnome-keyring-daemon on it (its keyrings in a
//! temporary directory), points this process at that bus, then remembers a token, reads it back and
//! forgets it through the app's own functions, and checks that the keyring holds no trace of it after and
//! that the app's log never showed it. Both daemons are stopped at the end.
//!
//! Its own test binary: the bus address is an environment variable of the whole process, and the
//! keychain picks its store once per process.
//!
//! Needs `dbus-daemon` and `gnome-keyring-daemon` (Debian: dbus-daemon, gnome-keyring; `.ci/setup`
//! installs them). Without them the test fails and says what is missing: it never passes untried.

#![cfg(target_os = "linux")]

use portal_studio::keychain;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The keychain entries' service name (keychain.rs).
const SERVICE: &str = "studio.portal.desktop";
const API_BASE: &str = "http://127.0.0.1:4010/";
const TOKEN: &str = "pat-na1-7c3e9a2f-keychain-test-secret-5eb63bbbe01e";

/// Every log record the app (and the crates under it) wrote, as text.
static LOG: Mutex<String> = Mutex::new(String::new());

struct Captured;

impl log::Log for Captured {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }

    fn log(&self, record: &log::Record) {
        let line = format!(
            "{} {}: {}\n",
            record.level(),
            record.target(),
            record.args()
        );
        LOG.lock().unwrap().push_str(&line);
    }

    fn flush(&self) {}
}

/// A daemon this test started, stopped when dropped (also when the test fails half-way).
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A private session bus with an unlocked gnome-keyring-daemon serving the Secret Service on it; both
/// stop when it is dropped (the keyring first: fields drop in order).
struct SecretService {
    keyring: Daemon,
    _bus: Daemon,
    address: String,
    home: tempfile::TempDir,
}

fn spawn(command: &mut Command, what: &str) -> Daemon {
    Daemon(command.spawn().unwrap_or_else(|error| {
        panic!(
            "cannot start {what} ({error}); the keychain test needs a real Secret Service: \
             install dbus-daemon and gnome-keyring (.ci/setup does)"
        )
    }))
}

impl SecretService {
    fn start() -> SecretService {
        let home = tempfile::tempdir().expect("a temporary home");
        // The keyring daemon keeps its keyrings under XDG_DATA_HOME and its sockets under
        // XDG_RUNTIME_DIR: both in the temporary home, so the test touches no real keyring.
        let dirs: Vec<(&str, std::path::PathBuf)> = ["home", "data", "config", "runtime"]
            .iter()
            .map(|name| (*name, home.path().join(name)))
            .collect();
        for (_, dir) in &dirs {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let dir = |name: &str| dirs.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        let environment = |command: &mut Command| {
            command
                .env("HOME", dir("home"))
                .env("XDG_DATA_HOME", dir("data"))
                .env("XDG_CONFIG_HOME", dir("config"))
                .env("XDG_RUNTIME_DIR", dir("runtime"));
        };

        let mut bus = Command::new("dbus-daemon");
        bus.args(["--session", "--nofork", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        environment(&mut bus);
        let mut bus = spawn(&mut bus, "dbus-daemon");
        let mut address = String::new();
        BufReader::new(bus.0.stdout.take().unwrap())
            .read_line(&mut address)
            .expect("dbus-daemon prints its address");
        let address = address.trim().to_string();
        assert!(
            address.starts_with("unix:"),
            "dbus-daemon gave no address: {address:?}"
        );

        let mut keyring = Command::new("gnome-keyring-daemon");
        keyring
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        environment(&mut keyring);
        let mut service = SecretService {
            keyring: spawn(&mut keyring, "gnome-keyring-daemon"),
            _bus: bus,
            address,
            home,
        };
        // --unlock reads the login keyring's password from standard input, up to its end.
        let mut stdin = service.keyring.0.stdin.take().unwrap();
        stdin.write_all(b"keychain-test").unwrap();
        drop(stdin);
        service.wait_for_the_secret_service();
        service
    }

    /// Waits until the Secret Service's name is on the bus (the daemon registers it as it starts).
    fn wait_for_the_secret_service(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let answer = Command::new("dbus-send")
                .args([
                    &format!("--bus={}", self.address),
                    "--dest=org.freedesktop.DBus",
                    "--print-reply",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.freedesktop.secrets",
                ])
                .output()
                .expect("dbus-send (dbus-bin, which dbus-daemon brings) asks the bus");
            if String::from_utf8_lossy(&answer.stdout).contains("boolean true") {
                return;
            }
            if let Ok(Some(status)) = self.keyring.0.try_wait() {
                panic!("gnome-keyring-daemon ended before serving the Secret Service ({status})");
            }
            assert!(
                Instant::now() < deadline,
                "gnome-keyring-daemon did not serve org.freedesktop.secrets within 20 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The entries of the app's service in the default store, with their secrets.
fn stored() -> Vec<String> {
    let spec = HashMap::from([("service", SERVICE)]);
    keyring_core::Entry::search(&spec)
        .expect("the Secret Service can be searched")
        .iter()
        .map(|entry| entry.get_password().expect("a stored secret reads"))
        .collect()
}

fn keyring_files_hold(dir: &Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|entry| {
            let path = entry.path();
            if path.is_dir() {
                keyring_files_hold(&path, needle)
            } else {
                std::fs::read(&path)
                    .map(|bytes| bytes.windows(needle.len()).any(|window| window == needle))
                    .unwrap_or(false)
            }
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_remembered_in_a_real_secret_service_reads_back_and_is_gone_once_forgotten() {
    log::set_logger(&Captured).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let service = SecretService::start();
    // The keychain finds the Secret Service on the session bus named here; set before its first call
    // (it picks its store once), while this test is the process's only one.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &service.address);

    keychain::available()
        .await
        .expect("the keychain reaches the Secret Service");
    let store = keyring_core::get_default_store().expect("the keychain set a default store");
    assert!(
        store.vendor().contains("Secret Service"),
        "the keychain uses {}, not the Secret Service",
        store.vendor()
    );
    assert_eq!(keychain::read(API_BASE).await.unwrap(), None);

    keychain::save(API_BASE, TOKEN.to_string())
        .await
        .expect("the token is remembered");
    assert_eq!(
        keychain::read("http://127.0.0.1:4010")
            .await
            .unwrap()
            .as_deref(),
        Some(TOKEN),
        "the token reads back for the same address"
    );
    assert_eq!(
        stored(),
        vec![TOKEN.to_string()],
        "one item, in the Secret Service"
    );
    keychain::save(API_BASE, TOKEN.to_string())
        .await
        .expect("remembering again replaces");
    assert_eq!(stored().len(), 1, "remembering again keeps one item");

    keychain::forget(API_BASE)
        .await
        .expect("the token is forgotten");
    assert_eq!(keychain::read(API_BASE).await.unwrap(), None);
    assert!(
        stored().is_empty(),
        "the Secret Service still holds an item"
    );
    keychain::forget(API_BASE)
        .await
        .expect("forgetting twice is fine");
    assert!(
        !keyring_files_hold(service.home.path(), TOKEN.as_bytes()),
        "the token is left in the keyring's files"
    );

    let log = LOG.lock().unwrap().clone();
    eprintln!("{} log lines checked", log.lines().count());
    assert!(
        log.contains("zbus"),
        "the D-Bus traffic went unlogged, so the check below would prove nothing"
    );
    assert!(!log.contains(TOKEN), "the log shows the token");
    drop(service);
}
