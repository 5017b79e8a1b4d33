//! `portal pull` against a stub of the vendor's API (tests/vendor_stub): the acme fixture served by the
//! stub comes in as the same workspace the bundle imports to, refusals and faults end cleanly, and a pull
//! that stops continues with `--resume` to the same result.

mod vendor_stub;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use vendor_stub::{Stub, TOKEN};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Runs `portal` with the token in its environment (never in its arguments).
async fn portal_with(arguments: &[&str], environment: &[(&str, &str)]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_portal"));
    command
        .args(arguments)
        .env("USER", "qa")
        .env("HUBSPOT_ACCESS_TOKEN", TOKEN)
        .env("PORTAL_PULL_RETRY_WAIT_MS", "5")
        .env_remove("RUST_LOG");
    for (name, value) in environment {
        command.env(name, value);
    }
    command.output().await.expect("the portal binary runs")
}

async fn portal(arguments: &[&str]) -> Output {
    portal_with(arguments, &[]).await
}

fn out(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn err(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

struct Scratch(tempfile::TempDir);

impl Scratch {
    fn new() -> Scratch {
        Scratch(tempfile::tempdir().unwrap())
    }
    fn path(&self, name: &str) -> String {
        self.0.path().join(name).to_string_lossy().into_owned()
    }
    /// The files in the scratch directory.
    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.0.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

async fn acme_stub() -> Stub {
    Stub::start(vendor_stub::acme(), 2).await
}

async fn pull(stub: &Stub, workspace: &str, extra: &[&str]) -> Output {
    let mut arguments = vec![
        "pull",
        "--workspace",
        workspace,
        "--api-base",
        &stub.url,
        "--format",
        "json",
    ];
    arguments.extend(extra);
    portal(&arguments).await
}

/// Replaces every vendor id in `text` by the bundle's id it was made from.
fn translate(text: &str, ids: &std::collections::BTreeMap<String, String>) -> String {
    let mut pairs: Vec<(&String, &String)> = ids.iter().collect();
    pairs.sort_by_key(|(vendor, _)| std::cmp::Reverse(vendor.len()));
    let mut text = text.to_string();
    for (vendor, bundle) in pairs {
        text = text.replace(vendor.as_str(), bundle);
    }
    text
}

/// The acme bundle's portal settings, with the ids the stub gave its lists, pipelines and inbox, set on
/// the pulled workspace (a pull brings no settings: the vendor has no API for them).
async fn set_acme_settings(workspace: &str, ids: &std::collections::BTreeMap<String, String>) {
    let bundle: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("acme.bundle.json")).unwrap())
            .unwrap();
    let vendor_id = |bundle_id: &str| -> String {
        ids.iter()
            .find(|(_, original)| original.as_str() == bundle_id)
            .map(|(vendor, _)| vendor.clone())
            .unwrap_or_else(|| panic!("no vendor id for {bundle_id}"))
    };
    let settings = &bundle["settings"];
    let mut access = settings["access"].clone();
    access["lists"] = access["lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|list| Value::String(vendor_id(list.as_str().unwrap())))
        .collect();
    let mut filters = settings["ticket_filters"].clone();
    for filter in filters.as_array_mut().unwrap() {
        if ["pipeline", "stage"].contains(&filter["property"].as_str().unwrap()) {
            filter["values"] = filter["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|value| Value::String(vendor_id(value.as_str().unwrap())))
                .collect();
        }
    }
    let default_inbox = vendor_id(settings["default_inbox"].as_str().unwrap());
    for (key, value) in [
        ("access", access.to_string()),
        ("ticket_filters", filters.to_string()),
        ("default_inbox", Value::String(default_inbox).to_string()),
        (
            "ticket_permissions",
            settings["ticket_permissions"].as_str().unwrap().to_string(),
        ),
        (
            "thread_shown",
            settings["thread_shown"].as_str().unwrap().to_string(),
        ),
        (
            "status_display",
            settings["status_display"].as_str().unwrap().to_string(),
        ),
    ] {
        let output = portal(&["settings", "set", key, &value, "--workspace", workspace]).await;
        assert!(
            output.status.success(),
            "settings set {key}: {}",
            err(&output)
        );
    }
}

async fn view_as(workspace: &str, email: &str, view: Option<&str>) -> String {
    let mut arguments = vec![
        "view-as",
        email,
        "--workspace",
        workspace,
        "--format",
        "json",
    ];
    if let Some(view) = view {
        arguments.extend(["--view", view]);
    }
    let output = portal(&arguments).await;
    assert!(output.status.success(), "{}", err(&output));
    out(&output)
}

async fn export(workspace: &str) -> String {
    let output = portal(&["export", "--workspace", workspace]).await;
    assert!(output.status.success(), "{}", err(&output));
    out(&output)
}

async fn import_acme(scratch: &Scratch) -> String {
    let workspace = scratch.path("imported.portal");
    // The stub associates every other contact with a second company (vendor_stub::acme), gives
    // everyone the language "en" and the custom properties `customer_tier` and `region`: the bundle
    // says the same, so both workspaces hold the same data.
    let mut acme: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("acme.bundle.json")).unwrap())
            .unwrap();
    let company_ids: Vec<String> = acme["companies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|company| company["id"].as_str().unwrap().to_string())
        .collect();
    for (index, contact) in acme["contacts"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        contact["language"] = Value::from("en");
        let mut properties =
            serde_json::json!({ "customer_tier": vendor_stub::custom_tier(index) });
        if let Some(region) = vendor_stub::custom_region(index).as_str() {
            properties["region"] = Value::from(region);
        }
        contact["properties"] = properties;
        if let (1, Some(primary)) = (index % 2, contact["company"].as_str().map(str::to_string)) {
            if let Some(other) = company_ids.iter().find(|id| **id != primary) {
                contact["companies"] = serde_json::json!([other]);
            }
        }
    }
    let bundle = std::path::PathBuf::from(scratch.path("acme-as-pulled.json"));
    std::fs::write(&bundle, acme.to_string()).unwrap();
    let output = portal(&[
        "import",
        bundle.to_str().unwrap(),
        "--workspace",
        &workspace,
    ])
    .await;
    assert!(output.status.success(), "{}", err(&output));
    workspace
}

/// A clean pull of the stub into a new workspace, and its export.
async fn clean_export(stub: &Stub, scratch: &Scratch, name: &str) -> String {
    let workspace = scratch.path(name);
    let output = pull(stub, &workspace, &[]).await;
    assert!(output.status.success(), "{}", err(&output));
    export(&workspace).await
}

/// A pull of acme into a new workspace from a stub told to answer with a fault: the shape of the fault
/// tests.
struct FaultyPull {
    /// Kept for the pull's life: dropping it stops the stub.
    _stub: Stub,
    scratch: Scratch,
    workspace: String,
    output: Output,
}

/// Starts the acme stub, sets `fault`, and pulls into a new workspace (`--format json`), with
/// `environment` added to the pull's.
async fn pull_with_fault(
    fault: impl FnOnce(&mut vendor_stub::Faults),
    environment: &[(&str, &str)],
) -> FaultyPull {
    let stub = acme_stub().await;
    stub.faults(fault);
    let scratch = Scratch::new();
    let workspace = scratch.path("new.portal");
    let arguments = [
        "pull",
        "--workspace",
        &workspace,
        "--api-base",
        &stub.url,
        "--format",
        "json",
    ];
    let output = portal_with(&arguments, environment).await;
    FaultyPull {
        _stub: stub,
        scratch,
        workspace,
        output,
    }
}

impl FaultyPull {
    fn summary(&self) -> Value {
        assert!(self.output.status.success(), "{}", err(&self.output));
        serde_json::from_str(&out(&self.output)).unwrap()
    }

    /// The pull stopped (exit 1); its standard error.
    fn stopped(&self) -> String {
        assert_eq!(self.output.status.code(), Some(1), "{}", err(&self.output));
        err(&self.output)
    }

    /// The pull succeeded, with the workspace a pull without the fault gives.
    async fn assert_same_as_a_clean_pull(&self) {
        assert!(self.output.status.success(), "{}", err(&self.output));
        let clean = acme_stub().await;
        let expected = clean_export(&clean, &self.scratch, "clean.portal").await;
        assert!(
            export(&self.workspace).await == expected,
            "the pull with the fault differs from a clean one"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pulled_acme_shows_every_contact_what_the_imported_bundle_shows() {
    let stub = acme_stub().await;
    let scratch = Scratch::new();
    let pulled = scratch.path("pulled.portal");
    let output = pull(&stub, &pulled, &[]).await;
    assert!(output.status.success(), "{}", err(&output));
    let summary: Value = serde_json::from_str(&out(&output)).unwrap();
    assert_eq!(summary["counts"]["contacts"], 5);
    assert_eq!(summary["counts"]["contacts_without_email"], 1);
    assert_eq!(summary["counts"]["tickets"], 8);
    assert_eq!(summary["counts"]["threads"], 10);
    assert_eq!(summary["counts"]["unlisted_channels"], 1);
    set_acme_settings(&pulled, stub.bundle_ids()).await;
    let imported = import_acme(&scratch).await;

    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("acme.expected.json")).unwrap())
            .unwrap();
    for case in expected["cases"].as_array().unwrap() {
        let email = case["contact"].as_str().unwrap();
        let view = case["view"].as_str();
        let from_pull: Value = serde_json::from_str(&translate(
            &view_as(&pulled, email, view).await,
            stub.bundle_ids(),
        ))
        .unwrap();
        let from_bundle: Value =
            serde_json::from_str(&view_as(&imported, email, view).await).unwrap();
        assert_eq!(from_pull, from_bundle, "{email} view {view:?}");
        let ids = |answer: &Value, key: &str| -> Vec<Value> {
            answer[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|ticket| ticket["id"].clone())
                .collect()
        };
        let expected_ids: Vec<Value> = case["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|ticket| ticket["id"].clone())
            .collect();
        assert_eq!(
            ids(&from_pull, "tickets"),
            expected_ids,
            "{email} view {view:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_contact_properties_come_in_and_company_view_rules_can_test_them() {
    let stub = acme_stub().await;
    let scratch = Scratch::new();
    let pulled = scratch.path("pulled.portal");
    let output = pull(&stub, &pulled, &[]).await;
    assert!(output.status.success(), "{}", err(&output));
    let exported: Value = serde_json::from_str(&export(&pulled).await).unwrap();
    let properties: Vec<(String, Value)> = exported["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|contact| {
            (
                contact["email"].as_str().unwrap().to_string(),
                contact["properties"].clone(),
            )
        })
        .collect();
    // Custom properties with a value, as strings; the vendor-defined hs_lead_status is not one.
    assert_eq!(
        properties[..3],
        [
            (
                "ana@acme.example".to_string(),
                serde_json::json!({ "customer_tier": "gold" })
            ),
            (
                "ben@acme.example".to_string(),
                serde_json::json!({ "customer_tier": "silver", "region": "north" })
            ),
            (
                "cara@acme.example".to_string(),
                serde_json::json!({ "customer_tier": "gold", "region": "south" })
            ),
        ],
        "{properties:?}"
    );
    // A company view rule over a pulled custom property is accepted (the property is known).
    let rule = r#"[{"property":"customer_tier","operator":"is_any_of","values":["gold"]}]"#;
    let output = portal(&[
        "settings",
        "set",
        "company_view_rules",
        rule,
        "--workspace",
        &pulled,
    ])
    .await;
    assert!(output.status.success(), "{}", err(&output));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_path_families_pull_the_same_workspace() {
    let scratch = Scratch::new();
    let dated = acme_stub().await;
    let dated_export = clean_export(&dated, &scratch, "dated.portal").await;
    assert_eq!(dated.seen().legacy_paths, 0);
    assert!(dated.seen().dated_paths > 20);

    let legacy = acme_stub().await;
    let workspace = scratch.path("legacy.portal");
    let output = pull(&legacy, &workspace, &["--api-version", "legacy"]).await;
    assert!(output.status.success(), "{}", err(&output));
    assert_eq!(legacy.seen().dated_paths, 0);
    assert_eq!(export(&workspace).await, dated_export);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_says_so_and_writes_nothing() {
    let pulled = pull_with_fault(|faults| faults.unauthorized = true, &[]).await;
    let message = pulled.stopped();
    assert!(
        message.contains("the access token was refused (401"),
        "{message}"
    );
    assert_eq!(pulled.scratch.files(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_scopes_are_named_and_nothing_is_written() {
    let pulled = pull_with_fault(
        |faults| {
            faults.forbidden = vec![
                ("conversations".into(), "conversations.read".into()),
                ("lists".into(), "crm.lists.read".into()),
            ]
        },
        &[],
    )
    .await;
    let message = pulled.stopped();
    assert!(message.contains("lacks the scopes"), "{message}");
    assert!(
        message.contains("conversations.read") && message.contains("crm.lists.read"),
        "{message}"
    );
    assert_eq!(pulled.scratch.files(), Vec::<String>::new());
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_never_appears_in_the_workspace_logs_or_output() {
    let stub = acme_stub().await;
    // Some failures on the way, so that errors are logged too.
    stub.faults(|faults| {
        faults.bad_gateway = 2;
        faults.rate_limited = 2;
    });
    let scratch = Scratch::new();
    let workspace = scratch.path("new.portal");
    let output = portal_with(
        &["pull", "--workspace", &workspace, "--api-base", &stub.url],
        &[("RUST_LOG", "trace")],
    )
    .await;
    assert!(output.status.success(), "{}", err(&output));
    assert!(!contains(&output.stdout, TOKEN) && !contains(&output.stderr, TOKEN));
    assert!(!contains(&output.stderr, "stub-secret"));
    for file in scratch.files() {
        let bytes = std::fs::read(scratch.0.path().join(&file)).unwrap();
        assert!(!contains(&bytes, "stub-secret"), "{file} holds the token");
    }
    // A refused token does not show either.
    let refused = portal_with(
        &[
            "pull",
            "--workspace",
            &scratch.path("other.portal"),
            "--api-base",
            &stub.url,
        ],
        &[
            ("HUBSPOT_ACCESS_TOKEN", "pat-na1-wrong-secret-value"),
            ("RUST_LOG", "trace"),
        ],
    )
    .await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        !contains(&refused.stderr, "wrong-secret"),
        "{}",
        err(&refused)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_is_waited_out_with_the_same_result() {
    let pulled = pull_with_fault(|faults| faults.rate_limited = 9, &[]).await;
    assert_eq!(pulled.summary()["rate_limited"], 9);
    pulled.assert_same_as_a_clean_pull().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_few_502s_with_an_html_body_are_retried() {
    let pulled = pull_with_fault(|faults| faults.bad_gateway = 3, &[]).await;
    assert!(pulled.summary()["retries"].as_u64().unwrap() >= 3);
    pulled.assert_same_as_a_clean_pull().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_dropped_mid_page_are_retried() {
    let pulled =
        pull_with_fault(|faults| faults.drop_connection = 4, &[("RUST_LOG", "warn")]).await;
    let summary = pulled.summary();
    assert!(
        summary["retries"].as_u64().unwrap() >= 4,
        "{summary} {}",
        err(&pulled.output)
    );
    pulled.assert_same_as_a_clean_pull().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_502s_stop_naming_the_endpoint_and_leave_the_target_untouched() {
    let stub = acme_stub().await;
    let scratch = Scratch::new();
    let workspace = import_acme(&scratch).await;
    let before = export(&workspace).await;
    stub.faults(|faults| faults.bad_gateway = 1000);
    let output = pull(&stub, &workspace, &["--replace"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", err(&output));
    let message = err(&output);
    assert!(
        message.contains("answered 502: an HTML page instead of JSON (after 5 retries)"),
        "{message}"
    );
    assert!(message.contains("/crm/"), "{message}");
    assert!(export(&workspace).await == before, "the workspace changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_failing_partway_is_reported_once_with_its_cause() {
    // The threads come last: companies, contacts and tickets are written when the pull fails.
    let pulled = pull_with_fault(
        |faults| faults.malformed = Some("conversations/threads".into()),
        &[],
    )
    .await;
    let stderr = pulled.stopped();
    let failure = stderr
        .lines()
        .find_map(|line| line.strip_prefix("error: "))
        .unwrap_or_else(|| panic!("no error line: {stderr}"));
    assert!(
        failure.contains("/threads could not be understood: results[0].id"),
        "{failure}"
    );
    assert_eq!(stderr.matches(failure).count(), 1, "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_page_stops_naming_the_endpoint_and_the_field() {
    let pulled = pull_with_fault(
        |faults| faults.malformed = Some("objects/tickets".into()),
        &[],
    )
    .await;
    let message = pulled.stopped();
    assert!(
        message.contains(
            "the answer of GET /crm/objects/2026-03/tickets could not be understood: results[0].id"
        ),
        "{message}"
    );
    assert!(!Path::new(&pulled.workspace).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_answer_times_out_and_is_retried() {
    let pulled = pull_with_fault(
        |faults| {
            faults.slow = 1;
            faults.slow_delay = std::time::Duration::from_secs(3);
        },
        &[("PORTAL_PULL_TIMEOUT_MS", "600")],
    )
    .await;
    let summary = pulled.summary();
    assert!(summary["retries"].as_u64().unwrap() >= 1, "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_stopped_by_the_daily_limit_resumes_to_the_same_result() {
    let scratch = Scratch::new();
    let clean = acme_stub().await;
    let expected = clean_export(&clean, &scratch, "clean.portal").await;
    let total = clean.seen().requests;
    // Stops in every phase: the catalog, companies, contacts, memberships, tickets, threads.
    for stop_after in [9, total / 4, total / 2, total * 3 / 4, total - 3] {
        let stub = acme_stub().await;
        stub.faults(|faults| faults.daily_limit_after = Some(stop_after));
        let workspace = scratch.path(&format!("daily-{stop_after}.portal"));
        let stopped = pull(&stub, &workspace, &[]).await;
        assert_eq!(stopped.status.code(), Some(1), "{}", err(&stopped));
        assert!(
            err(&stopped).contains("daily API limit"),
            "{}",
            err(&stopped)
        );
        assert!(err(&stopped).contains("--resume"), "{}", err(&stopped));
        assert!(!Path::new(&workspace).exists());
        stub.faults(|faults| faults.daily_limit_after = None);
        let resumed = pull(&stub, &workspace, &["--resume"]).await;
        assert!(
            resumed.status.success(),
            "after {stop_after}: {}",
            err(&resumed)
        );
        assert_eq!(
            export(&workspace).await,
            expected,
            "stopped after {stop_after} requests"
        );
        let summary: Value = serde_json::from_str(&out(&resumed)).unwrap();
        assert_eq!(summary["resumed"], true);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_killed_at_random_points_leaves_the_target_untouched_and_resumes_to_the_same_result()
{
    use rand::Rng;
    let scratch = Scratch::new();
    // The expected result: an uninterrupted pull over the imported acme, replacing its data.
    let clean = acme_stub().await;
    let reference = import_acme(&scratch).await;
    let output = pull(&clean, &reference, &["--replace"]).await;
    assert!(output.status.success(), "{}", err(&output));
    let expected = export(&reference).await;

    let stub = acme_stub().await;
    for run in 0..4 {
        let workspace = scratch.path(&format!("killed-{run}.portal"));
        let bundle = fixture("acme.bundle.json");
        let imported = portal(&[
            "import",
            bundle.to_str().unwrap(),
            "--workspace",
            &workspace,
        ])
        .await;
        assert!(imported.status.success(), "{}", err(&imported));
        let before = export(&workspace).await;
        stub.faults(|faults| faults.all_slow = Some(std::time::Duration::from_millis(15)));
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_portal"))
            .args([
                "pull",
                "--workspace",
                &workspace,
                "--api-base",
                &stub.url,
                "--replace",
            ])
            .env("HUBSPOT_ACCESS_TOKEN", TOKEN)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let wait = rand::thread_rng().gen_range(100..1200);
        tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
        // SIGKILL: no chance to clean up. Whether the pull finished first is read from how it ended,
        // since it may finish between any check and the kill.
        let _ = child.start_kill();
        let finished = child.wait().await.unwrap().success();
        stub.faults(|faults| faults.all_slow = None);
        // Killed in the instant after the rename, the pull is complete: the target is either as it was
        // or the whole result, never anything in between.
        let target = export(&workspace).await;
        let completed = finished || target == expected;
        if !completed {
            assert!(
                target == before,
                "run {run}: killed after {wait} ms, the target changed"
            );
            let resumed = pull(&stub, &workspace, &["--replace", "--resume"]).await;
            if resumed.status.code() == Some(2) {
                // Killed before anything was staged: there is nothing to resume, a new pull starts.
                assert!(
                    err(&resumed).contains("no interrupted pull"),
                    "{}",
                    err(&resumed)
                );
                let again = pull(&stub, &workspace, &["--replace"]).await;
                assert!(again.status.success(), "{}", err(&again));
            } else {
                assert!(
                    resumed.status.success(),
                    "run {run}, killed after {wait} ms: {}",
                    err(&resumed)
                );
            }
        }
        assert!(
            export(&workspace).await == expected,
            "run {run}: killed after {wait} ms"
        );
        assert!(
            !scratch.files().iter().any(|file| file.contains(".pull")),
            "{:?}",
            scratch.files()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacing_keeps_settings_their_history_logins_and_outbox() {
    let stub = acme_stub().await;
    let scratch = Scratch::new();
    let workspace = import_acme(&scratch).await;
    let set = portal(&[
        "settings",
        "set",
        "page_title",
        "Kept title",
        "--workspace",
        &workspace,
    ])
    .await;
    assert!(set.status.success(), "{}", err(&set));
    let history_before = out(&portal(&["settings", "history", "--workspace", &workspace]).await);

    let output = pull(&stub, &workspace, &["--replace"]).await;
    assert!(output.status.success(), "{}", err(&output));
    let summary: Value = serde_json::from_str(&out(&output)).unwrap();
    assert_eq!(summary["replaced"], true);
    // Every acme contact with a login has a pulled contact of the same email.
    assert_eq!(summary["logins_kept"], 5);
    assert_eq!(summary["logins_dropped"], 0);
    // The kept settings name the bundle's access list, which the vendor does not have: the snapshot
    // diff reports who lost access.
    assert_eq!(
        summary["visibility"]["may_no_longer_sign_in"],
        serde_json::json!([
            "ana@acme.example",
            "ben@acme.example",
            "dan@globex.example",
            "eve@freelance.example"
        ])
    );
    let settings: Value = serde_json::from_str(&out(&portal(&[
        "settings",
        "show",
        "--workspace",
        &workspace,
    ])
    .await))
    .unwrap();
    assert_eq!(settings["page_title"], "Kept title");
    let history_after = out(&portal(&["settings", "history", "--workspace", &workspace]).await);
    assert_eq!(history_after, history_before);
    let exported: Value = serde_json::from_str(&export(&workspace).await).unwrap();
    assert_eq!(exported["forms"][0]["id"], "support-form");
    // The CRM data is the vendor's now.
    assert!(exported["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|contact| contact["id"].as_str().unwrap().starts_with("55")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacing_keeps_the_key_the_kept_history_fingerprinted_secrets_with() {
    // History keeps the SSO secret as a fingerprint made with the workspace's key; without that key
    // the kept history would no longer recognise the current secret (an undo would be refused).
    let stub = acme_stub().await;
    let scratch = Scratch::new();
    let workspace = import_acme(&scratch).await;
    let key = || async {
        let opened = portal::Workspace::open(std::path::Path::new(&workspace), false)
            .await
            .unwrap();
        let key = opened.fingerprint_key().await.unwrap();
        opened.close().await;
        key
    };
    let before = key().await;
    let output = pull(&stub, &workspace, &["--replace"]).await;
    assert!(output.status.success(), "{}", err(&output));
    assert_eq!(key().await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_2_and_write_nothing() {
    let stub = acme_stub().await;
    let scratch = Scratch::new();
    let existing = import_acme(&scratch).await;
    let before = scratch.files();

    let exists = pull(&stub, &existing, &[]).await;
    assert_eq!(exists.status.code(), Some(2), "{}", err(&exists));
    assert!(
        err(&exists).contains("already exists; pass --replace"),
        "{}",
        err(&exists)
    );

    let plain = portal(&[
        "pull",
        "--workspace",
        &scratch.path("new.portal"),
        "--api-base",
        "http://api.example.com",
    ])
    .await;
    assert_eq!(plain.status.code(), Some(2), "{}", err(&plain));
    assert!(
        err(&plain).contains("only for a loopback address"),
        "{}",
        err(&plain)
    );

    let text_file = scratch.path("notes.txt");
    std::fs::write(&text_file, "not a workspace").unwrap();
    let foreign = pull(&stub, &text_file, &["--replace"]).await;
    assert_eq!(foreign.status.code(), Some(2), "{}", err(&foreign));
    assert!(
        err(&foreign).contains("is not a Portal Studio workspace"),
        "{}",
        err(&foreign)
    );
    assert_eq!(
        std::fs::read_to_string(&text_file).unwrap(),
        "not a workspace"
    );
    std::fs::remove_file(&text_file).unwrap();

    let nothing = pull(&stub, &scratch.path("new.portal"), &["--resume"]).await;
    assert_eq!(nothing.status.code(), Some(2), "{}", err(&nothing));

    let no_token = portal_with(
        &[
            "pull",
            "--workspace",
            &scratch.path("new.portal"),
            "--api-base",
            &stub.url,
        ],
        &[("HUBSPOT_ACCESS_TOKEN", "")],
    )
    .await;
    assert_eq!(no_token.status.code(), Some(2), "{}", err(&no_token));
    assert!(
        err(&no_token).contains("HUBSPOT_ACCESS_TOKEN"),
        "{}",
        err(&no_token)
    );
    assert_eq!(scratch.files(), before);
    assert_eq!(stub.seen().requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_can_come_from_standard_input() {
    let stub = acme_stub().await;
    let scratch = Scratch::new();
    let workspace = scratch.path("new.portal");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_portal"))
        .args([
            "pull",
            "--workspace",
            &workspace,
            "--api-base",
            &stub.url,
            "--token-stdin",
        ])
        .env_remove("HUBSPOT_ACCESS_TOKEN")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use tokio::io::AsyncWriteExt;
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{TOKEN}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let output = child.wait_with_output().await.unwrap();
    assert!(output.status.success(), "{}", err(&output));
    assert!(out(&output).contains("Pulled into"), "{}", out(&output));
    assert!(err(&output).contains("tickets: 8 in"), "{}", err(&output));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_at_a_page_boundary_and_resume_finishes() {
    let scratch = Scratch::new();
    let clean = acme_stub().await;
    let expected = clean_export(&clean, &scratch, "clean.portal").await;
    let stub = acme_stub().await;
    stub.faults(|faults| faults.all_slow = Some(std::time::Duration::from_millis(30)));
    let workspace = scratch.path("interrupted.portal");
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_portal"))
        .args(["pull", "--workspace", &workspace, "--api-base", &stub.url])
        .env("HUBSPOT_ACCESS_TOKEN", TOKEN)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let pid = child.id().unwrap().to_string();
    let sent = tokio::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .await
        .unwrap();
    assert!(sent.success());
    let stopped = child.wait_with_output().await.unwrap();
    assert_eq!(stopped.status.code(), Some(1), "{}", err(&stopped));
    assert!(
        err(&stopped).contains("Continue it with --resume"),
        "{}",
        err(&stopped)
    );
    assert!(!Path::new(&workspace).exists());
    stub.faults(|faults| faults.all_slow = None);
    let resumed = pull(&stub, &workspace, &["--resume"]).await;
    assert!(resumed.status.success(), "{}", err(&resumed));
    assert_eq!(export(&workspace).await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_goes_to_standard_error_per_kind_and_quiet_silences_it() {
    let scratch = Scratch::new();
    let stub = acme_stub().await;
    let workspace = scratch.path("lines.portal");
    let output = pull(&stub, &workspace, &[]).await;
    assert!(output.status.success(), "{}", err(&output));
    let lines = err(&output);
    for kind in ["companies: ", "contacts: ", "tickets: ", "threads: "] {
        assert!(lines.contains(kind), "no {kind:?} line in:\n{lines}");
    }
    let quiet = scratch.path("quiet.portal");
    let output = pull(&stub, &quiet, &["--quiet"]).await;
    assert!(output.status.success(), "{}", err(&output));
    assert_eq!(err(&output), "", "--quiet leaves standard error empty");
    assert!(out(&output).contains("\"contacts\""), "{}", out(&output));
}
