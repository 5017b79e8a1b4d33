//! Memory the engine keeps after the desktop app's first run (issue 9, "Resources"): runs the same
//! `app::` calls the app makes and prints the process's resident memory after each, so a first start
//! (creating the demo workspace), a later start (opening it) and an import can be compared without a
//! desktop build. bench/desktop.sh measures the real app.
//!
//! Usage: cargo run --release --example first_run_memory -- first|later|import WORKSPACE [BUNDLE]
//!   first:  WORKSPACE must not exist; creates the demo there (open_or_create_demo), as a fresh profile.
//!   later:  opens the existing WORKSPACE, as every later start.
//!   import: opens WORKSPACE, then imports BUNDLE over it (--replace), as the Import view does.
//! Prints `stage: RSS MB` lines; the last is the figure to compare with `later`.

use portal::app::{transfer, workspace_files};
use std::path::PathBuf;

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn report(stage: &str) {
    println!("{stage}: {:.1} MB", rss_mb());
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().expect("first|later|import");
    let path = PathBuf::from(args.next().expect("WORKSPACE"));
    report("start");
    let workspace = match mode.as_str() {
        "first" => {
            assert!(
                !path.exists(),
                "{} exists: a first run creates it",
                path.display()
            );
            workspace_files::open_or_create_demo(&path)
                .await
                .expect("the demo workspace")
        }
        "later" | "import" => workspace_files::open_or_create_demo(&path)
            .await
            .expect("the workspace"),
        other => panic!("unknown mode {other}"),
    };
    report("opened");
    let workspace = if mode == "import" {
        let bundle = PathBuf::from(args.next().expect("BUNDLE"));
        workspace.close().await;
        let (opened, _) = transfer::import_file(&path, &bundle, true)
            .await
            .expect("the import");
        report("imported");
        opened
    } else {
        workspace
    };
    // What the app does next: serve the workspace (the settings and catalog are read) and idle.
    let _settings = workspace.settings().await.expect("settings");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    report("idle");
}
