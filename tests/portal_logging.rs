//! What `portal serve` logs: one line per request with its method, matched route and status, and every
//! failure with its cause, as JSON lines on standard error with `--log-format json`; never a token from
//! the URL.

mod portal_support;

use portal_support::*;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// `portal serve --log-format json` on a copy of the acme workspace.
struct Served {
    child: Child,
    url: String,
    workspace: PathBuf,
    _dir: tempfile::TempDir,
}

impl Served {
    async fn start() -> Served {
        let dir = tempfile::tempdir().unwrap();
        let workspace = dir.path().join("served.portal");
        portal::app::transfer::import(&workspace, &acme_data(), false)
            .await
            .unwrap()
            .close()
            .await;
        let mut child = Command::new(env!("CARGO_BIN_EXE_portal"))
            .args([
                "--log-format",
                "json",
                "serve",
                "--port",
                "0",
                "--workspace",
            ])
            .arg(&workspace)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        Served {
            child,
            url,
            workspace,
            _dir: dir,
        }
    }

    /// Stops the server as a service manager does (SIGTERM) and answers everything it wrote to standard
    /// error, which must be JSON lines. (Lines are written by a background thread in batches; the server
    /// writes the rest as it stops.)
    fn log(mut self) -> (String, Vec<Value>) {
        let stopped = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(stopped.success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "portal serve ended with {status}");
        let mut text = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        let lines = text
            .lines()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON line: {line}"))
            })
            .collect();
        (text, lines)
    }
}

/// Runs SQL on the workspace through a connection of its own, as another process would.
async fn run_sql(workspace: &Path, sql: &str) {
    use sqlx::{Connection, Executor};
    let mut connection =
        sqlx::SqliteConnection::connect(&format!("sqlite://{}", workspace.display()))
            .await
            .unwrap();
    connection.execute(sql).await.unwrap();
    connection.close().await.unwrap();
}

fn request_line<'a>(lines: &'a [Value], route: &str) -> Option<&'a Value> {
    lines.iter().find(|line| {
        line["fields"]["message"] == "request answered" && line["span"]["route"] == route
    })
}

#[tokio::test]
async fn every_request_is_logged_with_its_method_route_and_status() {
    let served = Served::start().await;
    let (status, _) = get_text(&client(), &format!("{}/login", served.url)).await;
    assert_eq!(status, 200);
    let (status, _) = get_text(&client(), &format!("{}/T-unknown-42", served.url)).await;
    assert_eq!(status, 200, "a visitor is sent to the login page");
    let (_, lines) = served.log();

    let login = request_line(&lines, "/{slug}/login").expect("the login request is logged");
    assert_eq!(login["level"], "INFO");
    assert_eq!(login["span"]["method"], "GET");
    assert_eq!(login["fields"]["status"], 200);
    assert!(login["fields"]["ms"].as_f64().unwrap() >= 0.0);

    // The route, not the path: ticket ids stay out of the log.
    let ticket = request_line(&lines, "/{slug}/{ticket}").expect("the ticket request is logged");
    assert_eq!(ticket["fields"]["status"], 303);
    assert!(!lines
        .iter()
        .any(|line| line.to_string().contains("T-unknown-42")));
}

#[tokio::test]
async fn a_request_that_fails_is_logged_as_an_error_with_its_cause() {
    let served = Served::start().await;
    // The reset links' table disappears under the running portal.
    run_sql(&served.workspace, "DROP TABLE account_tokens").await;
    let (status, page) = get_text(
        &client(),
        &format!(
            "{}/password-reset/choose?token=SECRET-reset-token",
            served.url
        ),
    )
    .await;
    assert_eq!(status, 500);
    assert!(
        !page.contains("account_tokens"),
        "the customer does not see the cause"
    );
    let (text, lines) = served.log();

    let failure = lines
        .iter()
        .find(|line| line["level"] == "ERROR")
        .unwrap_or_else(|| panic!("an error line in:\n{text}"));
    assert_eq!(failure["fields"]["message"], "portal request failed");
    assert_eq!(failure["span"]["route"], "/{slug}/password-reset/choose");
    assert_eq!(failure["span"]["method"], "GET");
    let cause = failure["fields"]["error"].as_str().unwrap();
    assert!(cause.contains("no such table: account_tokens"), "{cause}");
    let answered =
        request_line(&lines, "/{slug}/password-reset/choose").expect("the request is logged");
    assert_eq!(answered["fields"]["status"], 500);
    assert!(
        !text.contains("SECRET-reset-token"),
        "a token from the URL is never logged"
    );
}
