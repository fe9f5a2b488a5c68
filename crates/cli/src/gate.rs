//! `paddock gate`: the PreToolUse hook command, plus `check` (for people) and
//! `install` (into a project's agent settings).
//!
//! In hook mode the answer always goes to stdout with exit status 0 — Claude
//! Code does not treat exit 1 as a block — and every failure (unreadable
//! input, bad JSON, a broken rule pack, a panic) is answered with a deny.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use paddock_gate::{AgentFormat, Context, Decision, Gate, HookInput, HookOutput, Verdict};

/// Hook payloads larger than this are refused (denied), not parsed.
const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

#[derive(clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Without a subcommand, reads a PreToolUse hook payload on stdin and prints the decision JSON on stdout (exit status 0 always)."
)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Sub>,
    #[command(flatten)]
    hook: HookArgs,
}

#[derive(clap::Args)]
struct HookArgs {
    /// Which agent's hook format to answer in.
    #[arg(long, value_enum, default_value_t = Agent::Claude)]
    agent: Agent,
    /// Extra rule pack (TOML); repeatable. Built-in packs are always loaded.
    #[arg(long = "pack", value_name = "FILE")]
    packs: Vec<PathBuf>,
    /// The task worktree: destructive operations outside it are denied.
    /// Defaults to the hook payload's `cwd`.
    #[arg(long, env = "PADDOCK_WORKTREE", value_name = "DIR")]
    worktree: Option<PathBuf>,
    /// Audit database every decision is written to
    /// [default: $PADDOCK_DATA_DIR/audit.db, else the user data dir's paddock/audit.db].
    #[arg(long, env = "PADDOCK_AUDIT_DB", value_name = "FILE")]
    audit_db: Option<PathBuf>,
    /// The Paddock task this agent runs for, recorded with each decision.
    #[arg(long, env = "PADDOCK_TASK_ID", value_name = "ID")]
    task: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Agent {
    Claude,
    Codex,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Decide one command or tool call given on the command line and explain why.
    /// Exit status: 0 allow, 3 ask, 4 deny.
    Check(CheckArgs),
    /// Add `paddock gate` as a PreToolUse hook to a project's .claude/settings.json
    /// (or the file given with --settings). Keeps everything already there; running
    /// it twice changes nothing.
    Install(InstallArgs),
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The tool being called: Bash, Write, Edit, Read, WebFetch, mcp__server__tool…
    #[arg(long, default_value = "Bash")]
    tool: String,
    /// Working directory the command runs in (default: the current directory).
    #[arg(long)]
    cwd: Option<PathBuf>,
    /// Extra rule pack (TOML); repeatable.
    #[arg(long = "pack", value_name = "FILE")]
    packs: Vec<PathBuf>,
    /// The task worktree (default: --cwd).
    #[arg(long, env = "PADDOCK_WORKTREE", value_name = "DIR")]
    worktree: Option<PathBuf>,
    /// Print the decision as JSON.
    #[arg(long)]
    json: bool,
    /// The command (for Bash), the path (Write/Edit/Read), the URL (WebFetch),
    /// or the tool_input JSON (other tools). Several words are joined by spaces.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    what: Vec<String>,
}

#[derive(clap::Args)]
struct InstallArgs {
    /// Project directory whose .claude/settings.json gets the hook.
    #[arg(long, default_value = ".", conflicts_with = "settings")]
    project: PathBuf,
    /// Settings file to edit instead (created if missing).
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// Command the hook runs (default: this paddock binary, `gate`).
    #[arg(long)]
    hook_command: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        None => Ok(hook(&args.hook)),
        Some(Sub::Check(c)) => check(c),
        Some(Sub::Install(i)) => install(i),
    }
}

fn hook(args: &HookArgs) -> ExitCode {
    let format = match args.agent {
        Agent::Claude => AgentFormat::Claude,
        Agent::Codex => AgentFormat::Codex,
    };
    let answer = std::panic::catch_unwind(|| decide_hook(args)).unwrap_or_else(|_| {
        Err(HookOutput { verdict: Verdict::Deny, reason: "Paddock gate: internal error while deciding".into() })
    });
    let engine = EngineLink::from_env();
    let output = match answer {
        Ok((input, decision)) => match &engine {
            // Inside a task: the engine records the decision and runs the human gate.
            Some(link) => match link.decide(&input, &decision) {
                Ok(out) => out,
                Err(e) => fail(format!("the Paddock engine is unreachable, so nothing is allowed: {e:#}")),
            },
            None => match record_decision(args, Some(&input), &decision) {
                Ok(()) => HookOutput::from_decision(&decision),
                // Fail closed: a decision that cannot be recorded is not allowed.
                Err(e) => fail(format!("the audit trail is unavailable, so nothing is allowed: {e:#}")),
            },
        },
        Err(out) => {
            let refusal = Decision {
                verdict: out.verdict,
                rule_id: Some("core.hook-error".into()),
                reason: out.reason.clone(),
                commands: Vec::new(),
            };
            let recorded = match &engine {
                Some(link) => link.record(None, &refusal).map(|_| ()),
                None => record_decision(args, None, &refusal),
            };
            if let Err(e) = recorded {
                tracing::warn!("could not record a refused hook call: {e:#}");
            }
            out
        }
    };
    let text = output.render(format);
    let mut stdout = std::io::stdout().lock();
    // Nothing useful can be done if stdout is gone; the exit status stays 0
    // either way because the agent reads only stdout.
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.write_all(b"\n")).and_then(|()| stdout.flush());
    ExitCode::SUCCESS
}

fn fail(reason: String) -> HookOutput {
    HookOutput { verdict: Verdict::Deny, reason: format!("Paddock gate: {reason}") }
}

fn decide_hook(args: &HookArgs) -> Result<(HookInput, Decision), HookOutput> {
    let mut raw = String::new();
    std::io::stdin()
        .take(MAX_INPUT_BYTES + 1)
        .read_to_string(&mut raw)
        .map_err(|e| fail(format!("could not read the hook input: {e}")))?;
    if raw.len() as u64 > MAX_INPUT_BYTES {
        return Err(fail("the hook input is larger than 16 MiB".into()));
    }
    let input: HookInput =
        serde_json::from_str(&raw).map_err(|e| fail(format!("the hook input is not a PreToolUse payload: {e}")))?;
    let gate = load_gate(&args.packs).map_err(|e| fail(format!("{e:#}")))?;
    let mut ctx = Context::from_env();
    ctx.worktree = args.worktree.clone().or(ctx.worktree);
    let decision = gate.decide(&input, &ctx);
    Ok((input, decision))
}

fn load_gate(packs: &[PathBuf]) -> anyhow::Result<Gate> {
    let mut gate = Gate::with_builtin_packs();
    for p in packs {
        gate.load_pack(p)?;
    }
    Ok(gate)
}

/// Writes the decision to the audit trail; redaction happens inside `append`.
fn record_decision(args: &HookArgs, input: Option<&HookInput>, decision: &Decision) -> anyhow::Result<()> {
    let path = crate::paths::audit_db(args.audit_db.clone())?;
    let log = paddock_audit::AuditLog::open(&path)?;
    let tool = input.map_or("unknown", |i| i.tool_name.as_str());
    let ti = input.map(|i| &i.tool_input);
    let resource = resource_of(input);
    let mut event = paddock_audit::NewEvent::new(
        paddock_audit::Actor::Agent,
        paddock_audit::Kind::GateDecision,
        tool,
    )
    .resource(resource)
    .outcome(decision.verdict.as_str())
    .detail(serde_json::json!({
        "rule_id": decision.rule_id,
        "reason": decision.reason,
        "commands": decision.commands,
        "session_id": input.and_then(|i| i.session_id.as_deref()),
        "tool_use_id": input.and_then(|i| i.tool_use_id.as_deref()),
        "cwd": input.and_then(|i| i.cwd.as_deref()),
        "permission_mode": input.and_then(|i| i.permission_mode.as_deref()),
        "tool_input": ti,
    }));
    if let Some(task) = &args.task {
        event = event.task(task.clone());
    }
    log.append(event)?;
    Ok(())
}

/// What a tool call is about: the command, path, URL or pattern.
fn resource_of(input: Option<&HookInput>) -> &str {
    let ti = input.map(|i| &i.tool_input);
    ["command", "file_path", "url", "notebook_path", "pattern"]
        .iter()
        .find_map(|k| ti.and_then(|t| t.get(*k)).and_then(|v| v.as_str()))
        .unwrap_or_default()
}

fn hook_detail(input: Option<&HookInput>, decision: &Decision) -> serde_json::Value {
    serde_json::json!({
        "commands": decision.commands,
        "session_id": input.and_then(|i| i.session_id.as_deref()),
        "tool_use_id": input.and_then(|i| i.tool_use_id.as_deref()),
        "cwd": input.and_then(|i| i.cwd.as_deref()),
        "permission_mode": input.and_then(|i| i.permission_mode.as_deref()),
        "tool_input": input.map(|i| &i.tool_input),
    })
}

/// The engine running this hook's task (`PADDOCK_ENGINE_SOCKET`,
/// `PADDOCK_ENGINE_TOKEN`, `PADDOCK_TASK_ID`, set inside the sandbox).
struct EngineLink {
    client: paddock_engine::Client,
    task: String,
    approval_timeout: std::time::Duration,
}

impl EngineLink {
    fn from_env() -> Option<EngineLink> {
        let socket = std::env::var_os("PADDOCK_ENGINE_SOCKET").filter(|s| !s.is_empty())?;
        let token = std::env::var("PADDOCK_ENGINE_TOKEN").unwrap_or_default();
        let task = std::env::var("PADDOCK_TASK_ID").unwrap_or_default();
        let secs = std::env::var("PADDOCK_APPROVAL_TIMEOUT_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(300);
        Some(EngineLink {
            client: paddock_engine::Client::new(PathBuf::from(socket), token),
            task,
            approval_timeout: std::time::Duration::from_secs(secs),
        })
    }

    fn record(&self, input: Option<&HookInput>, decision: &Decision) -> anyhow::Result<serde_json::Value> {
        let body = serde_json::to_value(paddock_engine::GateDecisionIn {
            task_id: self.task.clone(),
            tool: input.map_or("unknown", |i| i.tool_name.as_str()).to_owned(),
            resource: resource_of(input).to_owned(),
            verdict: decision.verdict.as_str().to_owned(),
            rule_id: decision.rule_id.clone(),
            reason: decision.reason.clone(),
            detail: hook_detail(input, decision),
        })?;
        Ok(self.client.post("/v1/gate/decisions", &body, std::time::Duration::from_secs(30))?)
    }

    /// Records the decision; an "ask" becomes an approval a person answers
    /// (or that expires: deny).
    fn decide(&self, input: &HookInput, decision: &Decision) -> anyhow::Result<HookOutput> {
        let recorded = self.record(Some(input), decision)?;
        if decision.verdict != Verdict::Ask {
            return Ok(HookOutput::from_decision(decision));
        }
        let out: paddock_engine::GateDecisionOut = serde_json::from_value(recorded)?;
        let opened = out.approval.context("the engine opened no approval for an ask")?;
        let mut state = opened.state;
        if state == paddock_engine::ApprovalState::Pending {
            let secs = self.approval_timeout.as_secs();
            let waited = self.client.get(
                &format!("/v1/approvals/{}/wait?timeout_secs={secs}", opened.id),
                self.approval_timeout + std::time::Duration::from_secs(15),
            )?;
            let waited: paddock_engine::ApprovalRecord = serde_json::from_value(waited)?;
            state = waited.state;
        }
        let state = state.as_str();
        Ok(match state {
            "approved" => HookOutput {
                verdict: Verdict::Allow,
                reason: format!("Paddock gate: approved by a person ({})", decision.reason),
            },
            "denied" => HookOutput { verdict: Verdict::Deny, reason: format!("Paddock gate: a person denied this ({})", decision.reason) },
            _ => HookOutput {
                verdict: Verdict::Deny,
                reason: format!(
                    "Paddock gate: this needs a person's approval and nobody approved it within {}s ({})",
                    self.approval_timeout.as_secs(),
                    decision.reason
                ),
            },
        })
    }
}

fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let gate = load_gate(&args.packs)?;
    let cwd = match args.cwd {
        Some(c) => c,
        None => std::env::current_dir().context("cannot determine the current directory")?,
    };
    let cwd = std::path::absolute(&cwd).unwrap_or(cwd);
    let what = args.what.join(" ");
    let tool_input = match args.tool.as_str() {
        "Bash" => serde_json::json!({ "command": what }),
        "Write" | "Edit" | "Read" | "MultiEdit" => serde_json::json!({ "file_path": what }),
        "WebFetch" => serde_json::json!({ "url": what }),
        _ => serde_json::from_str(&what).with_context(|| format!("for --tool {}, give the tool_input as JSON", args.tool))?,
    };
    let input = HookInput {
        cwd: Some(cwd.display().to_string()),
        hook_event_name: Some("PreToolUse".into()),
        tool_name: args.tool.clone(),
        tool_input,
        ..Default::default()
    };
    let mut ctx = Context::from_env();
    ctx.worktree = args.worktree.or(ctx.worktree);
    let d = gate.decide(&input, &ctx);
    // A closed stdout (`| head`) is not an error worth a panic.
    let mut out = std::io::stdout().lock();
    if args.json {
        let _ = writeln!(out, "{}", serde_json::to_string_pretty(&d)?);
    } else {
        let _ = writeln!(out, "{:<5} {}", d.verdict.as_str(), d.rule_id.as_deref().unwrap_or("-"));
        let _ = writeln!(out, "      {}", d.reason);
        if d.commands.len() > 1 || d.verdict != Verdict::Allow {
            for c in &d.commands {
                let _ = writeln!(out, "  {:<5} {:<44} {}", c.verdict.as_str(), c.rule_id, one_line(&c.command));
            }
        }
    }
    Ok(ExitCode::from(match d.verdict {
        Verdict::Allow => 0,
        Verdict::Ask => 3,
        Verdict::Deny => 4,
    }))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn install(args: InstallArgs) -> anyhow::Result<ExitCode> {
    let explicit = args.settings.is_some();
    let path = match args.settings {
        Some(p) => p,
        None => args.project.join(".claude").join("settings.json"),
    };
    let path = std::path::absolute(&path).unwrap_or(path);
    if !explicit && is_global_settings(&path) {
        bail!(
            "{} is your user-wide Claude Code settings file, not a project's; \
             run this in a project directory, or pass --settings {} if you really mean it",
            path.display(),
            path.display()
        );
    }
    let command = match args.hook_command {
        Some(c) => c,
        None => {
            let exe = crate::paths::launcher()?;
            format!("{} gate", shell_quote(&exe.display().to_string()))
        }
    };
    let existing = match std::fs::read_to_string(&path) {
        Ok(t) if t.trim().is_empty() => None,
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut root: serde_json::Value = match &existing {
        Some(t) => serde_json::from_str(t)
            .with_context(|| format!("{} is not valid JSON; fix it first, nothing was changed", path.display()))?,
        None => serde_json::json!({}),
    };
    let changed = paddock_gate::install::add_pre_tool_use_hook(&mut root, &command)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("in {}", path.display()))?;
    if !changed {
        println!("already installed in {}", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(&root)? + "\n";
    // Write-then-rename so a crash never leaves a half-written settings file.
    let tmp = path.with_extension("json.paddock-tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot replace {}", path.display()))?;
    println!("installed `{command}` as a PreToolUse hook in {}", path.display());
    Ok(ExitCode::SUCCESS)
}

fn is_global_settings(path: &Path) -> bool {
    let Some(home) = std::env::var_os("HOME").map(PathBuf::from) else { return false };
    let global = home.join(".claude");
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    path.parent().is_some_and(|dir| canon(dir) == canon(&global))
}

fn shell_quote(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
