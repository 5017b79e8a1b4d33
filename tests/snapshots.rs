//! Visibility snapshots from the command line (spec 10.6): `portal snapshot save|list|diff`, the
//! automatic snapshots before settings saves, undos and imports, and the diff a QA pipeline asserts on.

use serde_json::Value;
use std::process::Output;

mod cli_support;
use cli_support::{errors, fixture, portal, text};

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}\n{}", text(output), errors(output)))
}

fn succeeds(arguments: &[&str]) -> Output {
    let output = portal(arguments);
    assert!(
        output.status.success(),
        "portal {arguments:?} failed: {}{}",
        text(&output),
        errors(&output)
    );
    output
}

/// A temporary acme workspace.
struct Acme {
    _dir: tempfile::TempDir,
    workspace: String,
}

impl Acme {
    fn new() -> Acme {
        let dir = tempfile::tempdir().unwrap();
        let workspace = dir
            .path()
            .join("acme.portal")
            .to_string_lossy()
            .into_owned();
        let bundle = fixture("acme.bundle.json");
        succeeds(&[
            "import",
            bundle.to_str().unwrap(),
            "--workspace",
            &workspace,
        ]);
        Acme {
            _dir: dir,
            workspace,
        }
    }

    fn run(&self, arguments: &[&str]) -> Output {
        let mut all: Vec<&str> = arguments.to_vec();
        all.extend(["--workspace", &self.workspace]);
        portal(&all)
    }

    fn list(&self) -> Vec<Value> {
        let output = self.run(&["snapshot", "list", "--format", "json"]);
        assert!(output.status.success(), "{}", errors(&output));
        json(&output).as_array().unwrap().clone()
    }
}

/// The tickets of the acme bundle whose priority is HIGH.
fn high_priority_tickets() -> Vec<String> {
    let bundle: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("acme.bundle.json")).unwrap())
            .unwrap();
    bundle["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|ticket| ticket["priority"] == "HIGH")
        .map(|ticket| ticket["id"].as_str().unwrap().to_string())
        .collect()
}

/// The acme filter (the support pipeline only) and one more: no high-priority ticket.
const HIDE_HIGH_PRIORITY: &str = r#"[{"property":"pipeline","operator":"is_any_of","values":["support"]},
    {"property":"priority","operator":"is_none_of","values":["HIGH"]}]"#;

#[test]
fn a_settings_change_that_hides_a_ticket_shows_in_the_diff() {
    let acme = Acme::new();
    let saved = acme.run(&["snapshot", "save", "before-filter"]);
    assert!(saved.status.success(), "{}", errors(&saved));
    assert!(
        text(&saved).contains("Saved snapshot #1 \"before-filter\""),
        "{}",
        text(&saved)
    );
    let set = acme.run(&["settings", "set", "ticket_filters", HIDE_HIGH_PRIORITY]);
    assert!(set.status.success(), "{}", errors(&set));

    let diff = acme.run(&["snapshot", "diff", "before-filter", "--format", "json"]);
    assert_eq!(
        diff.status.code(),
        Some(1),
        "a diff that is not empty fails: {}",
        errors(&diff)
    );
    let diff = json(&diff);
    let high = high_priority_tickets();
    let ana = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|change| change["contact"] == "ana@acme.example" && change["view"] == "organization")
        .unwrap_or_else(|| panic!("ana's organization view changed: {diff:#}"));
    assert!(
        ana["lost"]
            .as_array()
            .unwrap()
            .iter()
            .any(|id| id == "1001"),
        "ana lost her high-priority ticket 1001: {ana:#}"
    );
    for change in diff["changes"].as_array().unwrap() {
        assert_eq!(change["gained"].as_array().unwrap().len(), 0, "{change:#}");
        for lost in change["lost"].as_array().unwrap() {
            assert!(
                high.contains(&lost.as_str().unwrap().to_string()),
                "only high-priority tickets go: {change:#}"
            );
        }
    }
    assert_eq!(diff["after"]["label"], "now");
    assert_eq!(diff["before"]["snapshot"]["name"], "before-filter");

    let table = acme.run(&["snapshot", "diff", "before-filter"]);
    assert_eq!(table.status.code(), Some(1));
    assert!(
        text(&table).contains("ana@acme.example (organization): lost ")
            && text(&table).contains("-1001"),
        "{}",
        text(&table)
    );
}

#[test]
fn undo_restores_an_empty_diff() {
    let acme = Acme::new();
    assert!(acme.run(&["snapshot", "save", "start"]).status.success());
    assert!(acme
        .run(&["settings", "set", "ticket_filters", HIDE_HIGH_PRIORITY])
        .status
        .success());
    assert_eq!(
        acme.run(&["snapshot", "diff", "start"]).status.code(),
        Some(1)
    );
    let undo = acme.run(&["settings", "undo"]);
    assert!(undo.status.success(), "{}", errors(&undo));

    let diff = acme.run(&["snapshot", "diff", "start"]);
    assert_eq!(
        diff.status.code(),
        Some(0),
        "{}{}",
        text(&diff),
        errors(&diff)
    );
    assert!(text(&diff).contains("No change"), "{}", text(&diff));
    let diff = json(&acme.run(&["snapshot", "diff", "start", "--format", "json"]));
    assert_eq!(diff["changes"], serde_json::json!([]));
    assert_eq!(diff["contacts_changed"], 0);
}

#[test]
fn saves_and_undos_take_automatic_snapshots_linked_to_their_history_entry() {
    let acme = Acme::new();
    assert!(acme
        .run(&["settings", "set", "ticket_filters", HIDE_HIGH_PRIORITY])
        .status
        .success());
    assert!(acme.run(&["settings", "undo"]).status.success());
    // Setting a value a setting already has changes nothing and takes no snapshot.
    assert!(acme
        .run(&["settings", "set", "page_title", "Acme Support"])
        .status
        .success());
    let list = acme.list();
    let reasons: Vec<&str> = list.iter().map(|s| s["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["undo", "settings"], "newest first: {list:#?}");
    let history: Vec<i64> = text(&succeeds(&[
        "settings",
        "history",
        "--workspace",
        &acme.workspace,
    ]))
    .lines()
    .filter_map(|line| line.trim_start().strip_prefix('#'))
    .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
    .collect();
    let entries: Vec<i64> = list
        .iter()
        .map(|s| s["settings_entry"].as_i64().unwrap())
        .collect();
    assert_eq!(
        entries,
        history[..2],
        "each snapshot names the change it preceded (history is newest first too)"
    );
    // What the save did: the snapshot before it against the one before the undo.
    let effect = acme.run(&[
        "snapshot",
        "diff",
        &format!("#{}", list[1]["id"]),
        &list[0]["id"].to_string(),
        "--format",
        "json",
    ]);
    assert_eq!(effect.status.code(), Some(1));
    assert!(json(&effect)["tickets_lost"].as_u64().unwrap() > 0);
}

#[test]
fn importing_over_a_workspace_snapshots_what_its_contacts_saw() {
    let acme = Acme::new();
    let bundle = fixture("lint/clean.bundle.json");
    let imported = acme.run(&["import", bundle.to_str().unwrap(), "--replace"]);
    assert!(imported.status.success(), "{}", errors(&imported));
    let list = acme.list();
    assert_eq!(list.len(), 1, "{list:#?}");
    assert_eq!(list[0]["reason"], "import");
    let diff = json(&acme.run(&["snapshot", "diff", "1", "--format", "json"]));
    let gone = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|change| change["contact"] == "cara@acme.example")
        .unwrap_or_else(|| panic!("cara is not in the clean bundle: {diff:#}"));
    assert_eq!(gone["present_after"], false);
}

#[test]
fn automatic_snapshots_are_bounded_and_named_ones_kept() {
    let acme = Acme::new();
    assert!(acme.run(&["snapshot", "save", "keep-me"]).status.success());
    for round in 0..22 {
        let title = format!("Acme Support {round}");
        assert!(acme
            .run(&["settings", "set", "page_title", &title])
            .status
            .success());
    }
    let list = acme.list();
    let automatic = list.iter().filter(|s| s["name"].is_null()).count();
    assert_eq!(automatic, 20, "{list:#?}");
    assert!(list.iter().any(|s| s["name"] == "keep-me"));
}

#[test]
fn snapshot_arguments_are_checked_with_exit_code_2() {
    let acme = Acme::new();
    assert!(acme.run(&["snapshot", "save", "one"]).status.success());
    let again = acme.run(&["snapshot", "save", "one"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        errors(&again).contains("already exists"),
        "{}",
        errors(&again)
    );
    let number = acme.run(&["snapshot", "save", "42"]);
    assert_eq!(number.status.code(), Some(2));
    let unknown = acme.run(&["snapshot", "diff", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        errors(&unknown).contains("no snapshot named or numbered \"nope\""),
        "{}",
        errors(&unknown)
    );
    // A snapshot compared with itself, and with an unchanged workspace, is empty.
    assert!(acme.run(&["snapshot", "save", "two"]).status.success());
    assert_eq!(
        acme.run(&["snapshot", "diff", "one", "two"]).status.code(),
        Some(0)
    );
    assert_eq!(acme.run(&["snapshot", "diff", "1"]).status.code(), Some(0));
}

#[test]
fn the_diff_json_has_the_documented_shape() {
    let acme = Acme::new();
    assert!(acme.run(&["snapshot", "save", "base"]).status.success());
    assert!(acme
        .run(&["settings", "set", "ticket_permissions", "contact"])
        .status
        .success());
    let diff = json(&acme.run(&["snapshot", "diff", "base", "--format", "json"]));
    for key in [
        "before",
        "after",
        "changes",
        "contacts_changed",
        "sign_in_changed",
        "tickets_gained",
        "tickets_lost",
        "threads_changed",
        "truncated",
    ] {
        assert!(diff.get(key).is_some(), "{key} missing: {diff:#}");
    }
    let change = &diff["changes"][0];
    for key in [
        "contact",
        "name",
        "view",
        "present_before",
        "present_after",
        "can_sign_in_before",
        "can_sign_in_after",
        "gained",
        "lost",
        "threads_changed",
    ] {
        assert!(change.get(key).is_some(), "{key} missing: {change:#}");
    }
    // Without company tickets nobody has the view switch: each of a contact's old views is compared
    // with the one list they have now.
    assert!(diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|change| change["view"] == "organization" || change["view"] == "mine"));
}

#[test]
fn a_change_of_the_shown_thread_is_listed_per_ticket() {
    let acme = Acme::new();
    assert!(acme.run(&["snapshot", "save", "recent"]).status.success());
    assert!(acme
        .run(&["settings", "set", "thread_shown", "original"])
        .status
        .success());
    let diff = acme.run(&["snapshot", "diff", "recent", "--format", "json"]);
    assert_eq!(diff.status.code(), Some(1));
    let diff = json(&diff);
    assert!(diff["threads_changed"].as_u64().unwrap() > 0, "{diff:#}");
    let change = diff["changes"][0]["threads_changed"][0].clone();
    assert_ne!(change["before"], change["after"], "{change:#}");
    assert_eq!(diff["tickets_gained"], 0);
    assert_eq!(diff["tickets_lost"], 0);
}

// ---- The snapshot before a settings change is off the save's path ----

/// The acme workspace opened through the library, in a temporary directory.
async fn acme_workspace() -> (tempfile::TempDir, portal::Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let (workspace, _) = portal::app::transfer::import_file(
        &dir.path().join("acme.portal"),
        &fixture("acme.bundle.json"),
        false,
    )
    .await
    .unwrap();
    (dir, workspace)
}

fn hide_high_priority(
    mut settings: portal::domain::settings::Settings,
) -> portal::domain::settings::Settings {
    settings.ticket_filters = serde_json::from_str(HIDE_HIGH_PRIORITY).unwrap();
    settings
}

#[tokio::test]
async fn a_save_returns_before_its_snapshot_is_computed_and_the_snapshot_is_still_what_contacts_saw_before_it(
) {
    use portal::app::{preview, settings_admin, snapshots};
    let (_dir, workspace) = acme_workspace().await;
    let progress = portal::app::progress::Silent;
    let reference = snapshots::save_named(&workspace, "just-before", &progress)
        .await
        .unwrap();
    let settings = hide_high_priority(workspace.settings().await.unwrap());

    let saved = settings_admin::save_settings_then(&workspace, &settings, "qa")
        .await
        .unwrap();
    let entry = saved.entry.expect("the filters changed");
    let pending = saved
        .snapshot
        .expect("a snapshot is taken before the change");
    let automatic = snapshots::list(&workspace).await.unwrap()[0].clone();
    assert_eq!(automatic.settings_entry, Some(entry));
    assert!(automatic.is_pending(), "not computed yet: {automatic:?}");

    // The data moves before the snapshot is computed: Ana opens a ticket.
    let values = [
        ("subject", "Opened after the save"),
        ("content", "New data"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value.to_string()))
    .collect();
    let opened = preview::submit_form_as(&workspace, "ana@acme.example", &values)
        .await
        .unwrap();
    pending.compute().await.unwrap();

    // Still exactly what contacts saw just before the save: neither the filter nor the new ticket.
    let automatic = snapshots::find(&workspace, &automatic.id.to_string())
        .await
        .unwrap();
    assert!(!automatic.is_pending());
    let same = snapshots::compare(&workspace, &reference, Some(&automatic), None, &progress)
        .await
        .unwrap();
    assert!(same.is_empty(), "{same:#?}");
    // And the change's effect: Ana lost her high-priority ticket; the new one is the data's doing.
    let effect = snapshots::change_effect(&workspace, entry, None)
        .await
        .unwrap()
        .expect("the change has a snapshot before it");
    let ana = effect
        .changes
        .iter()
        .find(|change| change.contact == "ana@acme.example")
        .unwrap_or_else(|| panic!("{effect:#?}"));
    assert!(ana.lost.contains(&"1001".to_string()), "{ana:#?}");
    assert!(ana.gained.contains(&opened), "{ana:#?}");
    workspace.close().await;
}

#[tokio::test]
async fn a_history_diff_right_after_a_save_waits_for_the_snapshot_computed_in_the_background() {
    use portal::app::{settings_admin, snapshots};
    let (_dir, workspace) = acme_workspace().await;
    let settings = hide_high_priority(workspace.settings().await.unwrap());

    let entry = settings_admin::save_settings(&workspace, &settings, "qa")
        .await
        .unwrap()
        .expect("the filters changed");
    let effect = snapshots::change_effect(&workspace, entry, None)
        .await
        .unwrap()
        .expect("the change has a snapshot before it");
    assert!(effect.tickets_lost > 0, "{effect:#?}");
    workspace.close().await;
}

#[tokio::test]
async fn a_snapshot_whose_computation_never_finished_says_so() {
    use portal::app::{settings_admin, snapshots};
    let (_dir, workspace) = acme_workspace().await;
    let settings = hide_high_priority(workspace.settings().await.unwrap());
    let saved = settings_admin::save_settings_then(&workspace, &settings, "qa")
        .await
        .unwrap();
    // The program stops before computing it.
    drop(saved.snapshot);

    let error = snapshots::change_effect(&workspace, saved.entry.unwrap(), None)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("was never computed"), "{error}");
    workspace.close().await;
}
