//! Shared by the tests that run the `portal` command line as QA scripts it: the repository's fixtures,
//! the binary itself, and its output as text.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A file of the repository's test fixtures (tests/fixtures/).
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Runs `portal` with `arguments` to completion. `USER` is fixed so the settings history names the same
/// author on every machine.
pub fn portal(arguments: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portal"))
        .args(arguments)
        .env("USER", "qa")
        .output()
        .expect("the portal binary runs")
}

/// What the command wrote to standard output.
pub fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What the command wrote to standard error.
pub fn errors(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
