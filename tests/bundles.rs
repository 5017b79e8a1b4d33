//! Bad bundles: every validation error names its JSON path, and importing one changes nothing — no new
//! file, and an existing workspace keeps its data even with --replace.

use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

fn acme() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acme.bundle.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn read_error(text: &str) -> String {
    portal::bundle::read(text)
        .expect_err("the bundle is refused")
        .to_string()
}

fn refused(bundle: &Value) -> String {
    read_error(&bundle.to_string())
}

#[test]
fn a_dangling_reference_is_refused_with_its_path() {
    let mut bundle = acme();
    bundle["tickets"][3]["pipeline"] = json!("sales");
    assert_eq!(
        refused(&bundle),
        "tickets[3].pipeline: unknown pipeline \"sales\""
    );
    let mut bundle = acme();
    bundle["contacts"][0]["lists"][0] = json!("vip");
    assert_eq!(
        refused(&bundle),
        "contacts[0].lists[0]: unknown list \"vip\""
    );
    let mut bundle = acme();
    bundle["threads"][0]["channel"] = json!("fax");
    assert_eq!(
        refused(&bundle),
        "threads[0].channel: unknown channel \"fax\""
    );
}

#[test]
fn a_duplicate_id_is_refused() {
    let mut bundle = acme();
    bundle["tickets"][1]["id"] = json!("1001");
    assert!(refused(&bundle).starts_with("tickets[1].id: duplicate id \"1001\""));
    let mut bundle = acme();
    bundle["threads"][1]["messages"][0]["id"] = json!("m-1");
    assert_eq!(
        refused(&bundle),
        "threads[1].messages[0].id: duplicate id \"m-1\""
    );
}

#[test]
fn a_bad_enum_value_is_refused() {
    let mut bundle = acme();
    bundle["channels"][0]["type"] = json!("PIGEON");
    let message = refused(&bundle);
    assert!(
        message.starts_with("channels[0].type: unknown variant `PIGEON`"),
        "{message}"
    );
    let mut bundle = acme();
    bundle["settings"]["ticket_permissions"] = json!("everyone");
    let message = refused(&bundle);
    assert!(
        message.starts_with("settings.ticket_permissions: unknown variant `everyone`"),
        "{message}"
    );
}

#[test]
fn a_bad_timestamp_is_refused() {
    let mut bundle = acme();
    bundle["threads"][2]["messages"][0]["created_at"] = json!("yesterday");
    assert_eq!(
        refused(&bundle),
        "threads[2].messages[0].created_at: bad timestamp \"yesterday\" (expected RFC 3339, e.g. 2025-03-01T09:30:00Z)"
    );
}

#[test]
fn an_unknown_key_is_refused_except_inside_properties() {
    let mut bundle = acme();
    bundle["tickets"][0]["subjet"] = json!("typo");
    let message = refused(&bundle);
    assert!(
        message.starts_with("tickets[0].subjet: unknown field `subjet`"),
        "{message}"
    );
    let mut bundle = acme();
    bundle["tickets"][0]["properties"]["anything"] = json!({"nested": true});
    if let Err(error) = portal::bundle::read(&bundle.to_string()) {
        panic!("{error}");
    }
}

#[test]
fn a_wrong_version_is_refused() {
    let mut bundle = acme();
    bundle["version"] = json!(2);
    assert_eq!(
        refused(&bundle),
        "version: unsupported bundle version 2: this Portal Studio reads version 1"
    );
    let mut bundle = acme();
    bundle["format"] = json!("something-else");
    assert_eq!(refused(&bundle), "format: expected \"portal-bundle\"");
}

#[test]
fn text_that_is_not_json_is_refused() {
    let message = read_error("{ this is not json");
    assert!(message.starts_with("the bundle is not JSON:"), "{message}");
}

#[test]
fn settings_that_refer_to_missing_data_are_refused() {
    let mut bundle = acme();
    bundle["settings"]["default_inbox"] = json!("nowhere");
    let message = refused(&bundle);
    assert!(
        message.contains("settings.default_inbox: unknown inbox \"nowhere\""),
        "{message}"
    );
}

#[test]
fn every_list_may_be_absent() {
    let data = portal::bundle::read(r#"{"format": "portal-bundle", "version": 1}"#).unwrap();
    assert!(data.tickets.is_empty());
    assert_eq!(data.settings, portal::domain::settings::Settings::default());
}

fn portal_command(arguments: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_portal"))
        .args(arguments)
        .output()
        .unwrap()
}

#[test]
fn a_refused_import_creates_no_file_and_leaves_an_existing_workspace_unchanged() {
    let scratch = tempfile::tempdir().unwrap();
    let bad = scratch.path().join("bad.json");
    let mut bundle = acme();
    bundle["tickets"][3]["pipeline"] = json!("sales");
    std::fs::write(&bad, bundle.to_string()).unwrap();
    let fresh = scratch.path().join("fresh.portal");
    let output = portal_command(&[
        "import",
        bad.to_str().unwrap(),
        "--workspace",
        fresh.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("tickets[3].pipeline: unknown pipeline \"sales\""));
    assert!(!fresh.exists(), "no workspace file is left behind");

    let good = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acme.bundle.json");
    let existing = scratch.path().join("existing.portal");
    assert!(portal_command(&[
        "import",
        good.to_str().unwrap(),
        "--workspace",
        existing.to_str().unwrap()
    ])
    .status
    .success());
    let before = portal_command(&["export", "--workspace", existing.to_str().unwrap()]).stdout;
    let output = portal_command(&[
        "import",
        bad.to_str().unwrap(),
        "--workspace",
        existing.to_str().unwrap(),
        "--replace",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let after = portal_command(&["export", "--workspace", existing.to_str().unwrap()]).stdout;
    assert_eq!(before, after);
}

#[test]
fn checking_a_bundle_file_counts_every_byte_it_reads_for_the_progress_bar() {
    let bundle = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acme.bundle.json");
    let read = std::sync::atomic::AtomicU64::new(0);
    let checked =
        portal::bundle::check(portal::bundle::Source::CountedFile(&bundle, &read)).unwrap();
    assert!(!checked.has_problems());
    assert_eq!(
        read.load(std::sync::atomic::Ordering::Relaxed),
        std::fs::metadata(&bundle).unwrap().len()
    );
}

#[test]
fn a_contact_email_that_registration_would_refuse_is_refused_on_import() {
    // Import, registration, password reset and SSO share one email test, so no contact can be imported
    // with an address the portal would then refuse at sign-in.
    for address in ["ana@acme.example.", "<a>@acme.example"] {
        let mut bundle = acme();
        bundle["contacts"][0]["email"] = json!(address);
        let error = refused(&bundle);
        assert!(
            error.starts_with("contacts[0].email:"),
            "{address} was refused with {error}"
        );
    }
}

#[test]
fn a_record_listing_the_same_reference_twice_is_refused_with_its_path() {
    let mut bundle = acme();
    bundle["tickets"][0]["contacts"] = json!(["ana", "ana"]);
    assert_eq!(
        refused(&bundle),
        "tickets[0].contacts[1]: contact \"ana\" is listed twice (first at [0])"
    );
    let mut bundle = acme();
    bundle["contacts"][0]["lists"] = json!(["customers", "customers"]);
    assert_eq!(
        refused(&bundle),
        "contacts[0].lists[1]: list \"customers\" is listed twice (first at [0])"
    );
}

#[test]
fn a_bundle_starting_with_a_utf8_byte_order_mark_is_read() {
    let text = format!("\u{feff}{}", acme());
    let data = portal::bundle::read(&text).unwrap();
    assert_eq!(
        data.tickets.len(),
        acme()["tickets"].as_array().unwrap().len()
    );

    let scratch = tempfile::tempdir().unwrap();
    let bundle = scratch.path().join("bom.json");
    std::fs::write(&bundle, text).unwrap();
    let workspace = scratch.path().join("bom.portal");
    let output = portal_command(&[
        "import",
        bundle.to_str().unwrap(),
        "--workspace",
        workspace.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn an_import_refuses_a_template_that_does_not_compile_naming_its_path() {
    let scratch = tempfile::tempdir().unwrap();
    let mut bundle = acme();
    bundle["settings"]["templates"] = json!({ "list": "<p>first</p>\n<p>{% for %}</p>" });
    let path = scratch.path().join("broken-template.json");
    std::fs::write(&path, bundle.to_string()).unwrap();
    let workspace = scratch.path().join("broken.portal");
    let output = portal_command(&[
        "import",
        path.to_str().unwrap(),
        "--workspace",
        workspace.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("settings.templates.list: template \"list\" does not compile (line 2"),
        "{message}"
    );
    assert!(!workspace.exists());
}

/// The workspace file byte for byte, and how much its write-ahead log holds (0: no log, or an empty
/// one a reader left).
fn file_state(workspace: &Path) -> (Vec<u8>, u64) {
    let mut wal = workspace.as_os_str().to_owned();
    wal.push("-wal");
    (
        std::fs::read(workspace).unwrap(),
        std::fs::metadata(wal).map_or(0, |metadata| metadata.len()),
    )
}

#[test]
fn a_refused_operation_leaves_the_workspace_file_byte_for_byte_as_it_was() {
    let scratch = tempfile::tempdir().unwrap();
    let good = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acme.bundle.json");
    let existing = scratch.path().join("existing.portal");
    let workspace = existing.to_str().unwrap();
    let import = |replace: bool| {
        let mut arguments = vec!["import", good.to_str().unwrap(), "--workspace", workspace];
        if replace {
            arguments.push("--replace");
        }
        portal_command(&arguments)
    };
    assert!(import(false).status.success());
    let before = file_state(&existing);
    assert_eq!(before.1, 0, "a closed workspace has nothing in its log");

    let output = import(false);
    assert_eq!(output.status.code(), Some(2), "refused: it holds data");
    assert!(
        file_state(&existing) == before,
        "a refused import wrote to the file"
    );

    let output = portal_command(&[
        "settings",
        "set",
        "domain",
        "acme.hs-sites.com",
        "--workspace",
        workspace,
    ]);
    assert_eq!(output.status.code(), Some(2), "refused: a system domain");
    assert!(
        file_state(&existing) == before,
        "a refused setting wrote to the file"
    );
}

/// A bundle big enough that importing it takes a while (the demo generator's, exported).
fn large_bundle(directory: &Path) -> std::path::PathBuf {
    let workspace = directory.join("large.portal");
    let bundle = directory.join("large.json");
    for arguments in [
        vec![
            "demo",
            "--workspace",
            workspace.to_str().unwrap(),
            "--contacts",
            "200",
            "--tickets",
            "10000",
        ],
        vec![
            "export",
            "--workspace",
            workspace.to_str().unwrap(),
            "--out",
            bundle.to_str().unwrap(),
        ],
    ] {
        let output = portal_command(&arguments);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    bundle
}

#[test]
fn an_import_killed_before_it_completes_leaves_no_workspace_at_the_target() {
    let scratch = tempfile::tempdir().unwrap();
    let bundle = large_bundle(scratch.path());
    let imports = scratch.path().join("imports");
    std::fs::create_dir(&imports).unwrap();
    let target = imports.join("new.portal");
    let mut child = Command::new(env!("CARGO_BIN_EXE_portal"))
        .args([
            "import",
            bundle.to_str().unwrap(),
            "--workspace",
            target.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the import has started writing (a file appears in the directory), then kill it.
    while std::fs::read_dir(&imports).unwrap().next().is_none() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import finished before it could be killed"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!target.exists(), "a killed import left a workspace behind");

    let output = portal_command(&[
        "import",
        bundle.to_str().unwrap(),
        "--workspace",
        target.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let left: Vec<String> = std::fs::read_dir(&imports)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        // What the killed import was writing stays under its hidden temporary name.
        .filter(|name| !name.starts_with(".new.portal."))
        .collect();
    assert_eq!(left, vec!["new.portal".to_string()]);
}

// ---- Beyond the sources (bundle-format.md): other companies, language, properties, CC ----

/// The acme bundle using every field of "Beyond the sources".
fn acme_beyond() -> Value {
    let mut bundle = acme();
    bundle["contacts"][0]["companies"] = json!(["globex"]);
    bundle["contacts"][0]["language"] = json!("de");
    bundle["contacts"][0]["properties"] = json!({ "job_title": "Manager" });
    bundle["contacts"][1]["properties"] = json!({ "job_title": "Engineer", "team": "North" });
    bundle["tickets"][4]["cc"] = json!(["ana", "eve"]);
    bundle["settings"]["company_view_rules"] = json!([
        { "property": "job_title", "operator": "is_any_of", "values": ["Manager"] }
    ]);
    bundle["settings"]["company_scope"] = json!("associated");
    bundle["settings"]["cc_see_tickets"] = json!(true);
    bundle["settings"]["customers_close_tickets"] = json!(true);
    bundle
}

#[test]
fn the_fields_beyond_the_sources_survive_an_import_and_export_byte_for_byte() {
    let scratch = tempfile::tempdir().unwrap();
    let source = scratch.path().join("beyond.json");
    std::fs::write(&source, acme_beyond().to_string()).unwrap();
    let first = scratch.path().join("first.portal");
    assert!(portal_command(&[
        "import",
        source.to_str().unwrap(),
        "--workspace",
        first.to_str().unwrap()
    ])
    .status
    .success());
    let exported = portal_command(&["export", "--workspace", first.to_str().unwrap()]).stdout;
    let bundle: Value = serde_json::from_slice(&exported).unwrap();
    assert_eq!(bundle["contacts"][0]["companies"], json!(["globex"]));
    assert_eq!(bundle["contacts"][0]["language"], json!("de"));
    assert_eq!(
        bundle["contacts"][0]["properties"],
        json!({ "job_title": "Manager" })
    );
    assert_eq!(bundle["tickets"][4]["cc"], json!(["ana", "eve"]));
    assert_eq!(bundle["settings"]["company_scope"], json!("associated"));
    assert_eq!(bundle["settings"]["cc_see_tickets"], json!(true));
    assert_eq!(
        bundle["settings"]["company_view_rules"][0]["values"],
        json!(["Manager"])
    );
    // Contacts and tickets that use none of it carry none of the new keys.
    assert!(bundle["contacts"][2].get("companies").is_none());
    assert!(bundle["contacts"][2].get("properties").is_none());
    assert!(bundle["tickets"][0].get("cc").is_none());
    let again = scratch.path().join("again.json");
    std::fs::write(&again, &exported).unwrap();
    let second = scratch.path().join("second.portal");
    assert!(portal_command(&[
        "import",
        again.to_str().unwrap(),
        "--workspace",
        second.to_str().unwrap()
    ])
    .status
    .success());
    let reexported = portal_command(&["export", "--workspace", second.to_str().unwrap()]).stdout;
    assert_eq!(
        String::from_utf8(exported).unwrap(),
        String::from_utf8(reexported).unwrap()
    );
}

#[test]
fn a_bundle_without_the_new_settings_exports_without_them() {
    let scratch = tempfile::tempdir().unwrap();
    let good = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acme.bundle.json");
    let workspace = scratch.path().join("acme.portal");
    assert!(portal_command(&[
        "import",
        good.to_str().unwrap(),
        "--workspace",
        workspace.to_str().unwrap()
    ])
    .status
    .success());
    let exported: Value = serde_json::from_slice(
        &portal_command(&["export", "--workspace", workspace.to_str().unwrap()]).stdout,
    )
    .unwrap();
    for key in [
        "company_view_rules",
        "company_scope",
        "cc_see_tickets",
        "customers_close_tickets",
    ] {
        assert!(exported["settings"].get(key).is_none(), "{key} is exported");
    }
}

#[test]
fn unknown_references_beyond_the_sources_are_refused_with_their_paths() {
    let mut bundle = acme_beyond();
    bundle["contacts"][0]["companies"] = json!(["initech"]);
    assert_eq!(
        refused(&bundle),
        "contacts[0].companies[0]: unknown company \"initech\""
    );
    let mut bundle = acme_beyond();
    bundle["contacts"][0]["companies"] = json!(["acme"]);
    assert_eq!(
        refused(&bundle),
        "contacts[0].companies[0]: company \"acme\" is already the contact's primary company"
    );
    let mut bundle = acme_beyond();
    bundle["tickets"][4]["cc"] = json!(["zed"]);
    assert_eq!(
        refused(&bundle),
        "tickets[4].cc[0]: unknown contact \"zed\""
    );
    let mut bundle = acme_beyond();
    bundle["tickets"][4]["cc"] = json!(["dan"]);
    assert_eq!(
        refused(&bundle),
        "tickets[4].cc[0]: contact \"dan\" is already among the ticket's contacts"
    );
    let mut bundle = acme_beyond();
    bundle["settings"]["company_view_rules"][0]["property"] = json!("shoe_size");
    assert_eq!(
        refused(&bundle),
        "settings.company_view_rules[0].property: unknown contact property \"shoe_size\""
    );
    let mut bundle = acme_beyond();
    bundle["contacts"][0]["properties"] = json!({ "job_title": 3 });
    assert!(
        refused(&bundle).contains("contacts"),
        "a property that is not text is refused"
    );
}
