//! The layering check (`.ci/layers`, run by `./test`): on a copy of the engine's source, an import that
//! points up a layer fails the check with its file and line, and the tree as it is passes.

use std::path::Path;
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of the repository's src/ and the check's allowlist, for a test to change.
fn copy_of_the_engine() -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    copy_tree(&Path::new(ROOT).join("src"), &copy.path().join("src"));
    std::fs::create_dir(copy.path().join(".ci")).unwrap();
    std::fs::copy(
        Path::new(ROOT).join(".ci/layers-allowed"),
        copy.path().join(".ci/layers-allowed"),
    )
    .unwrap();
    copy
}

/// A tree of a few files, without an allowlist.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn check_layers(root: &Path) -> Output {
    Command::new("python3")
        .arg(Path::new(ROOT).join(".ci/layers"))
        .arg(root)
        .output()
        .expect("python3 runs the layering check")
}

fn report(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Adds a file to a layer of the copy (the check reads every .rs file under src/, declared or not, so the
/// test does not depend on which files the engine has today).
fn add_file(root: &Path, file: &str, text: &str) {
    std::fs::write(root.join(file), text).unwrap();
}

#[test]
fn the_engine_as_it_is_passes_the_layering_check() {
    let copy = copy_of_the_engine();
    let output = check_layers(copy.path());
    assert!(output.status.success(), "{}", report(&output));
}

#[test]
fn a_domain_file_importing_storage_fails_the_check_with_its_file_and_line() {
    let copy = copy_of_the_engine();
    add_file(
        copy.path(),
        "src/domain/probe.rs",
        "//! A deliberate upward import.\n\nuse crate::storage::StorageError;\n",
    );
    let output = check_layers(copy.path());
    assert!(!output.status.success());
    let report = report(&output);
    assert!(
        report.contains("src/domain/probe.rs:3: domain refers to storage (crate::storage)"),
        "{report}"
    );
}

#[test]
fn the_root_workspace_counts_as_storage_and_the_engine_error_as_app() {
    let copy = copy_of_the_engine();
    add_file(
        copy.path(),
        "src/app/probe.rs",
        "fn uses_the_root(_: crate::Result<()>, _: crate::Error) {}\n",
    );
    assert!(check_layers(copy.path()).status.success());
    add_file(
        copy.path(),
        "src/storage/probe.rs",
        "fn fails_with(_: crate::Error) {}\n",
    );
    let output = check_layers(copy.path());
    assert!(!output.status.success());
    assert!(
        report(&output).contains("src/storage/probe.rs:1: storage refers to app (crate::Error)"),
        "{}",
        report(&output)
    );
    std::fs::remove_file(copy.path().join("src/storage/probe.rs")).unwrap();
    add_file(
        copy.path(),
        "src/domain/probe.rs",
        "fn opens(_: &crate::Workspace) {}\n",
    );
    let output = check_layers(copy.path());
    assert!(!output.status.success());
    assert!(
        report(&output)
            .contains("src/domain/probe.rs:1: domain refers to storage (crate::Workspace)"),
        "{}",
        report(&output)
    );
}

#[test]
fn upward_paths_in_grouped_imports_and_test_modules_fail_but_comments_and_strings_do_not() {
    let files = [
        ("src/lib.rs", "pub use storage::Workspace;\n"),
        (
            "src/storage/mod.rs",
            "use crate::{\n    domain::model,\n    app::accounts,\n};\n",
        ),
        (
            "src/bundle/mod.rs",
            "// crate::web in a comment\nconst A: &str = \"crate::app\";\nmacro_rules! m { () => { $crate::web::x() } }\n",
        ),
        (
            "src/domain/mod.rs",
            "#[cfg(test)]\nmod tests {\n    use super::super::site::render;\n    use super::rules;\n}\n",
        ),
        ("src/web/mod.rs", "use crate::app::accounts;\nuse crate::Workspace;\n"),
    ];
    let dir = tree(&files);
    let output = check_layers(dir.path());
    assert!(!output.status.success());
    let lines: Vec<String> = report(&output)
        .lines()
        .filter(|line| line.starts_with("src/"))
        .map(str::to_string)
        .collect();
    assert_eq!(
        lines,
        [
            "src/domain/mod.rs:3: domain refers to site (super::super::site)",
            "src/storage/mod.rs:3: storage refers to app (crate::app)",
        ]
    );
}

#[test]
fn an_allowlisted_exception_passes_and_a_stale_one_fails() {
    let dir = tree(&[
        ("src/domain/model.rs", "use crate::storage::Workspace;\n"),
        (
            ".ci/layers-allowed",
            "# waiting for a fix\nsrc/domain/model.rs -> storage  # moves to app\n",
        ),
    ]);
    assert!(check_layers(dir.path()).status.success());

    std::fs::write(
        dir.path().join("src/domain/model.rs"),
        "use crate::Result;\n",
    )
    .unwrap();
    let output = check_layers(dir.path());
    assert!(!output.status.success());
    assert!(
        report(&output).contains(".ci/layers-allowed:2: `src/domain/model.rs -> storage` matches nothing any more; remove it"),
        "{}",
        report(&output)
    );
}
