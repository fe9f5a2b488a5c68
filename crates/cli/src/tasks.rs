//! `paddock tasks`: list, show, stop, revoke and diff tasks. Reading goes to
//! the task store (and first recovers tasks whose engine died); stopping goes
//! to the engine process running the task, through its API socket.

use std::process::ExitCode;

use anyhow::Context as _;
use paddock_engine::{Engine, TaskRecord};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// List tasks, newest first.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one task.
    Show {
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Stop a running task: the agent is killed, then Paddock revokes its
    /// credentials and commits what it left.
    Stop { id: String },
    /// Revoke a task's cloud credentials now; the agent keeps running without them.
    Revoke { id: String },
    /// The task's changes: Paddock's commit once it ended, else the worktree so far.
    Diff { id: String },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (engine, _) = Engine::open(crate::run::engine_config()?)?;
    match args.command {
        Command::List { json } => {
            let tasks = engine.store().tasks()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&tasks)?);
            } else if tasks.is_empty() {
                println!("no tasks yet; start one with `paddock run -- PROMPT`");
            } else {
                println!("{:<16}  {:<9}  {:<6}  {:<24}  PROMPT", "ID", "STATE", "AGENT", "CREATED");
                for t in &tasks {
                    let prompt: String = t.prompt.chars().take(50).collect();
                    println!("{:<16}  {:<9}  {:<6}  {:<24}  {prompt}", t.id, t.state.as_str(), t.agent, t.created_at);
                }
            }
        }
        Command::Show { id, json } => {
            let t = engine.store().task(&id)?.with_context(|| format!("no task {id:?}; see `paddock tasks list`"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&t)?);
            } else {
                print_task(&t);
            }
        }
        Command::Stop { id } => {
            let t = engine.store().task(&id)?.with_context(|| format!("no task {id:?}; see `paddock tasks list`"))?;
            if t.state.is_final() {
                println!("task {id} already {}", t.state.as_str());
                return Ok(ExitCode::SUCCESS);
            }
            // Whichever engine process runs it is asked; a task whose engine died is recovered here.
            let now = engine.stop(&id, paddock_audit::Actor::User)?;
            println!("task {id}: {}", now.state.as_str());
        }
        Command::Revoke { id } => {
            engine.revoke_now(&id, paddock_audit::Actor::User)?;
            println!("task {id}: credentials revoked");
        }
        Command::Diff { id } => print!("{}", engine.task_diff(&id)?),
    }
    Ok(ExitCode::SUCCESS)
}

fn print_task(t: &TaskRecord) {
    println!("task      {}", t.id);
    println!("state     {}{}", t.state.as_str(), t.exit_code.map(|c| format!(" (exit {c})")).unwrap_or_default());
    if let Some(e) = &t.error {
        println!("error     {e}");
    }
    println!("agent     {}", t.agent);
    println!("repo      {}", t.repo.display());
    println!("worktree  {}", t.worktree.display());
    println!("branch    {}", t.branch);
    println!("commit    {}", t.commit.as_deref().unwrap_or("-"));
    println!("created   {}", t.created_at);
    println!("started   {}", t.started_at.as_deref().unwrap_or("-"));
    println!("finished  {}", t.finished_at.as_deref().unwrap_or("-"));
    println!("ttl       {}s{}", t.ttl_secs, if t.bypass { ", bypass mode" } else { "" });
    if !t.allow_hosts.is_empty() {
        println!("egress    {}", t.allow_hosts.join(", "));
    }
    println!("prompt    {}", t.prompt);
}

