//! `paddock`: run coding agents unattended, inside a sandbox, behind a gate.
//!
//! Each subcommand lives in its own module and is a thin layer over one
//! engine crate; this file only wires them together.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use paddock_cli::{gate, output, sandbox};

mod approvals;
mod audit;
mod creds;
mod doctor;
mod egress;
mod proposals;
mod run;
mod serve;
mod tasks;
mod scan;
mod webhooks;

#[derive(Parser)]
#[command(
    name = "paddock",
    version,
    about = "Run autonomous coding agents unattended, without handing them the keys to everything.",
    long_about = None,
    propagate_version = true,
    arg_required_else_help = true
)]
struct Cli {
    /// More log output on stderr (repeat for more). RUST_LOG overrides it.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check that the tools Paddock needs are installed and working here.
    Doctor(doctor::Args),
    /// Browse, follow, verify and export the tamper-evident audit trail.
    Audit(Box<audit::Args>),
    /// The per-task egress proxy: serve it standalone, or check a URL against a policy.
    Egress(egress::Args),
    /// The policy gate: PreToolUse hook (reads stdin), `check` a command, `install` the hook.
    Gate(gate::Args),
    /// Audit what an agent could reach on this machine; never prints a secret.
    Scan(scan::Args),
    /// Run a command inside the sandbox, or check which sandbox backends work here.
    Sandbox(sandbox::Args),
    /// Run an agent task: worktree, sandbox, gate, egress proxy, commit as Paddock.
    Run(Box<run::Args>),
    /// List, show and stop tasks.
    Tasks(tasks::Args),
    /// The human gate: list pending approvals, approve or deny them.
    Approvals(approvals::Args),
    /// Run the engine headless, serving its local API until stopped.
    Serve(serve::Args),
    /// Ephemeral, task-scoped cloud credentials (AWS, GCP): grant, list, revoke, settings.
    Creds(creds::Args),
    /// Verified Slack and GitHub webhooks that propose tasks.
    Webhooks(webhooks::Args),
}

fn main() -> ExitCode {
    // Hidden entry point: the init that runs inside a sandbox (proxy bridge),
    // dispatched before clap so it never shows in --help.
    let raw: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if raw.get(1).is_some_and(|a| a == paddock_sandbox::init::INIT_ARG) {
        return paddock_sandbox::init::init_main(&raw[2..]);
    }
    let cli = Cli::parse();
    output::init_tracing(cli.verbose);
    let result = match cli.command {
        Command::Doctor(args) => doctor::run(args),
        Command::Audit(args) => audit::run(*args),
        Command::Egress(args) => egress::run(args),
        Command::Gate(args) => gate::run(args),
        Command::Scan(args) => scan::run(args),
        Command::Sandbox(args) => sandbox::run(args),
        Command::Run(args) => run::run(*args),
        Command::Tasks(args) => tasks::run(args),
        Command::Approvals(args) => approvals::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Creds(args) => creds::run(args),
        Command::Webhooks(args) => webhooks::run(args),
    };
    output::exit_code(result)
}
