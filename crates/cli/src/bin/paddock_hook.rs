//! `paddock-hook`: the PreToolUse gate hook alone — `paddock gate` in hook
//! mode, the same library code, the same options and environment — in a
//! binary that links only the gate, the audit trail and the engine API
//! client. The engine runs it for every tool call of a task's agent, so its
//! start (the loader's work on a large position-independent executable)
//! is what the agent waits for; see docs/benchmarks/gate.md.

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

fn main() {
    let cli = Cli::parse();
    // As `paddock` does: warnings on stderr, RUST_LOG overrides (a plain
    // level filter unless it is set: this process is started for every call).
    let logs = tracing_subscriber::fmt().with_writer(std::io::stderr);
    match tracing_subscriber::EnvFilter::try_from_default_env() {
        Ok(filter) => logs.with_env_filter(filter).init(),
        Err(_) => logs.with_max_level(tracing::Level::WARN).init(),
    }
    paddock_hook::run(&cli.hook)
}
