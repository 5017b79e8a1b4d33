//! The `portal` command line as QA scripts it: the acme fixture's expected views, settings edits with
//! history and undo, the setup checklist, export/import round trips and clear errors.

use serde_json::Value;
use std::process::{Command, Output};

mod cli_support;
use cli_support::{errors, fixture, portal, text};

struct Scratch(tempfile::TempDir);

impl Scratch {
    fn new() -> Scratch {
        Scratch(tempfile::tempdir().unwrap())
    }
    fn path(&self, name: &str) -> String {
        self.0.path().join(name).to_string_lossy().into_owned()
    }
    fn acme(&self) -> String {
        let workspace = self.path("acme.portal");
        let bundle = fixture("acme.bundle.json");
        let output = portal(&[
            "import",
            bundle.to_str().unwrap(),
            "--workspace",
            &workspace,
        ]);
        assert!(output.status.success(), "{}", errors(&output));
        workspace
    }
}

#[test]
fn view_as_reproduces_every_acme_expected_case() {
    let scratch = Scratch::new();
    let workspace = scratch.acme();
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("acme.expected.json")).unwrap())
            .unwrap();
    for case in expected["cases"].as_array().unwrap() {
        let email = case["contact"].as_str().unwrap();
        let mut arguments = vec![
            "view-as",
            email,
            "--workspace",
            &workspace,
            "--format",
            "json",
        ];
        if let Some(view) = case["view"].as_str() {
            arguments.extend(["--view", view]);
        }
        let output = portal(&arguments);
        assert!(output.status.success(), "{}", errors(&output));
        let actual: Value = serde_json::from_str(&text(&output)).unwrap();
        let label = format!("{email} view {}", case["view"]);
        assert_eq!(actual["contact"], case["contact"], "{label}");
        assert_eq!(actual["can_sign_in"], case["can_sign_in"], "{label}");
        assert_eq!(actual["views"], case["views"], "{label}");
        assert_eq!(actual["view"], case["view"], "{label}");
        let tickets: Vec<Value> = actual["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|ticket| {
                let thread = match &ticket["thread"] {
                    Value::Null => Value::Null,
                    thread => serde_json::json!({
                        "id": thread["id"],
                        "messages": thread["messages"].as_array().unwrap().iter().map(|m| m["id"].clone()).collect::<Vec<_>>(),
                    }),
                };
                serde_json::json!({ "id": ticket["id"], "status": ticket["status"], "thread": thread })
            })
            .collect();
        assert_eq!(Value::Array(tickets), case["tickets"], "{label}");
        let hidden: Vec<Value> = actual["hidden_tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].clone())
            .collect();
        assert_eq!(Value::Array(hidden), case["hidden_tickets"], "{label}");
        for hidden in actual["hidden_tickets"].as_array().unwrap() {
            assert!(
                !hidden["reason"].as_str().unwrap().is_empty(),
                "{label}: every hidden ticket has a reason"
            );
        }
    }
}

#[test]
fn view_as_json_has_the_documented_shape() {
    let scratch = Scratch::new();
    let workspace = scratch.acme();
    let output = portal(&[
        "view-as",
        "ana@acme.example",
        "--workspace",
        &workspace,
        "--format",
        "json",
    ]);
    let view: Value = serde_json::from_str(&text(&output)).unwrap();
    assert_eq!(view["access_reason"], "member of list Portal customers");
    let printer = view["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "1001")
        .unwrap();
    assert_eq!(printer["subject"], "Printer offline");
    assert_eq!(printer["created_at"], "2025-03-01T09:30:00Z");
    assert_eq!(printer["last_activity_at"], "2025-03-03T12:00:00Z");
    assert_eq!(printer["thread"]["reason"], "most recent eligible thread");
    let first = &printer["thread"]["messages"][0];
    assert_eq!(first["direction"], "INCOMING");
    assert_eq!(first["from"], "ana@acme.example");
    assert_eq!(first["text"], "Following up in chat: model is LX-200.");
    let hidden_threads: Vec<&str> = printer["hidden_threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(hidden_threads, ["th-1", "th-3"]);
    let hidden = &view["hidden_tickets"][0];
    assert_eq!(
        hidden["reason"],
        "filter 'pipeline is any of Support' fails (pipeline is Billing)"
    );
}

#[test]
fn view_as_table_lists_tickets_with_reasons() {
    let scratch = Scratch::new();
    let workspace = scratch.acme();
    let output = portal(&["view-as", "cara@acme.example", "--workspace", &workspace]);
    assert!(output.status.success());
    assert!(text(&output)
        .contains("cannot sign in (not a member of any access list (Portal customers))"));
    let output = portal(&["view-as", "ana@acme.example", "--workspace", &workspace]);
    let table = text(&output);
    assert!(table.contains("1007    Open"), "{table}");
    assert!(
        table.contains("1002    filter 'pipeline is any of Support' fails"),
        "{table}"
    );
}

#[test]
fn view_as_an_unknown_email_is_a_clear_error_with_exit_code_2() {
    let scratch = Scratch::new();
    let workspace = scratch.acme();
    let output = portal(&["view-as", "nobody@acme.example", "--workspace", &workspace]);
    assert_eq!(output.status.code(), Some(2));
    assert!(errors(&output).contains("no contact with the email nobody@acme.example"));
}

#[test]
fn settings_set_is_validated_recorded_and_undoable() {
    let scratch = Scratch::new();
    let workspace = scratch.acme();
    let output = portal(&[
        "settings",
        "set",
        "page_title",
        "Acme Help Centre",
        "--workspace",
        &workspace,
    ]);
    assert!(output.status.success(), "{}", errors(&output));
    let output = portal(&[
        "settings",
        "set",
        "domain",
        "acme.hs-sites.com",
        "--workspace",
        &workspace,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        errors(&output).contains("domain: the system domain"),
        "{}",
        errors(&output)
    );
    let shown: Value = serde_json::from_str(&text(&portal(&[
        "settings",
        "show",
        "--workspace",
        &workspace,
    ])))
    .unwrap();
    assert_eq!(shown["page_title"], "Acme Help Centre");
    assert_eq!(
        shown["domain"], "support.acme.example",
        "a refused change leaves the setting alone"
    );
    let history = text(&portal(&["settings", "history", "--workspace", &workspace]));
    assert!(history.contains("by qa: changed page_title"), "{history}");
    assert!(
        history.contains("\"Acme Support\" -> \"Acme Help Centre\""),
        "{history}"
    );
    assert!(portal(&["settings", "undo", "--workspace", &workspace])
        .status
        .success());
    let shown: Value = serde_json::from_str(&text(&portal(&[
        "settings",
        "show",
        "--workspace",
        &workspace,
    ])))
    .unwrap();
    assert_eq!(shown["page_title"], "Acme Support");
}

#[test]
fn settings_set_refuses_a_template_that_does_not_compile() {
    let scratch = Scratch::new();
    let workspace = scratch.acme();
    let history = text(&portal(&["settings", "history", "--workspace", &workspace]));
    let output = portal(&[
        "settings",
        "set",
        "templates.list",
        "<p>first</p>\n<p>{% for %}</p>",
        "--workspace",
        &workspace,
    ]);
    assert_eq!(output.status.code(), Some(2));
    let message = errors(&output);
    assert!(
        message.contains("template \"list\" does not compile (line 2, column"),
        "{message}"
    );
    let shown: Value = serde_json::from_str(&text(&portal(&[
        "settings",
        "show",
        "--workspace",
        &workspace,
    ])))
    .unwrap();
    assert!(shown["templates"].get("list").is_none(), "{shown}");
    assert_eq!(
        text(&portal(&["settings", "history", "--workspace", &workspace])),
        history
    );
}

#[test]
fn settings_changes_alter_what_view_as_answers() {
    let scratch = Scratch::new();
    let workspace = scratch.acme();
    assert!(portal(&[
        "settings",
        "set",
        "ticket_permissions",
        "contact",
        "--workspace",
        &workspace
    ])
    .status
    .success());
    let view: Value = serde_json::from_str(&text(&portal(&[
        "view-as",
        "ana@acme.example",
        "--workspace",
        &workspace,
        "--format",
        "json",
    ])))
    .unwrap();
    let ids: Vec<&str> = view["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["1001"]);
    assert_eq!(view["views"], serde_json::json!([]));
    assert_eq!(view["view"], Value::Null);
}

#[test]
fn check_exits_non_zero_while_the_checklist_fails() {
    let scratch = Scratch::new();
    let workspace = scratch.acme();
    let output = portal(&["check", "--workspace", &workspace]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(portal(&[
        "settings",
        "set",
        "enabled",
        "false",
        "--workspace",
        &workspace
    ])
    .status
    .success());
    assert!(portal(&[
        "settings",
        "set",
        "domain",
        "null",
        "--workspace",
        &workspace
    ])
    .status
    .success());
    let output = portal(&["check", "--workspace", &workspace]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output).contains("[TODO] Domain"), "{}", text(&output));
    let output = portal(&[
        "settings",
        "set",
        "enabled",
        "true",
        "--workspace",
        &workspace,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(errors(&output)
        .contains("cannot be enabled until the setup checklist passes: no domain is set"));
}

#[test]
fn export_then_import_gives_the_same_workspace_without_secrets() {
    let scratch = Scratch::new();
    let workspace = scratch.acme();
    let first = scratch.path("first.json");
    assert!(
        portal(&["export", "--workspace", &workspace, "--out", &first])
            .status
            .success()
    );
    let exported = std::fs::read_to_string(&first).unwrap();
    assert!(
        !exported.contains("correct horse battery"),
        "no passwords are exported"
    );
    assert!(!exported.contains("\"password\""));
    let copy = scratch.path("copy.portal");
    let output = portal(&["import", &first, "--workspace", &copy]);
    assert!(output.status.success(), "{}", errors(&output));
    let second = scratch.path("second.json");
    assert!(portal(&["export", "--workspace", &copy, "--out", &second])
        .status
        .success());
    let first: Value = serde_json::from_str(&exported).unwrap();
    let second: Value = serde_json::from_str(&std::fs::read_to_string(&second).unwrap()).unwrap();
    assert_eq!(first, second);
    let original: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("acme.bundle.json")).unwrap())
            .unwrap();
    assert_eq!(first["tickets"], original["tickets"]);
    assert_eq!(first["threads"], original["threads"]);
    assert_eq!(first["settings"], original["settings"]);
}

#[test]
fn importing_over_a_workspace_with_data_needs_replace() {
    let scratch = Scratch::new();
    let workspace = scratch.acme();
    let bundle = fixture("acme.bundle.json");
    let output = portal(&[
        "import",
        bundle.to_str().unwrap(),
        "--workspace",
        &workspace,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(errors(&output).contains("--replace"));
    let output = portal(&[
        "import",
        bundle.to_str().unwrap(),
        "--workspace",
        &workspace,
        "--replace",
    ]);
    assert!(output.status.success(), "{}", errors(&output));
}

#[test]
fn a_file_that_is_not_a_workspace_is_refused_and_left_untouched() {
    let scratch = Scratch::new();
    let notes = scratch.path("notes.portal");
    std::fs::write(&notes, "my precious notes, not a database").unwrap();
    let output = portal(&["view-as", "ana@acme.example", "--workspace", &notes]);
    assert_eq!(output.status.code(), Some(2));
    assert!(errors(&output).contains("is not a Portal Studio workspace"));
    assert_eq!(
        std::fs::read_to_string(&notes).unwrap(),
        "my precious notes, not a database"
    );
}

#[test]
fn output_piped_into_a_reader_that_has_gone_ends_quietly() {
    // As `portal audit | head -1` does once head has its line: the reading end is closed.
    let scratch = Scratch::new();
    let workspace = scratch.acme();
    let mut child = Command::new(env!("CARGO_BIN_EXE_portal"))
        .args(["audit", "--workspace", &workspace])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the portal binary runs");
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let errors = errors(&output);
    assert!(!errors.contains("panicked"), "{errors}");
    assert_ne!(output.status.code(), Some(101), "not a panic's exit code");
}

#[test]
fn audit_lists_every_contact_and_view() {
    let scratch = Scratch::new();
    let workspace = scratch.acme();
    let csv = text(&portal(&["audit", "--workspace", &workspace]));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "contact,name,company,view,can_sign_in,access_reason,visible_count,visible_tickets"
    );
    // Four contacts with a company have two views each; Eve has one row.
    assert_eq!(lines.len(), 1 + 4 * 2 + 1);
    assert!(lines.contains(&"ana@acme.example,Ana Berg,Acme GmbH,organization,true,member of list Portal customers,4,1007 1001 1008 1003"), "{csv}");
    assert!(
        lines.contains(
            &"eve@freelance.example,Eve Moreau,,,true,member of list Portal customers,1,1006"
        ),
        "{csv}"
    );
    let json: Value = serde_json::from_str(&text(&portal(&[
        "audit",
        "--workspace",
        &workspace,
        "--format",
        "json",
    ])))
    .unwrap();
    assert_eq!(json.as_array().unwrap().len(), 9);
}

#[test]
fn demo_writes_a_deterministic_workspace() {
    let scratch = Scratch::new();
    let first = scratch.path("one.portal");
    let second = scratch.path("two.portal");
    for path in [&first, &second] {
        let output = portal(&[
            "demo",
            "--workspace",
            path,
            "--contacts",
            "30",
            "--tickets",
            "90",
        ]);
        assert!(output.status.success(), "{}", errors(&output));
    }
    let export = |path: &str| text(&portal(&["export", "--workspace", path]));
    let one: Value = serde_json::from_str(&export(&first)).unwrap();
    let two: Value = serde_json::from_str(&export(&second)).unwrap();
    assert_eq!(one, two);
    assert_eq!(one["contacts"].as_array().unwrap().len(), 30);
    assert_eq!(one["tickets"].as_array().unwrap().len(), 90);
    let channels = one["channels"].as_array().unwrap();
    assert!(
        channels.iter().any(|c| c["inbox"].is_null()),
        "the demo has unconnected channels"
    );
    let threads = one["threads"].as_array().unwrap();
    assert!(threads
        .iter()
        .flat_map(|t| t["messages"].as_array().unwrap())
        .any(|m| m["type"] == "COMMENT"));
    assert!(portal(&["check", "--workspace", &first]).status.success());
}

const SSO_SECRET_A: &str = "first-shared-secret-of-enough-length";
const SSO_SECRET_B: &str = "second-shared-secret-of-enough-length";

fn sso_with_secret(secret: &str) -> String {
    serde_json::json!({
        "type": "jwt",
        "algorithm": "HS256",
        "secret": secret,
        "issuer": "https://idp.acme.example",
        "audience": "acme-portal",
        "email_claim": "email",
    })
    .to_string()
}

fn set(workspace: &str, key: &str, value: &str) -> Output {
    portal(&["settings", "set", key, value, "--workspace", workspace])
}

/// Rows of one text column, read straight from the workspace file (what a copy of the file reveals).
fn stored_texts(workspace: &str, query: &str) -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use sqlx::Connection;
        let mut connection = sqlx::SqliteConnection::connect(&format!("sqlite://{workspace}"))
            .await
            .unwrap();
        let rows: Vec<String> = sqlx::query_scalar(query)
            .fetch_all(&mut connection)
            .await
            .unwrap();
        connection.close().await.unwrap();
        rows
    })
}

fn history_documents(workspace: &str) -> String {
    stored_texts(
        workspace,
        "SELECT before_document || after_document FROM settings_history",
    )
    .join("\n")
}

#[test]
fn settings_history_shows_and_keeps_a_fingerprint_of_the_sso_secret_never_the_secret() {
    let scratch = Scratch::new();
    let workspace = scratch.acme();
    for secret in [SSO_SECRET_A, SSO_SECRET_B] {
        let output = set(&workspace, "sso", &sso_with_secret(secret));
        assert!(output.status.success(), "{}", errors(&output));
    }
    let history = text(&portal(&["settings", "history", "--workspace", &workspace]));
    assert!(
        !history.contains(SSO_SECRET_A) && !history.contains(SSO_SECRET_B),
        "{history}"
    );
    assert!(
        history.contains("fingerprint sha256:"),
        "the change still shows: {history}"
    );
    let kept = history_documents(&workspace);
    assert!(
        !kept.contains(SSO_SECRET_A) && !kept.contains(SSO_SECRET_B),
        "{kept}"
    );
}

#[test]
fn the_same_secret_has_another_fingerprint_in_another_workspace() {
    // Keyed by each workspace: a printed history cannot be used to confirm a guessed secret.
    let fingerprint = |scratch: &Scratch| {
        let workspace = scratch.acme();
        assert!(set(&workspace, "sso", &sso_with_secret(SSO_SECRET_A))
            .status
            .success());
        let history = text(&portal(&["settings", "history", "--workspace", &workspace]));
        let at = history.find("fingerprint sha256:").expect("a fingerprint") + 19;
        history[at..at + 8].to_string()
    };
    let (one, two) = (fingerprint(&Scratch::new()), fingerprint(&Scratch::new()));
    assert!(one.bytes().all(|b| b.is_ascii_hexdigit()), "{one}");
    assert_ne!(one, two);
}

#[test]
fn an_old_workspace_with_secrets_in_its_history_is_rewritten_when_opened() {
    let scratch = Scratch::new();
    let workspace = scratch.acme();
    let output = set(&workspace, "sso", &sso_with_secret(SSO_SECRET_A));
    assert!(output.status.success(), "{}", errors(&output));
    // What an older Portal Studio wrote: the whole document, secret included, in history.
    let current = stored_texts(&workspace, "SELECT document FROM settings WHERE id = 1").remove(0);
    let inserted = stored_texts(
        &workspace,
        &format!(
            "INSERT INTO settings_history (changed_at, changed_by, summary, before_document, \
             after_document) VALUES (0, 'old', 'changed sso', '{0}', '{0}') RETURNING summary",
            current.replace('\'', "''")
        ),
    );
    assert_eq!(inserted, vec!["changed sso".to_string()]);
    assert!(history_documents(&workspace).contains(SSO_SECRET_A));

    let history = text(&portal(&["settings", "history", "--workspace", &workspace]));
    assert!(!history.contains(SSO_SECRET_A), "{history}");
    assert!(!history_documents(&workspace).contains(SSO_SECRET_A));
}

#[test]
fn undoing_a_change_of_the_sso_secret_is_refused_and_other_undos_keep_the_secret() {
    let scratch = Scratch::new();
    let workspace = scratch.acme();
    for secret in [SSO_SECRET_A, SSO_SECRET_B] {
        assert!(set(&workspace, "sso", &sso_with_secret(secret))
            .status
            .success());
    }
    let current_document =
        || stored_texts(&workspace, "SELECT document FROM settings WHERE id = 1").remove(0);
    let output = portal(&["settings", "undo", "--workspace", &workspace]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        errors(&output).contains("history keeps only its fingerprint"),
        "{}",
        errors(&output)
    );
    assert!(current_document().contains(SSO_SECRET_B));

    // A change that did not touch the secret is undone with the secret as it is now.
    let output = set(&workspace, "sso.issuer", "https://other-idp.acme.example");
    assert!(output.status.success(), "{}", errors(&output));
    let output = portal(&["settings", "undo", "--workspace", &workspace]);
    assert!(output.status.success(), "{}", errors(&output));
    let document = current_document();
    assert!(document.contains(SSO_SECRET_B), "{document}");
    assert!(document.contains("https://idp.acme.example"), "{document}");
}

/// The acme bundle with `change` applied, written to the scratch directory and imported.
fn acme_changed(scratch: &Scratch, change: impl FnOnce(&mut Value)) -> String {
    let mut bundle: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("acme.bundle.json")).unwrap())
            .unwrap();
    change(&mut bundle);
    let path = scratch.path("changed.bundle.json");
    std::fs::write(&path, bundle.to_string()).unwrap();
    let workspace = scratch.path("changed.portal");
    let output = portal(&["import", &path, "--workspace", &workspace]);
    assert!(output.status.success(), "{}", errors(&output));
    workspace
}

#[test]
fn view_as_table_shows_control_characters_in_subjects_escaped_and_json_keeps_them() {
    let scratch = Scratch::new();
    let hostile = "Printer\u{1b}]0;owned\u{7}\u{1b}[2J offline";
    let workspace = acme_changed(&scratch, |bundle| {
        bundle["tickets"][0]["subject"] = hostile.into();
    });
    let output = portal(&["view-as", "ana@acme.example", "--workspace", &workspace]);
    assert!(output.status.success(), "{}", errors(&output));
    let table = text(&output);
    assert!(
        !table.contains('\u{1b}') && !table.contains('\u{7}'),
        "{table:?}"
    );
    assert!(
        table.contains("Printer\\x1b]0;owned\\x07\\x1b[2J offline"),
        "{table}"
    );
    let json: Value = serde_json::from_str(&text(&portal(&[
        "view-as",
        "ana@acme.example",
        "--workspace",
        &workspace,
        "--format",
        "json",
    ])))
    .unwrap();
    let subjects: Vec<&str> = json["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|ticket| ticket["subject"].as_str())
        .collect();
    assert!(subjects.contains(&hostile), "{subjects:?}");
}

#[test]
fn audit_csv_neutralises_cells_a_spreadsheet_would_run_as_formulas() {
    let scratch = Scratch::new();
    let workspace = acme_changed(&scratch, |bundle| {
        bundle["contacts"][0]["first_name"] = "=HYPERLINK(\"http://evil.example\",\"x\")".into();
        bundle["contacts"][0]["last_name"] = "".into();
    });
    let csv = text(&portal(&["audit", "--workspace", &workspace]));
    let ana = csv
        .lines()
        .find(|line| line.starts_with("ana@acme.example"))
        .unwrap();
    assert!(
        ana.starts_with("ana@acme.example,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")"),
        "{ana}"
    );
}

/// Runs each long command (import, export, audit, demo) on a fresh scratch folder with `extra` arguments,
/// answering each one's output.
fn long_commands(extra: &[&str]) -> Vec<(&'static str, Output)> {
    let scratch = Scratch::new();
    let workspace = scratch.path("acme.portal");
    let bundle = fixture("acme.bundle.json");
    let with = |arguments: &[&str]| {
        let mut all = arguments.to_vec();
        all.extend_from_slice(extra);
        portal(&all)
    };
    let import = with(&[
        "import",
        bundle.to_str().unwrap(),
        "--workspace",
        &workspace,
    ]);
    let out = scratch.path("out.json");
    let export = with(&["export", "--workspace", &workspace, "--out", &out]);
    let audit = with(&["audit", "--workspace", &workspace]);
    let demo = scratch.path("demo.portal");
    let demo = with(&["demo", "--workspace", &demo, "--tickets", "90"]);
    let outputs = vec![
        ("import", import),
        ("export", export),
        ("audit", audit),
        ("demo", demo),
    ];
    for (command, output) in &outputs {
        assert!(output.status.success(), "{command}: {}", errors(output));
    }
    outputs
}

#[test]
fn long_commands_report_progress_as_plain_lines_when_standard_error_is_not_a_terminal() {
    let outputs = long_commands(&[]);
    let expected: [(&str, &[&str]); 4] = [
        (
            "import",
            &[
                "Checking the bundle: done, ",
                "Writing the workspace: done, ",
                "Building indexes: done in ",
            ],
        ),
        ("export", &["Writing the bundle: done, "]),
        (
            "audit",
            &[
                "Loading the workspace: done in ",
                "Computing the matrix: done, 5 contacts in ",
            ],
        ),
        ("demo", &["Writing demo tickets: done, 90 tickets in "]),
    ];
    for ((command, output), (_, lines)) in outputs.iter().zip(expected) {
        let log = errors(output);
        for line in lines {
            assert!(log.contains(line), "{command} lacks {line:?}:\n{log}");
        }
        assert!(
            !log.contains('\r') && !log.contains('\u{1b}'),
            "{command} draws a bar where no terminal is:\n{log:?}"
        );
    }
    // Standard output keeps only the answer.
    let audit = text(&outputs[2].1);
    assert!(audit.starts_with("contact,name,company,view,"), "{audit}");
}

#[test]
fn quiet_silences_progress_and_keeps_the_answer() {
    for (command, output) in long_commands(&["--quiet"]) {
        assert_eq!(errors(&output), "", "{command} with --quiet");
        if command == "audit" {
            assert_eq!(text(&output).lines().count(), 1 + 4 * 2 + 1);
        }
    }
}
