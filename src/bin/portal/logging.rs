//! Where the `portal` command's logs go: standard error, so that what a command prints on standard output
//! (a bundle, a CSV, the served URL) stays clean for scripts. `RUST_LOG` chooses what is logged (e.g.
//! `RUST_LOG=portal=debug`); without it `portal serve` logs from `info` (one line per request) and the
//! other commands only warnings and errors. `--log-format json` writes one JSON object a line.

use clap::ValueEnum;
use std::io::IsTerminal;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::EnvFilter;

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Lines for people
    #[default]
    Text,
    /// One JSON object a line, for log collectors
    Json,
}

/// Installs the process's log subscriber; `default_level` applies when `RUST_LOG` says nothing.
pub fn install(format: LogFormat, default_level: LevelFilter) {
    let filter = EnvFilter::builder()
        .with_default_directive(default_level.into())
        .from_env_lossy();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        // The request's fields (method, route) come with every line logged inside it.
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}
