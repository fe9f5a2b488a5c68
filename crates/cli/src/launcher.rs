//! `paddock`: the command people type, and the one agents run per tool call.
//!
//! The hot paths run right here: the PreToolUse hook (`paddock gate`), the
//! sandbox (`paddock sandbox …`) and the init a sandbox starts with. This
//! binary is built from the `paddock_cli` library alone, without the cloud
//! SDKs, the engine server or the egress proxy, because a process start of
//! the whole CLI (a 44 MB position-independent executable) costs ~3 ms of
//! relocations and page faults, paid on every tool call and every launch.
//!
//! Every other command, and any help, usage or parse error, goes unchanged to
//! `paddock-full` beside this binary, so there is one source of truth for the
//! command line: the full CLI's clap definitions.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use paddock_cli::{gate, output, paths, sandbox};

/// The subset of `paddock-full`'s command line that runs in this binary.
/// The arguments are the same structs, so both parse alike.
#[derive(Parser)]
#[command(name = "paddock")]
struct Fast {
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: FastCommand,
}

#[derive(Subcommand)]
enum FastCommand {
    Gate(gate::Args),
    Sandbox(sandbox::Args),
}

fn main() -> ExitCode {
    let raw: Vec<OsString> = std::env::args_os().collect();
    // The init inside a sandbox (proxy bridge), dispatched before clap.
    if raw.get(1).is_some_and(|a| a == paddock_sandbox::init::INIT_ARG) {
        return paddock_sandbox::init::init_main(&raw[2..]);
    }
    let fast = raw.get(1).is_some_and(|a| a == "gate" || a == "sandbox");
    if fast && let Ok(cli) = Fast::try_parse_from(&raw) {
        output::init_tracing(cli.verbose);
        return output::exit_code(match cli.command {
            FastCommand::Gate(args) => gate::run(args),
            FastCommand::Sandbox(args) => sandbox::run(args),
        });
    }
    output::exit_code(run_full(&raw))
}

/// Hands the whole command line to `paddock-full`.
fn run_full(raw: &[OsString]) -> anyhow::Result<ExitCode> {
    let full = paths::sibling("paddock-full")?;
    let mut command = std::process::Command::new(&full);
    command.args(raw.iter().skip(1));
    let failed = |e: std::io::Error| {
        anyhow::anyhow!(e).context(format!(
            "cannot run {} (the rest of the paddock command line, installed beside `paddock`; reinstall Paddock)",
            full.display()
        ))
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        if let Some(arg0) = raw.first() {
            command.arg0(arg0);
        }
        Err(failed(command.exec()))
    }
    #[cfg(not(unix))]
    {
        let status = command.status().map_err(failed)?;
        let code = status.code().ok_or_else(|| anyhow::anyhow!("paddock-full ended without an exit code"))?;
        Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
    }
}
