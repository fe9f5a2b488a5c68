//! `paddock-hook`: the PreToolUse gate hook of a task's agent — `paddock
//! gate` in hook mode, the same library code, options and environment — in
//! a binary that links only the gate and the engine API client. The engine
//! runs it for every tool call, so its start (the loader's work on a large
//! position-independent executable) is what the agent waits for; see
//! docs/benchmarks/gate.md.
//!
//! Outside a task (no `PADDOCK_ENGINE_SOCKET`) the decision goes into the
//! audit database, which this binary does not link: it hands the call, with
//! its arguments and untouched stdin, to `paddock gate` beside it.

use std::os::unix::process::CommandExt as _;

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "paddock-hook",
    version,
    about = "The Paddock gate as a task agent's PreToolUse hook: `paddock gate` without a subcommand, in a small binary.",
    after_help = "Reads a PreToolUse hook payload on stdin and prints the decision JSON on stdout (exit status 0 always). \
                  Inside a task (PADDOCK_ENGINE_SOCKET set) the task's engine records the decision; outside one, \
                  `paddock gate` beside this binary is run instead, to append it to the audit database."
)]
struct Cli {
    #[command(flatten)]
    hook: paddock_hook::HookArgs,
}

fn main() {
    let cli = Cli::parse();
    // As `paddock` does: warnings on stderr, RUST_LOG overrides (a plain
    // level filter unless it is set: this process is started for every call).
    let logs = tracing_subscriber::fmt().with_writer(std::io::stderr);
    match tracing_subscriber::EnvFilter::try_from_default_env() {
        Ok(filter) => logs.with_env_filter(filter).init(),
        Err(_) => logs.with_max_level(tracing::Level::WARN).init(),
    }
    let paddock_hook::NotInTask = paddock_hook::run_in_task(&cli.hook);
    let paddock = std::env::current_exe().map(|exe| exe.with_file_name("paddock"));
    let why = match &paddock {
        // Only returns if the program could not be started.
        Ok(paddock) => std::process::Command::new(paddock).arg("gate").args(std::env::args_os().skip(1)).exec(),
        Err(e) => std::io::Error::new(e.kind(), format!("cannot locate this binary: {e}")),
    };
    let shown = paddock.map_or_else(|_| "paddock".to_owned(), |p| p.display().to_string());
    paddock_hook::refuse(
        &cli.hook,
        &format!(
            "outside a task, paddock-hook hands each call to `paddock gate`, and {shown} could not be started ({why}), \
             so nothing is allowed"
        ),
    )
}
