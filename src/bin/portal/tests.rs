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
