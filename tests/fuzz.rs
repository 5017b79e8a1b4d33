//! Fuzzing without a nightly toolchain: property-based runs (proptest) over everything that reads text a
//! user or another system hands us — the bundle reader (arbitrary bytes, byte-mutated and JSON-mutated
//! copies of the acme bundle), settings edits by dotted key, the settings document with its validation
//! and template overrides, and the list page's query. Each run is bounded (`CASES`), so `cargo test`
//! runs it. The contract checked: nothing panics; a bundle either loads or is refused with messages, each
//! naming its JSON path when the document is a JSON object; a bundle that loads also imports.
//!
//! Inputs found interesting (refused late, or crashing, before their fix) are kept in
//! tests/fixtures/fuzz/ and replayed by `every_kept_fuzz_input_loads_or_is_refused_with_paths`; proptest
//! records any new failure in proptest-regressions/ and replays it first.

use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

const CASES: u32 = 256;
/// Imports write a workspace each: fewer cases.
const IMPORT_CASES: u32 = 16;

static ACME: LazyLock<String> = LazyLock::new(|| {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acme.bundle.json"),
    )
    .unwrap()
});

static ACME_JSON: LazyLock<Value> = LazyLock::new(|| serde_json::from_str(&ACME).unwrap());

/// What the reader may answer: the data, or problems that say what is wrong, and where when the
/// document is a JSON object (only text that is not JSON, or not an object, has no path to give).
fn check_outcome(text: &str) -> Result<Option<portal::domain::model::WorkspaceData>, String> {
    match portal::bundle::read(text) {
        Ok(data) => Ok(Some(data)),
        Err(error) => {
            let problems = error.problems();
            if problems.is_empty() || problems.iter().any(|problem| problem.message.is_empty()) {
                return Err(format!("a refusal without a message: {error:?}"));
            }
            let object = serde_json::from_str::<Value>(text.trim_start_matches('\u{feff}'))
                .is_ok_and(|value| value.is_object());
            if object {
                if let Some(problem) = problems.iter().find(|problem| problem.path.is_empty()) {
                    return Err(format!("a problem without its JSON path: {problem}"));
                }
            }
            Ok(None)
        }
    }
}

// ---- Mutations ----

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(Value::from),
        "[a-z0-9@._ -]{0,10}".prop_map(Value::from),
        // Ids that exist in the acme bundle, so references and duplicates get exercised.
        prop::sample::select(vec![
            "ana",
            "acme",
            "1001",
            "support",
            "customers",
            "m-1",
            ""
        ])
        .prop_map(Value::from),
        Just(json!([])),
        Just(json!({})),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Edit {
    Replace(Value),
    Remove,
    /// In an array: the element again (a repeated id or reference).
    Duplicate,
    /// In an object: another key.
    Insert(String, Value),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        json_value().prop_map(Edit::Replace),
        Just(Edit::Remove),
        Just(Edit::Duplicate),
        ("[a-z_]{1,10}", json_value()).prop_map(|(key, value)| Edit::Insert(key, value)),
    ]
}

/// Applies `edit` at the place `path` leads to (each step picks a child by index modulo its size; the
/// walk stops early at a leaf).
fn mutate(value: &mut Value, path: &[usize], edit: &Edit) {
    let children = match value {
        Value::Object(map) => map.len(),
        Value::Array(items) => items.len(),
        _ => 0,
    };
    if let (Some((&step, rest)), true) = (path.split_first(), children > 0) {
        let index = step % children;
        // Edit the child itself when the path ends here and the edit acts on a container's element.
        if rest.is_empty() {
            match (value, edit) {
                (Value::Array(items), Edit::Remove) => {
                    items.remove(index);
                }
                (Value::Array(items), Edit::Duplicate) => {
                    let copy = items[index].clone();
                    items.insert(index, copy);
                }
                (Value::Object(map), Edit::Remove) => {
                    let key = map.keys().nth(index).unwrap().clone();
                    map.remove(&key);
                }
                (Value::Object(map), Edit::Insert(key, new)) => {
                    map.insert(key.clone(), new.clone());
                }
                (Value::Array(items), Edit::Replace(new)) => items[index] = new.clone(),
                (Value::Object(map), Edit::Replace(new)) => {
                    *map.values_mut().nth(index).unwrap() = new.clone()
                }
                _ => {}
            }
            return;
        }
        let child = match value {
            Value::Object(map) => map.values_mut().nth(index).unwrap(),
            Value::Array(items) => &mut items[index],
            _ => unreachable!(),
        };
        mutate(child, rest, edit);
    } else if let Edit::Replace(new) = edit {
        *value = new.clone();
    }
}

#[derive(Debug, Clone)]
enum ByteEdit {
    Delete(usize),
    Insert(usize, u8),
    Set(usize, u8),
}

fn byte_edits() -> impl Strategy<Value = Vec<ByteEdit>> {
    let one = prop_oneof![
        any::<usize>().prop_map(ByteEdit::Delete),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| ByteEdit::Insert(at, byte)),
        (
            any::<usize>(),
            prop::sample::select(b"{}[]\",:0\\ \xef\xbb\xbfa-".to_vec())
        )
            .prop_map(|(at, byte)| ByteEdit::Set(at, byte)),
    ];
    prop::collection::vec(one, 1..8)
}

fn apply_bytes(text: &str, edits: &[ByteEdit]) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    for edit in edits {
        let len = bytes.len().max(1);
        match *edit {
            ByteEdit::Delete(at) if !bytes.is_empty() => {
                bytes.remove(at % len);
            }
            ByteEdit::Insert(at, byte) => bytes.insert(at % (bytes.len() + 1), byte),
            ByteEdit::Set(at, byte) if !bytes.is_empty() => bytes[at % len] = byte,
            _ => {}
        }
    }
    bytes
}

/// The acme bundle without its passwords (hashing them makes each import slow).
fn acme_without_passwords() -> Value {
    let mut bundle = ACME_JSON.clone();
    for contact in bundle["contacts"].as_array_mut().unwrap() {
        contact.as_object_mut().unwrap().remove("password");
    }
    bundle
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_are_read_or_refused_with_a_message(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        prop_assert_eq!(check_outcome(&text).map(|_| ()), Ok(()));
    }

    #[test]
    fn a_byte_mutated_bundle_is_read_or_refused_with_a_message(edits in byte_edits()) {
        let bytes = apply_bytes(&ACME, &edits);
        let text = String::from_utf8_lossy(&bytes);
        prop_assert_eq!(check_outcome(&text).map(|_| ()), Ok(()));
    }

    #[test]
    fn a_json_mutated_bundle_is_read_or_refused_naming_json_paths(
        edits in prop::collection::vec((prop::collection::vec(any::<usize>(), 1..6), edit()), 1..4)
    ) {
        let mut bundle = ACME_JSON.clone();
        for (path, edit) in &edits {
            mutate(&mut bundle, path, edit);
        }
        prop_assert_eq!(check_outcome(&bundle.to_string()).map(|_| ()), Ok(()));
    }

    #[test]
    fn a_settings_edit_by_key_is_applied_or_refused_and_validates(
        key in prop_oneof![
            prop::sample::select(vec![
                "page_title", "slug", "domain", "language", "access.mode", "access.lists", "sso",
                "sso.secret", "ticket_filters", "templates.list", "templates.theme", "branding",
                "branding.primary_color", "branding.logo", "idle_timeout_minutes", "enabled",
                "support_form", "consent.notice", "",
            ]).prop_map(String::from),
            "[a-z_.]{0,24}",
        ],
        value in prop_oneof![json_value().prop_map(|value| value.to_string()), ".{0,40}"],
    ) {
        let settings = portal::domain::settings::Settings::default();
        if let Ok(changed) = portal::domain::settings::with_value(&settings, &key, &value) {
            let catalog = ACME_DATA.catalog();
            let _ = portal::domain::settings::validate(&changed, &catalog);
            let _ = portal::domain::settings::checklist(&changed, &catalog);
        }
    }

    #[test]
    fn a_mutated_settings_document_validates_and_its_templates_check_without_panicking(
        edits in prop::collection::vec((prop::collection::vec(any::<usize>(), 1..5), edit()), 1..4),
        template in template_text(),
    ) {
        let mut document = ACME_JSON["settings"].clone();
        for (path, edit) in &edits {
            mutate(&mut document, path, edit);
        }
        if let Ok(mut settings) = serde_json::from_value::<portal::domain::settings::Settings>(document) {
            let catalog = ACME_DATA.catalog();
            let _ = portal::domain::settings::validate(&settings, &catalog);
            settings.templates.insert("list".into(), template);
            let _ = portal::site::check_templates(&settings, &catalog);
        }
    }

    #[test]
    fn any_list_query_is_read_as_a_valid_one(params in prop::collection::hash_map(
        prop::sample::select(vec!["status", "q", "sort", "page", "view", "x"]).prop_map(String::from),
        ".{0,300}",
        0..6,
    )) {
        let params: HashMap<String, String> = params;
        let query = portal::site::pages::ListQuery::parse(&params);
        prop_assert!(query.page >= 1);
        prop_assert!(query.search.chars().count() <= 200);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: IMPORT_CASES, ..ProptestConfig::default() })]

    /// What the reader accepts, storage takes: no raw database error (a UNIQUE constraint) after
    /// the checks passed.
    #[test]
    fn a_mutated_bundle_that_reads_also_imports(
        edits in prop::collection::vec((prop::collection::vec(any::<usize>(), 1..6), edit()), 1..3)
    ) {
        let mut bundle = acme_without_passwords();
        for (path, edit) in &edits {
            mutate(&mut bundle, path, edit);
        }
        if let Ok(data) = portal::bundle::read(&bundle.to_string()) {
            let directory = tempfile::tempdir().unwrap();
            let imported = runtime().block_on(async {
                let workspace = portal::app::transfer::import(
                    &directory.path().join("fuzz.portal"), &data, false).await?;
                workspace.close().await;
                Ok::<_, portal::Error>(())
            });
            prop_assert!(
                imported.is_ok()
                    || imported.as_ref().is_err_and(|error| error.kind() == portal::ErrorKind::Bundle),
                "{:?}", imported
            );
        }
    }
}

static ACME_DATA: LazyLock<portal::domain::model::WorkspaceData> =
    LazyLock::new(|| portal::bundle::read(&ACME).unwrap());

/// Template-like text: the syntax's pieces, names and filters in random order.
fn template_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(vec![
                "{{",
                "}}",
                "{%",
                "%}",
                "{#",
                "#}",
                " for ",
                " in ",
                " endfor ",
                " if ",
                " endif ",
                " set ",
                " = ",
                " ~ ",
                " + ",
                " * ",
                "|",
                "join",
                "replace",
                "upper",
                "(",
                ")",
                "'x'",
                "100",
                "range(",
                "page",
                ".",
                "user",
                "<p>",
                "\n",
                " macro ",
                " extends ",
                "'base'",
                " block ",
                " endblock ",
                "super()",
                "loop.index",
                ",",
            ])
            .prop_map(String::from),
            "[a-z ]{0,6}",
        ],
        0..24,
    )
    .prop_map(|pieces| pieces.concat())
}

fn kept_inputs() -> Vec<PathBuf> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let mut files: Vec<PathBuf> = std::fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_kept_fuzz_input_loads_or_is_refused_with_paths() {
    let files = kept_inputs();
    assert!(!files.is_empty());
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let outcome = check_outcome(&text);
        assert!(outcome.is_ok(), "{}: {outcome:?}", file.display());
        // Each file says what it expects in its name: loads-*.json or refused-*.json.
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let loaded = outcome.unwrap().is_some();
        assert_eq!(loaded, name.starts_with("loads-"), "{name}");
    }
}
