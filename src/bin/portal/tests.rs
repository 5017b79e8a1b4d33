//! Tests of the command line's definition itself (the behaviour is tested from outside, in tests/cli.rs).

use crate::cli::Cli;
use clap::CommandFactory;

/// Every argument of `command` and its subcommands that `--help` would list without a description, as
/// `portal import --workspace`.
fn undescribed(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
    let path = format!("{path} {}", command.get_name()).trim().to_string();
    if command.get_about().is_none() && command.get_long_about().is_none() {
        missing.push(format!("{path} (the command)"));
    }
    for argument in command
        .get_arguments()
        .filter(|argument| !argument.is_hide_set())
    {
        let name = argument
            .get_long()
            .map(|long| format!("--{long}"))
            .unwrap_or_else(|| argument.get_id().to_string().to_uppercase());
        if argument.get_help().is_none() && argument.get_long_help().is_none() {
            missing.push(format!("{path} {name}"));
        }
        for value in argument.get_possible_values() {
            if !value.is_hide_set() && value.get_help().is_none() {
                missing.push(format!("{path} {name} {}", value.get_name()));
            }
        }
    }
    for subcommand in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        undescribed(subcommand, &path, missing);
    }
}

#[test]
fn every_command_option_and_value_has_a_help_line() {
    let mut command = Cli::command();
    command.build();
    let mut missing = Vec::new();
    undescribed(&command, "", &mut missing);
    assert_eq!(
        missing,
        Vec::<String>::new(),
        "listed by --help without a description"
    );
}

/// The names of the visible subcommands of `command`, with their parents' (`settings show`).
fn subcommand_paths(command: &clap::Command, parent: &str, paths: &mut Vec<String>) {
    for subcommand in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        let path = format!("{parent} {}", subcommand.get_name())
            .trim()
            .to_string();
        paths.push(path.clone());
        subcommand_paths(subcommand, &path, paths);
    }
}

fn visible_subcommands() -> Vec<String> {
    let mut paths = Vec::new();
    let command = Cli::command().disable_help_subcommand(true);
    subcommand_paths(&command, "", &mut paths);
    paths
}

#[test]
fn the_man_pages_cover_every_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let written = crate::generate::man_pages(dir.path()).unwrap();
    let main = std::fs::read_to_string(dir.path().join("portal.1")).unwrap();
    assert_eq!(written[0], dir.path().join("portal.1"));
    for path in visible_subcommands() {
        // roff escapes the hyphens of `portal-view-as`.
        let page = format!("portal-{}", path.replace(' ', "-"));
        if !path.contains(' ') {
            assert!(
                main.contains(&page.replace('-', "\\-")),
                "portal.1 does not mention {path}:\n{main}"
            );
        }
        let file = dir.path().join(format!("{page}.1"));
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|_| panic!("no man page {} for `portal {path}`", file.display()));
        assert!(text.contains(".TH"), "{} is not a man page", file.display());
    }
    assert!(
        !main.contains("portal\\-generate"),
        "the hidden generate command is left out"
    );
}

#[test]
fn completions_offer_every_subcommand_in_each_shell() {
    use clap_complete::Shell;
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "portal", &mut script);
        let script = String::from_utf8(script).unwrap();
        for path in visible_subcommands() {
            let name = path.rsplit(' ').next().unwrap();
            assert!(script.contains(name), "{shell} completions lack {path}");
        }
        assert!(
            script.contains("workspace"),
            "{shell} completions lack options"
        );
    }
}
