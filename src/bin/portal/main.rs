//! The `portal` command: see `portal --help`. The command line lives in the binary, so the library the
//! desktop app links carries no clap.

mod cli;
mod logging;
mod printable;
mod progress;

fn main() -> std::process::ExitCode {
    cli::run()
}
