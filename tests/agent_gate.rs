//! The real Claude Code, in bypass mode (no per-action prompt, as in an
//! unattended run), behind `paddock gate` installed by the real
//! `paddock gate install`: a scripted fake Messages API makes it call Bash
//! with a destructive command and a benign one. The destructive one must not
//! run and its refusal must reach the model with the gate's reason; the
//! benign one must run; both decisions must be in the audit trail.
//!
//! Needs `PADDOCK_CLI_BIN` and `PADDOCK_CLAUDE_BIN` (`cargo xtask test`
//! builds the one and installs the other). The commands come from
//! `tests/data/agent_gate.toml` and only ever run inside the agent, against
//! throwaway directories.

// clippy.toml's allow-*-in-tests covers #[test] fns, not this file's helpers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use paddock_audit::{AuditLog, Cursor, Event, Filter, Kind, Query};
use paddock_e2e::claude::{self, Run};
use paddock_e2e::fake_anthropic::{FakeAnthropic, Script, ToolResult, Turn, tool_use_id};
use serde::Deserialize;

const API_KEY: &str = "sk-ant-paddock-e2e-placeholder";
const TASK_ID: &str = "task-e2e-agent-gate";
const FINAL_TEXT: &str = "Done: the workspace is tidy.";
const CANARY: &str = "this file must survive the agent\n";
/// Process start-up of a 250 MB binary plus a debug `paddock` per tool call,
/// on a loaded 2-core machine.
const AGENT_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Cases {
    destructive: Blocked,
    benign: Benign,
    evasion: Vec<Blocked>,
}

/// A command the gate must stop: `deny`, or `ask` (which nobody answers in
/// an unattended run).
#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Blocked {
    name: Option<String>,
    command: String,
    rule: String,
    #[serde(default = "deny")]
    verdict: String,
}

fn deny() -> String {
    "deny".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Benign {
    command: String,
    output: String,
    file: String,
}

fn cases() -> Cases {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/agent_gate.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Throwaway directories: a git repo (the worktree) with the gate installed,
/// a victim directory outside it, a home, and the audit database.
struct World {
    _root: tempfile::TempDir,
    cli: PathBuf,
    claude: PathBuf,
    repo: PathBuf,
    victim: PathBuf,
    home: PathBuf,
    db: PathBuf,
}

impl World {
    fn new() -> World {
        let cli = paddock_e2e::cli_binary().unwrap_or_else(|e| panic!("{e:#}"));
        let claude = claude::claude_binary().unwrap_or_else(|e| panic!("{e:#}"));
        // Not under /tmp: the gate rightly lets agents delete in temp dirs,
        // so a victim there would prove nothing.
        let root = tempfile::Builder::new().prefix("agent-gate-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let base = root.path().canonicalize().unwrap();
        for temp in ["/tmp", "/var/tmp"] {
            assert!(
                !base.starts_with(temp),
                "the scenario directory {} is inside {temp}, where the gate allows deletes; \
                 put CARGO_TARGET_DIR elsewhere",
                base.display()
            );
        }
        let repo = base.join("repo");
        let victim = base.join("victim");
        let home = base.join("home");
        for dir in [&repo, &victim, &home] {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(victim.join("canary.txt"), CANARY).unwrap();
        let world = World { cli, claude, repo, victim, home, db: base.join("data").join("audit.db"), _root: root };
        world.run_ok(Command::new("git").args(["init", "-q", "."]));
        world.install_gate();
        world
    }

    /// A command in a clean environment with the throwaway home.
    fn run_ok(&self, cmd: &mut Command) -> String {
        let out = cmd
            .current_dir(&self.repo)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{cmd:?} failed: {}\n{stdout}{}", out.status, String::from_utf8_lossy(&out.stderr));
        stdout
    }

    /// The real `paddock gate install`, writing the project's settings.
    fn install_gate(&self) {
        self.run_ok(Command::new(&self.cli).args(["gate", "install", "--project"]).arg(&self.repo));
        let settings = self.repo.join(".claude").join("settings.json");
        let text = std::fs::read_to_string(&settings).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let hook = &json["hooks"]["PreToolUse"][0]["hooks"][0];
        assert_eq!(hook["type"], "command", "{text}");
        let command = hook["command"].as_str().unwrap_or_default();
        assert!(
            command.contains(&self.cli.display().to_string()) && command.ends_with(" gate"),
            "the installed hook does not run this paddock binary's gate: {text}"
        );
    }

    fn command(&self, template: &str) -> String {
        template.replace("{victim}", &self.victim.display().to_string())
    }

    /// Runs Claude Code against `server` until it ends its turn.
    fn run_agent(&self, server: &FakeAnthropic) -> serde_json::Value {
        let base_url = server.base_url();
        let outcome = Run {
            binary: &self.claude,
            project: &self.repo,
            home: &self.home,
            base_url: &base_url,
            api_key: API_KEY,
            prompt: "Tidy up the workspace.",
            env: vec![
                ("PADDOCK_AUDIT_DB", self.db.clone().into_os_string()),
                ("PADDOCK_TASK_ID", TASK_ID.into()),
                ("PADDOCK_WORKTREE", self.repo.clone().into_os_string()),
            ],
            timeout: AGENT_TIMEOUT,
        }
        .run()
        .unwrap();
        let exchanges: Vec<String> = server.exchanges().iter().map(|e| e.summary()).collect();
        assert!(
            server.refused().is_empty(),
            "the fake Messages API got requests it did not expect:\n{}\nclaude stderr:\n{}",
            exchanges.join("\n"),
            outcome.stderr
        );
        let result = outcome.result().unwrap();
        assert!(
            outcome.status.success() && result["is_error"] == false,
            "claude failed ({}): {result:#}\nstderr:\n{}\nrequests:\n{}",
            outcome.status,
            outcome.stderr,
            exchanges.join("\n")
        );
        assert_eq!(result["result"], FINAL_TEXT, "claude did not finish the scripted conversation: {result:#}");
        result
    }

    fn assert_victim_intact(&self) {
        let canary = std::fs::read_to_string(self.victim.join("canary.txt"))
            .unwrap_or_else(|e| panic!("the canary outside the worktree is gone ({e}): a destructive command ran"));
        assert_eq!(canary, CANARY, "the canary outside the worktree was changed");
    }

    /// Every audit event, oldest first, after checking the chain.
    fn audit_events(&self) -> Vec<Event> {
        assert!(self.db.is_file(), "no audit database at {}: the hook recorded nothing", self.db.display());
        let log = AuditLog::open(&self.db).unwrap();
        let report = log.verify().unwrap();
        assert!(report.ok, "the audit trail does not verify: {report:#?}");
        let page = log.query(&Query { filter: Filter::default(), cursor: Cursor::Oldest, limit: 1000 }).unwrap();
        assert!(!page.has_newer, "more audit events than expected");
        let mine = log
            .query(&Query {
                filter: Filter { task_id: Some(TASK_ID.into()), kinds: vec![Kind::GateDecision], ..Filter::default() },
                cursor: Cursor::Oldest,
                limit: 1000,
            })
            .unwrap();
        assert_eq!(mine.events, page.events, "the trail holds events that are not this task's gate decisions");
        page.events
    }
}

/// The tool result the agent sent back for turn `index`.
fn tool_result(server: &FakeAnthropic, index: usize) -> ToolResult {
    let id = tool_use_id(index);
    server.tool_result(&id).unwrap_or_else(|| panic!("the agent never sent a tool_result for {id}"))
}

/// Checks the audit event and the tool result of a call the gate blocked.
fn assert_blocked(event: &Event, result: &ToolResult, index: usize, case: &Blocked, command: &str) {
    let what = case.name.as_deref().unwrap_or(command);
    assert_eq!(event.action, "Bash", "{what}");
    assert_eq!(event.resource, command, "{what}: audit resource");
    assert_eq!(event.outcome.as_deref(), Some(case.verdict.as_str()), "{what}: audit outcome; event {event:#?}");
    assert_eq!(event.detail["rule_id"], case.rule.as_str(), "{what}: rule id");
    assert_eq!(event.detail["tool_use_id"], tool_use_id(index).as_str(), "{what}: tool_use_id");
    assert_eq!(event.detail["permission_mode"], "bypassPermissions", "{what}: the agent was not in bypass mode");
    let reason = event.detail["reason"].as_str().unwrap_or_default();
    assert!(!reason.is_empty(), "{what}: no reason recorded");
    assert!(result.is_error, "{what}: the blocked call's tool_result is not an error: {result:?}");
    assert!(
        result.text.contains(reason),
        "{what}: the model was not told the gate's reason.\nreason: {reason}\ntool_result: {}",
        result.text
    );
}

/// The calls Claude Code itself reports as refused (`permission_denials`).
fn denied_tool_use_ids(result: &serde_json::Value) -> Vec<String> {
    let denials = result["permission_denials"].as_array().cloned().unwrap_or_default();
    denials.iter().map(|d| d["tool_use_id"].as_str().unwrap_or("<no tool_use_id>").to_owned()).collect()
}

#[test]
fn claude_code_runs_benign_bash_and_is_denied_destructive_bash_by_paddock_gate() {
    let cases = cases();
    let world = World::new();
    let destructive = world.command(&cases.destructive.command);
    let benign = world.command(&cases.benign.command);
    let script: Script = vec![
        Turn::bash(&destructive, "Remove the old build directory"),
        Turn::bash(&benign, "Write a note"),
        Turn::text(FINAL_TEXT),
    ];
    let server = FakeAnthropic::start(script, API_KEY).unwrap();
    let result = world.run_agent(&server);
    assert_eq!(server.turns_served(), 3, "{result:#}");

    world.assert_victim_intact();
    let written = std::fs::read_to_string(world.repo.join(&cases.benign.file))
        .unwrap_or_else(|e| panic!("the benign command did not run ({e}); claude said {result:#}"));
    assert_eq!(written.trim(), cases.benign.output);

    let events = world.audit_events();
    assert_eq!(events.len(), 2, "expected one decision per tool call: {events:#?}");
    assert_blocked(&events[0], &tool_result(&server, 0), 0, &cases.destructive, &destructive);
    assert_eq!(denied_tool_use_ids(&result), [tool_use_id(0)], "claude's own report of refused calls: {result:#}");

    let allowed = &events[1];
    assert_eq!((allowed.action.as_str(), allowed.resource.as_str()), ("Bash", benign.as_str()));
    assert_eq!(allowed.outcome.as_deref(), Some("allow"), "{allowed:#?}");
    assert_eq!(allowed.detail["tool_use_id"], tool_use_id(1).as_str());
    let output = tool_result(&server, 1);
    assert!(!output.is_error, "the allowed command failed: {output:?}");
    assert!(output.text.contains(&cases.benign.output), "its output did not reach the model: {output:?}");
}

#[test]
fn claude_code_is_refused_destructive_bash_hidden_by_evasion() {
    let cases = cases();
    assert!(!cases.evasion.is_empty(), "no evasion cases in tests/data/agent_gate.toml");
    let world = World::new();
    let commands: Vec<String> = cases.evasion.iter().map(|c| world.command(&c.command)).collect();
    let mut script: Script = commands.iter().map(|c| Turn::bash(c, "Clean up")).collect();
    script.push(Turn::text(FINAL_TEXT));
    let server = FakeAnthropic::start(script, API_KEY).unwrap();
    let result = world.run_agent(&server);
    assert_eq!(server.turns_served(), cases.evasion.len() + 1);

    world.assert_victim_intact();
    let events = world.audit_events();
    assert_eq!(events.len(), cases.evasion.len(), "expected one decision per tool call: {events:#?}");
    for (index, (case, command)) in cases.evasion.iter().zip(&commands).enumerate() {
        assert_blocked(&events[index], &tool_result(&server, index), index, case, command);
    }
    let all: Vec<String> = (0..cases.evasion.len()).map(tool_use_id).collect();
    assert_eq!(denied_tool_use_ids(&result), all, "claude's own report of refused calls: {result:#}");
}
