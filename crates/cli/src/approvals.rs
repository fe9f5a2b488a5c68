//! `paddock approvals`: the human gate from the command line. A gate "ask"
//! in an unattended task waits here until someone approves or denies it (or
//! the engine's approval timeout denies it).

use std::process::ExitCode;

use anyhow::Context as _;
use paddock_engine::{ApprovalDecision, ApprovalRecord, Engine};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// List pending approvals (all of them with --all).
    List {
        #[arg(long)]
        all: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Let the agent go ahead with this one call.
    Approve {
        id: String,
        /// Also approve every later ask of the same rule in this task.
        #[arg(long)]
        always: bool,
    },
    /// Refuse the call; the agent is told a person denied it.
    Deny { id: String },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (engine, _) = Engine::open(crate::run::engine_config()?)?;
    let (id, decision) = match args.command {
        Command::List { all, json } => {
            let list = engine.store().approvals(!all)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                println!("{}", if all { "no approvals yet" } else { "nothing waits for an approval" });
            } else {
                for a in &list {
                    println!(
                        "{}  {:<8}  task {}  {}  {}\n    why: {}",
                        a.id,
                        a.state.as_str(),
                        a.task_id,
                        a.tool,
                        a.resource,
                        a.reason
                    );
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        Command::Approve { id, always } => {
            (id, if always { ApprovalDecision::AlwaysAllow } else { ApprovalDecision::Approve })
        }
        Command::Deny { id } => (id, ApprovalDecision::Deny),
    };
    engine.store().approval(&id)?.with_context(|| format!("no approval {id:?}; see `paddock approvals list`"))?;
    // The engine running the task holds the waiting hook: the decision is sent there.
    let now: ApprovalRecord = engine.decide_approval(&id, decision)?;
    println!("approval {id}: {}", now.state.as_str());
    Ok(ExitCode::SUCCESS)
}
