//! The `portal` command: see `portal --help`. The command line lives in the binary, so the library the
//! desktop app links carries no clap.

mod cli;
mod generate;
mod logging;
mod printable;
mod progress;
#[cfg(test)]
mod tests;

fn main() -> std::process::ExitCode {
    cli::run()
}
