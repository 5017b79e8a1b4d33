//! The leak lint (spec 10.6) from the command line: `portal lint` on a fixture with exactly one case of
//! each finding, and on a clean one.

use serde_json::Value;

mod cli_support;
use cli_support::{errors, fixture, portal, text};

/// Imports `bundle` into a new workspace in `dir` and returns its path.
fn imported(dir: &tempfile::TempDir, bundle: &str) -> String {
    let workspace = dir.path().join("w.portal").to_string_lossy().into_owned();
    let output = portal(&[
        "import",
        fixture("lint").join(bundle).to_str().unwrap(),
        "--workspace",
        &workspace,
    ]);
    assert!(output.status.success(), "{}", errors(&output));
    workspace
}

fn lint_json(workspace: &str) -> (Option<i32>, Value) {
    let output = portal(&["lint", "--workspace", workspace, "--format", "json"]);
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}{}", text(&output), errors(&output)));
    (output.status.code(), report)
}

fn finding<'a>(report: &'a Value, code: &str) -> &'a Value {
    let matching: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["code"] == code)
        .collect();
    assert_eq!(matching.len(), 1, "exactly one {code}: {report:#}");
    matching[0]
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item.as_str().unwrap().to_string())
        .collect()
}

fn ids(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_findings_fixture_has_exactly_one_of_each_finding_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = imported(&dir, "findings.bundle.json");
    let (code, report) = lint_json(&workspace);
    assert_eq!(code, Some(1), "a finding fails the lint");
    assert_eq!(
        report["findings"].as_array().unwrap().len(),
        5,
        "{report:#}"
    );
    for count in report["counts"].as_array().unwrap() {
        assert_eq!(count["count"], 1, "{count}");
    }
    for finding in report["findings"].as_array().unwrap() {
        for key in ["summary", "who_sees", "fix"] {
            assert!(
                !finding[key].as_str().unwrap().is_empty(),
                "{key}: {finding:#}"
            );
        }
    }
}

#[test]
fn a_ticket_of_two_companies_is_seen_by_both_companies_contacts() {
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = lint_json(&imported(&dir, "findings.bundle.json"));
    let spans = finding(&report, "ticket-spans-companies");
    assert_eq!(strings(&spans["tickets"]), ["2001"]);
    assert_eq!(ids(&spans["companies"]), ["acme", "globex"]);
    assert_eq!(ids(&spans["contacts"]), ["ana"]);
    // Ana's ticket reaches Ben (Acme) and Dan (Globex) through their Organization views.
    assert_eq!(
        strings(&spans["seen_by"]),
        ["ben@acme.example", "dan@globex.example"]
    );
    assert_eq!(spans["seen_by_count"], 2);
}

#[test]
fn a_contact_outside_the_ticket_company_exposes_their_ticket_to_that_company() {
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = lint_json(&imported(&dir, "findings.bundle.json"));
    let outside = finding(&report, "contact-outside-ticket-company");
    assert_eq!(strings(&outside["tickets"]), ["2002"]);
    assert_eq!(ids(&outside["contacts"]), ["ben"]);
    assert_eq!(ids(&outside["companies"]), ["globex"]);
    assert_eq!(strings(&outside["seen_by"]), ["dan@globex.example"]);
    assert!(outside["fix"]
        .as_str()
        .unwrap()
        .contains("Acme GmbH instead of Globex Corporation"));
}

#[test]
fn a_company_ticket_without_contact_is_seen_only_in_organization_views() {
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = lint_json(&imported(&dir, "findings.bundle.json"));
    let orphan = finding(&report, "company-ticket-without-contact");
    assert_eq!(strings(&orphan["tickets"]), ["2003"]);
    assert_eq!(ids(&orphan["companies"]), ["globex"]);
    assert_eq!(strings(&orphan["seen_by"]), ["dan@globex.example"]);
}

#[test]
fn a_visible_ticket_on_an_unconnected_channel_shows_an_empty_conversation() {
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = lint_json(&imported(&dir, "findings.bundle.json"));
    let empty = finding(&report, "visible-ticket-without-conversation");
    assert_eq!(strings(&empty["tickets"]), ["2004"]);
    assert_eq!(
        strings(&empty["seen_by"]),
        ["ana@acme.example", "ben@acme.example"]
    );
    assert!(
        empty["fix"]
            .as_str()
            .unwrap()
            .contains("connect channel sales-mail"),
        "{empty:#}"
    );
}

#[test]
fn a_contact_without_company_view_misses_their_company_tickets() {
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = lint_json(&imported(&dir, "findings.bundle.json"));
    let blind = finding(&report, "contact-cannot-see-own-company");
    assert_eq!(ids(&blind["contacts"]), ["fay"]);
    assert_eq!(ids(&blind["companies"]), ["initech"]);
    assert!(
        blind["summary"]
            .as_str()
            .unwrap()
            .contains("no primary company"),
        "{blind:#}"
    );
}

#[test]
fn the_clean_fixture_has_no_finding_and_passes() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = imported(&dir, "clean.bundle.json");
    let (code, report) = lint_json(&workspace);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["findings"], serde_json::json!([]));
    let table = portal(&["lint", "--workspace", &workspace]);
    assert_eq!(table.status.code(), Some(0));
    assert!(text(&table).ends_with("No findings.\n"), "{}", text(&table));
}

#[test]
fn the_table_names_each_code_with_what_who_and_fix() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = imported(&dir, "findings.bundle.json");
    let table = portal(&["lint", "--workspace", &workspace]);
    assert_eq!(table.status.code(), Some(1));
    let table = text(&table);
    for code in [
        "ticket-spans-companies",
        "contact-outside-ticket-company",
        "company-ticket-without-contact",
        "visible-ticket-without-conversation",
        "contact-cannot-see-own-company",
    ] {
        assert!(
            table.contains(&format!("{code}\n  what: ")),
            "{code}:\n{table}"
        );
    }
    assert!(table.ends_with("5 findings.\n"), "{table}");
}

#[test]
fn company_findings_vanish_when_company_tickets_are_off() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = imported(&dir, "findings.bundle.json");
    let set = portal(&[
        "settings",
        "set",
        "ticket_permissions",
        "contact",
        "--workspace",
        &workspace,
    ]);
    assert!(set.status.success(), "{}", errors(&set));
    let (_, report) = lint_json(&workspace);
    let codes: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["code"].as_str().unwrap().to_string())
        .collect();
    // Nobody sees a company's tickets any more; the empty conversation is still shown to Ana.
    assert_eq!(codes, ["visible-ticket-without-conversation"]);
}

#[test]
fn a_failing_company_view_rule_is_named_in_contact_cannot_see_own_company() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = imported(&dir, "clean.bundle.json");
    // Only contacts named Ana get the company view (portal-rules.md 10.1): Ben's and Dan's tickets
    // are associated with their companies, which they now cannot see.
    let set = portal(&[
        "settings",
        "set",
        "company_view_rules",
        r#"[{"property": "first_name", "operator": "is_any_of", "values": ["Ana"]}]"#,
        "--workspace",
        &workspace,
    ]);
    assert!(set.status.success(), "{}", errors(&set));
    let (code, report) = lint_json(&workspace);
    assert_eq!(code, Some(1), "{report:#}");
    let blind: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["code"] == "contact-cannot-see-own-company")
        .collect();
    let contacts: Vec<Vec<String>> = blind.iter().map(|f| ids(&f["contacts"])).collect();
    assert_eq!(contacts, [["ben"], ["dan"]], "{report:#}");
    for finding in blind {
        let summary = finding["summary"].as_str().unwrap();
        assert!(
            summary.contains("rule 'first name is any of Ana' fails"),
            "{summary}"
        );
    }
}

#[test]
fn check_warns_of_lint_findings_and_its_exit_code_stays_the_checklists() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = imported(&dir, "findings.bundle.json");
    let output = portal(&["check", "--workspace", &workspace]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "every checklist item passes; findings only warn: {}{}",
        text(&output),
        errors(&output)
    );
    let warning = text(&output)
        .lines()
        .find(|line| line.starts_with("[warn] Leak lint"))
        .unwrap_or_else(|| panic!("no lint warning: {}", text(&output)))
        .to_string();
    assert!(warning.contains("5 findings"), "{warning}");
    assert!(warning.contains("ticket-spans-companies"), "{warning}");
    assert!(text(&output).contains("`portal lint` lists them"));

    let dir = tempfile::tempdir().unwrap();
    let clean = portal(&["check", "--workspace", &imported(&dir, "clean.bundle.json")]);
    assert_eq!(clean.status.code(), Some(0));
    assert!(!text(&clean).contains("[warn]"), "{}", text(&clean));
}
