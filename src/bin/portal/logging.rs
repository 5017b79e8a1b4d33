//! Where the `portal` command's logs go: standard error, so that what a command prints on standard output
//! (a bundle, a CSV, the served URL) stays clean for scripts. `RUST_LOG` chooses what is logged (e.g.
//! `RUST_LOG=portal=debug`); without it `portal serve` logs from `info` (one line per request) and the
//! other commands only warnings and errors. `--log-format json` writes one JSON object a line.

use clap::ValueEnum;
use indicatif::MultiProgress;
use std::io::{BufWriter, IsTerminal, Write};
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Lines for people
    #[default]
    Text,
    /// One JSON object a line, for log collectors
    Json,
}

/// Installs the process's log subscriber; `default_level` applies when `RUST_LOG` says nothing. `bars`
/// are the progress bars being drawn on standard error, if any: each log line is written with them
/// hidden for a moment, so that it never lands in the middle of a bar.
///
/// Without bars (always so for `portal serve`), lines are handed to a background thread that writes
/// them in batches: the portal logs a line per request, and writing each to standard error on the
/// request's own thread took a system call per page on it. No line is dropped
/// (the request waits when 128,000 lines are queued). Keep the returned guard until the process ends:
/// dropping it writes what is still queued.
#[must_use = "dropping the guard stops the log writer"]
pub fn install(
    format: LogFormat,
    default_level: LevelFilter,
    bars: Option<MultiProgress>,
) -> Option<WorkerGuard> {
    let filter = EnvFilter::builder()
        .with_default_directive(default_level.into())
        .from_env_lossy();
    let ansi = std::io::stderr().is_terminal();
    match bars {
        Some(bars) => {
            finish(format, ansi, filter, Stderr { bars });
            None
        }
        None => {
            let (writer, guard) = NonBlockingBuilder::default()
                .lossy(false)
                .thread_name("portal-log")
                .finish(BufWriter::new(std::io::stderr()));
            finish(format, ansi, filter, writer);
            Some(guard)
        }
    }
}

fn finish<W>(format: LogFormat, ansi: bool, filter: EnvFilter, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => builder.with_ansi(ansi).init(),
        // The request's fields (method, route) come with every line logged inside it.
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

/// Standard error for log lines, around progress bars (see `install`).
struct Stderr {
    bars: MultiProgress,
}

impl<'a> MakeWriter<'a> for Stderr {
    type Writer = Event;

    fn make_writer(&'a self) -> Event {
        Event {
            bars: self.bars.clone(),
            text: Vec::new(),
        }
    }
}

/// One log event, gathered and written to standard error in one go when the subscriber is done with it.
struct Event {
    bars: MultiProgress,
    text: Vec<u8>,
}

impl Write for Event {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.text.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Event {
    fn drop(&mut self) {
        if self.text.is_empty() {
            return;
        }
        self.bars.suspend(|| {
            let _ = std::io::stderr().write_all(&self.text);
        });
    }
}
