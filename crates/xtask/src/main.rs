//! `cargo xtask app`  — install what is missing, build the UI, open the app.
//! `cargo xtask test` — install what is missing, run every test.
//!
//! No dependencies: this must compile in seconds on a cold machine, before
//! anything else is installed.

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Duration;

mod process_tree;
mod setup;
mod steps;

use steps::{Outcome, Steps};

const USAGE: &str = "usage: cargo xtask <app|test|bench> [--skip-setup]

  app    install missing system packages, build the UI, start the desktop app
  test   install missing system packages, then run every test: Rust unit and
         integration tests, clippy, UI unit tests, the web build in Chromium,
         the desktop window end to end under Xvfb, and the real Claude Code
         (installed under ~/.cache/paddock/agents) behind the policy gate
  bench  run the benchmarks (slow; results go in docs/benchmarks.md)

  --skip-setup   do not check or install system packages";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let skip_setup = args.iter().any(|a| a == "--skip-setup");
    let result = match args.first().map(String::as_str) {
        Some("app") => app(skip_setup),
        Some("test") => test(skip_setup),
        Some("bench") => bench(),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("xtask: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// The checkout `cargo xtask` was run in. Read at run time: `cargo run` sets CARGO_MANIFEST_DIR for the
/// process, and a binary reused from a shared target dir may have been compiled in another checkout, so the
/// compile-time value can name the wrong tree.
pub fn repo_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir.join("../..").canonicalize().unwrap_or_else(|_| PathBuf::from("."))
}

/// Cargo's target directory, as cargo itself will pick it for child builds.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo_root().join("target"))
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(repo_root());
    c
}

fn npm(args: &[&str]) -> Command {
    let mut c = Command::new("npm");
    c.args(args).current_dir(repo_root().join("ui"));
    c
}

fn build_ui(steps: &mut Steps) -> Result<(), String> {
    setup::npm_ci_if_needed(steps)?;
    steps.run_required("UI build (tsc + vite)", npm(&["run", "build"]))
}

fn app(skip_setup: bool) -> Result<(), String> {
    let mut steps = Steps::default();
    if !skip_setup {
        setup::system_packages(setup::Purpose::App)?;
    }
    setup::check_node()?;
    build_ui(&mut steps)?;
    // The same package set as the tests build, so all share one feature
    // resolution and one set of compiled dependencies.
    steps.run_required("build the desktop app and CLI", build_app_and_cli())?;
    let app = target_dir().join("debug").join("paddock-desktop");
    // Open as long as the person keeps it open.
    steps.run_required_within("desktop app", Command::new(app), None)
}

fn build_app_and_cli() -> Command {
    let mut build = cargo();
    build.args(["build", "--workspace", "--exclude", "paddock-e2e", "--exclude", "xtask"]);
    build
}

/// CI stops at 90 minutes; a cold run takes about 11, so even a step that
/// hangs to its limit leaves a summary saying which.
const E2E_LIMIT: Duration = Duration::from_secs(25 * 60);

fn test(skip_setup: bool) -> Result<(), String> {
    let mut steps = Steps::default();
    if !skip_setup {
        setup::system_packages(setup::Purpose::Test)?;
        setup::tauri_driver(&mut steps)?;
    }
    setup::check_node()?;
    build_ui(&mut steps)?;
    // Not system packages: like `npm ci` they are checked even with --skip-setup.
    setup::claude_code(&mut steps);
    setup::moto(&mut steps);

    steps.run("UI unit tests (vitest)", npm(&["test"]));
    steps.run("web build in Chromium (Playwright)", npm(&["run", "test:web"]));

    let mut clippy = cargo();
    clippy.args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]);
    steps.run("clippy", clippy);

    let mut unit = cargo();
    unit.args(["test", "--no-fail-fast", "--workspace", "--exclude", "paddock-e2e"]);
    steps.run("Rust unit and integration tests", unit);

    if steps.run("build the desktop app and CLI", build_app_and_cli()) == Outcome::Passed {
        let mut e2e = cargo();
        e2e.args(["test", "--no-fail-fast", "--package", "paddock-e2e"])
            .env("PADDOCK_APP_BIN", target_dir().join("debug").join("paddock-desktop"))
            .env("PADDOCK_CLI_BIN", target_dir().join("debug").join("paddock"))
            .env("PADDOCK_CLAUDE_BIN", setup::claude_bin());
        // About 2 minutes once built (measured on the 2-core CI kind of
        // machine); every window test has its own limits too, so this one only
        // catches what hangs outside them.
        steps.run_within("end to end: the window under Xvfb, Claude Code behind the gate", e2e, Some(E2E_LIMIT));
    } else {
        steps.skip_failed("end to end: the window under Xvfb, Claude Code behind the gate", "the app did not build");
    }
    steps.finish()
}

fn bench() -> Result<(), String> {
    let mut steps = Steps::default();
    let mut b = cargo();
    b.args(["bench", "--workspace", "--exclude", "paddock-e2e", "--", "--warm-up-time", "1", "--measurement-time", "3"]);
    // Benchmarks take as long as they take; nobody waits on them in CI.
    steps.run_within("criterion benchmarks", b, None);
    steps.finish()
}
