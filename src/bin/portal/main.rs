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
    // Rust ignores SIGPIPE, so `portal snapshot list | head -3` panicked ("failed printing to stdout")
    // once `head` had its lines. Like other command-line tools, end quietly when the reader has gone.
    #[cfg(unix)]
    // SAFETY: sets the default disposition of one signal before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    cli::run()
}
