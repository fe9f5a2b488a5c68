//! `paddock-hook`: the PreToolUse gate hook as a process — read the payload
//! on stdin, decide with `paddock-gate`, record the decision, answer on
//! stdout. Both hook commands run this code: `paddock gate` ([`run`]; what
//! `paddock gate install` writes into settings) and the slim `paddock-hook`
//! binary ([`run_in_task`]) that the engine puts in a task agent's settings,
//! whose start costs a fraction of the full CLI's because it links only the
//! gate and the engine API client.
//!
//! Where the decision is recorded:
//! - inside a task (`PADDOCK_ENGINE_SOCKET` set) through the task's engine,
//!   over its API socket with the task's token ([`paddock_engine_api`]); an
//!   `ask` becomes an approval the hook waits for;
//! - otherwise in the audit database itself (`--audit-db`,
//!   `PADDOCK_AUDIT_DB`, else `<data dir>/audit.db`) — by `paddock gate`
//!   only: [`run_in_task`] returns instead, before reading anything.
//!
//! Invariants, stated as absences:
//! - no answer before the decision is recorded: a decision that cannot be
//!   recorded, an engine that cannot be reached or refuses the token, an
//!   unreadable or oversized payload, a broken rule pack and a panic all
//!   answer deny;
//! - no signal through the exit status: it is 0 whatever the answer (Claude
//!   Code does not treat exit 1 as a block);
//! - no audit database opened inside a task (the sandbox keeps it out of
//!   reach; the engine appends for the hook).

mod engine_link;
mod local;

use std::io::{Read, Write as _};
use std::path::PathBuf;

use paddock_gate::{AgentFormat, Context, Decision, Gate, GateError, HookInput, HookOutput, Verdict};

pub use local::default_audit_db;

/// Hook payloads larger than this are refused (denied), not parsed.
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// The hook's options, the same for `paddock gate` and `paddock-hook`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct HookArgs {
    /// Which agent's hook format to answer in.
    #[arg(long, value_enum, default_value_t = Agent::Claude)]
    pub agent: Agent,
    /// Extra rule pack (TOML); repeatable. Built-in packs are loaded too.
    #[arg(long = "pack", value_name = "FILE")]
    pub packs: Vec<PathBuf>,
    /// A built-in pack not to enforce (chosen in the app's walkthrough); repeatable.
    #[arg(long = "without-pack", value_name = "ID")]
    pub without_packs: Vec<String>,
    /// The task worktree: destructive operations outside it are denied.
    /// Defaults to the hook payload's `cwd`.
    #[arg(long, env = "PADDOCK_WORKTREE", value_name = "DIR")]
    pub worktree: Option<PathBuf>,
    /// Audit database every decision is written to
    /// [default: $PADDOCK_DATA_DIR/audit.db, else the user data dir's paddock/audit.db].
    #[arg(long, env = "PADDOCK_AUDIT_DB", value_name = "FILE")]
    pub audit_db: Option<PathBuf>,
    /// The Paddock task this agent runs for, recorded with each decision.
    #[arg(long, env = "PADDOCK_TASK_ID", value_name = "ID")]
    pub task: Option<String>,
}

/// The agent whose hook format the answer is in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Agent {
    #[default]
    Claude,
    Codex,
}

impl Agent {
    fn format(self) -> AgentFormat {
        match self {
            Agent::Claude => AgentFormat::Claude,
            Agent::Codex => AgentFormat::Codex,
        }
    }
}

/// `paddock gate`: the whole hook process — the payload from stdin, the
/// answer (one line) on stdout, exit status 0 — recording through the task's
/// engine inside a task, else into the audit database.
pub fn run(args: &HookArgs) -> ! {
    match engine_link::EngineLink::from_env() {
        Some(link) => respond(args, &link),
        None => respond(args, &local::Local { args }),
    }
}

/// Outside a task: returned by [`run_in_task`], which then has read nothing.
#[derive(Debug)]
pub struct NotInTask;

/// The slim `paddock-hook`: as [`run`] inside a task. Outside one it returns
/// at once, without touching stdin, so that its caller can hand the call to
/// `paddock gate` — this entry point does not link the audit database, which
/// only that mode needs.
pub fn run_in_task(args: &HookArgs) -> NotInTask {
    match engine_link::EngineLink::from_env() {
        Some(link) => respond(args, &link),
        None => NotInTask,
    }
}

/// Answers deny (the call could not even be judged) and exits 0.
pub fn refuse(args: &HookArgs, reason: &str) -> ! {
    drain_stdin();
    finish(&fail(reason.to_owned()).render(args.agent.format()))
}

/// Reads and drops the payload nobody will judge, so that the agent writing it
/// never meets a closed pipe (EPIPE, which a Node.js caller may not handle) because
/// the refusal came first. Bounded, and skipped on a terminal, which never ends.
fn drain_stdin() {
    use std::io::IsTerminal as _;
    const MAX_PAYLOAD: u64 = 64 << 20;
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let _ = std::io::copy(&mut stdin.lock().take(MAX_PAYLOAD), &mut std::io::sink());
    }
}

/// Decides and records the call read from `input` (through the engine inside
/// a task, else into the audit database); returns the answer to print
/// (possibly empty: Codex takes silence as allow).
pub fn answer(args: &HookArgs, input: impl Read) -> String {
    match engine_link::EngineLink::from_env() {
        Some(link) => answer_keeping(args, input, &link).0,
        None => answer_keeping(args, input, &local::Local { args }).0,
    }
}

/// Where decisions are recorded: the task's engine, or the audit database.
trait Recorder {
    /// Records a decision and returns the answer (deny if it could not be
    /// recorded: an unrecorded allow does not exist).
    fn decide(&self, input: &HookInput, decision: &Decision) -> HookOutput;
    /// Records a call refused before it could be judged.
    fn refused(&self, refusal: &Decision) -> Result<(), String>;
}

/// The answer goes out, then the process exits at once: what the decision
/// built (compiled rules, thousands of small allocations) is left to the
/// exit rather than freed one by one, which would only delay the end.
fn respond(args: &HookArgs, recorder: &dyn Recorder) -> ! {
    let (text, _built) = answer_keeping(args, std::io::stdin().lock(), recorder);
    finish(&text)
}

fn finish(text: &str) -> ! {
    let mut stdout = std::io::stdout().lock();
    // Nothing useful can be done if stdout is gone; the exit status stays 0
    // either way because the agent reads only stdout.
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.write_all(b"\n")).and_then(|()| stdout.flush());
    std::process::exit(0)
}

/// The answer, and the gate it decided with (for [`respond`] not to free it).
fn answer_keeping(args: &HookArgs, input: impl Read, recorder: &dyn Recorder) -> (String, Option<Gate>) {
    let decided = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decide(args, input)))
        .unwrap_or_else(|_| Err(fail("internal error while deciding".into())));
    let (output, gate) = match decided {
        Ok((input, decision, gate)) => (recorder.decide(&input, &decision), Some(gate)),
        Err(out) => {
            let refusal = Decision {
                verdict: out.verdict,
                rule_id: Some("core.hook-error".into()),
                reason: out.reason.clone(),
                commands: Vec::new(),
            };
            if let Err(e) = recorder.refused(&refusal) {
                tracing::warn!("could not record a refused hook call: {e}");
            }
            (out, None)
        }
    };
    (output.render(args.agent.format()), gate)
}

fn fail(reason: String) -> HookOutput {
    HookOutput { verdict: Verdict::Deny, reason: format!("Paddock gate: {reason}") }
}

fn decide(args: &HookArgs, input: impl Read) -> Result<(HookInput, Decision, Gate), HookOutput> {
    let mut raw = String::new();
    input
        .take(MAX_INPUT_BYTES + 1)
        .read_to_string(&mut raw)
        .map_err(|e| fail(format!("could not read the hook input: {e}")))?;
    if raw.len() as u64 > MAX_INPUT_BYTES {
        return Err(fail("the hook input is larger than 16 MiB".into()));
    }
    let input: HookInput =
        serde_json::from_str(&raw).map_err(|e| fail(format!("the hook input is not a PreToolUse payload: {e}")))?;
    let gate = load_gate(&args.packs, &args.without_packs).map_err(|e| fail(e.to_string()))?;
    let mut ctx = Context::from_env();
    ctx.worktree = args.worktree.clone().or(ctx.worktree);
    let decision = gate.decide(&input, &ctx);
    Ok((input, decision, gate))
}

/// The built-in packs but those in `without`, plus `packs`, in order.
pub fn load_gate(packs: &[PathBuf], without: &[String]) -> Result<Gate, GateError> {
    let mut gate = Gate::with_builtin_packs_except(without)?;
    for p in packs {
        gate.load_pack(p)?;
    }
    Ok(gate)
}

/// What a tool call is about: the command, path, URL or pattern.
fn resource_of(input: Option<&HookInput>) -> &str {
    let ti = input.map(|i| &i.tool_input);
    ["command", "file_path", "url", "notebook_path", "pattern"]
        .iter()
        .find_map(|k| ti.and_then(|t| t.get(*k)).and_then(|v| v.as_str()))
        .unwrap_or_default()
}

/// The decision's detail as both recorders store it (the engine adds
/// `rule_id` and `reason` from the decision's own fields).
fn detail(input: Option<&HookInput>, decision: &Decision) -> serde_json::Map<String, serde_json::Value> {
    let value = serde_json::json!({
        "commands": decision.commands,
        "session_id": input.and_then(|i| i.session_id.as_deref()),
        "tool_use_id": input.and_then(|i| i.tool_use_id.as_deref()),
        "cwd": input.and_then(|i| i.cwd.as_deref()),
        "permission_mode": input.and_then(|i| i.permission_mode.as_deref()),
        "tool_input": input.map(|i| &i.tool_input),
    });
    match value {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}
