//! `portal generate`: shell completions and man pages made from the clap definitions, so they cannot drift
//! from the command line. Hidden from `--help`; packaging runs it (`.ci/package-cli`), and a user can too.

use crate::cli::Cli;
use clap::{CommandFactory, Subcommand};
use clap_complete::Shell;
use portal::Error;
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum Generate {
    /// Print the completion script for a shell on standard output
    Completions {
        /// The shell to complete for
        shell: Shell,
    },
    /// Write the man pages (portal.1 and one per subcommand, e.g. portal-import.1) into a folder
    Man {
        /// Folder to write the pages into (created if missing)
        dir: PathBuf,
    },
}

pub fn run(what: Generate) -> Result<(), Error> {
    match what {
        Generate::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "portal", &mut std::io::stdout());
            Ok(())
        }
        Generate::Man { dir } => man_pages(&dir).map(|_| ()),
    }
}

/// Writes the man pages into `dir`, answering the files written (the main page first).
pub fn man_pages(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let io_error = |source| Error::Io {
        path: dir.into(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io_error)?;
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    let mut written = Vec::new();
    write_pages(&command, dir, &mut written).map_err(io_error)?;
    Ok(written)
}

/// The page of `command`, then those of its visible subcommands.
fn write_pages(
    command: &clap::Command,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    written.push(clap_mangen::Man::new(command.clone()).generate_to(dir)?);
    for subcommand in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        write_pages(subcommand, dir, written)?;
    }
    Ok(())
}
