#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! Drives the real `paddock` binary, as a user would.

use assert_cmd::Command;
use predicates::prelude::*;

fn paddock() -> Command {
    Command::cargo_bin("paddock").unwrap()
}

#[test]
fn version_prints_the_crate_version() {
    paddock()
        .arg("--version")
        .assert()
        .success()
        .stdout(format!("paddock {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn no_arguments_prints_help_and_fails() {
    paddock().assert().failure().stderr(predicate::str::contains("Usage: paddock"));
}

#[test]
fn every_subcommand_has_help() {
    let out = paddock().arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let subcommands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // A wrapped description continues on a deeper-indented line; only
        // lines indented by exactly two spaces name a subcommand.
        .filter(|l| !l[2..].starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .collect();
    assert!(subcommands.contains(&"doctor"), "{help}");
    for sub in subcommands {
        paddock()
            .args([sub, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("Usage: paddock {sub}")));
    }
}

#[test]
fn unknown_subcommand_is_a_clear_error() {
    paddock()
        .arg("frobnicate")
        .assert()
        .failure()
        .stderr(predicate::str::contains("unrecognized subcommand 'frobnicate'"));
}

#[test]
fn doctor_reports_git() {
    paddock().arg("doctor").assert().stdout(predicate::str::contains("git (task worktrees)"));
}
