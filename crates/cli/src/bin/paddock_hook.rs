//! `paddock-hook`: the PreToolUse gate hook alone — `paddock gate` in hook
//! mode, the same library code, the same options and environment — in a
//! binary that links only the gate, the audit trail and the engine API
//! client. The engine runs it for every tool call of a task's agent, so its
//! start (the loader's work on a large position-independent executable)
//! is what the agent waits for; see docs/benchmarks/gate.md.

use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "paddock-hook",
    version,
    about = "The Paddock gate as a PreToolUse hook: `paddock gate` without a subcommand, in a small binary.",
    after_help = "Reads a PreToolUse hook payload on stdin and prints the decision JSON on stdout (exit status 0 always). \
                  Inside a task (PADDOCK_ENGINE_SOCKET set) the task's engine records the decision; otherwise it is \
                  appended to the audit database."
)]
struct Cli {
    #[command(flatten)]
    hook: paddock_hook::HookArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // As `paddock` does: warnings on stderr, RUST_LOG overrides.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    paddock_hook::run(&cli.hook)
}
