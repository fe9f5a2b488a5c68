//! The slim `paddock-hook` binary against `paddock gate`: the same answers
//! and the same records on the gate's corpus (real processes, a real engine
//! running a sandboxed task, a real audit trail), its hand-over to `paddock
//! gate` outside a task, and the engine's choice of it as a task agent's
//! hook, called inside the real bubblewrap sandbox by a stand-in for Claude
//! Code.

// clippy.toml's allow-*-in-tests covers #[test] fns, not this file's helpers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/task_world.rs"]
mod task_world;
#[path = "../../gate/tests/support/corpus_files.rs"]
mod corpus_files;
#[path = "support/exe.rs"]
mod exe;

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use paddock_engine::{AgentKind, Engine, EngineConfig, OutputSink, Stream, TaskSpec, TaskState};
use serde_json::{Value, json};
use corpus_files::{Benign, Dangerous, Tools, read};
use task_world::{World, git};

const WORKTREE: &str = "/home/dev/project";

/// One hook call of the corpus: its name, the tool call, what it must get.
struct Case {
    name: String,
    tool: String,
    input: Value,
    expect: String,
    rule: Option<String>,
}

/// Every dangerous and every tool case, and every fifth everyday command
/// (the in-process corpus test decides all of them; here what is compared is
/// two processes around the same decision).
fn corpus() -> Vec<Case> {
    let mut cases = Vec::new();
    for c in read::<Dangerous>("dangerous.toml").cases {
        let name = c.name.unwrap_or_else(|| c.command.clone());
        cases.push(Case { name, tool: "Bash".into(), input: json!({ "command": c.command }), expect: c.expect.as_str().into(), rule: c.rule });
    }
    for c in read::<Tools>("tools.toml").cases {
        let input = serde_json::from_str(&c.input).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        cases.push(Case { name: c.name, tool: c.tool, input, expect: c.expect.as_str().into(), rule: c.rule });
    }
    let benign = read::<Benign>("benign.toml").group.into_iter().flat_map(|g| {
        let group = g.name;
        g.commands.into_iter().map(move |c| (format!("{group}: {c}"), c))
    });
    for (name, command) in benign.step_by(5) {
        cases.push(Case {
            name,
            tool: "Bash".into(),
            input: json!({ "command": command }),
            expect: "allow".into(),
            rule: Some("core.default-allow".into()),
        });
    }
    cases
}

/// Runs one hook process with `env`; returns its stdout.
fn run_hook(bin: &Path, args: &[&str], env: &[(&str, &std::ffi::OsStr)], payload: &str) -> String {
    let mut child = Command::new(bin)
        .args(args)
        .env_remove("PADDOCK_ENGINE_SOCKET")
        .env_remove("PADDOCK_TASK_ID")
        .env_remove("PADDOCK_AUDIT_DB")
        .env_remove("TMPDIR")
        .env("HOME", "/home/dev")
        .env("PADDOCK_WORKTREE", WORKTREE)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(payload.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}: {}", bin.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// An engine running one sandboxed task whose asks expire at once (so a
/// hook's ask is answered deny without waiting), and the environment its
/// agent's hook gets.
struct TaskEngine {
    w: World,
    engine: Arc<Engine>,
    id: String,
    env: Vec<(&'static str, std::ffi::OsString)>,
}

impl TaskEngine {
    fn start() -> TaskEngine {
        let w = World::new();
        let mut config = EngineConfig::from_env(assert_cmd::cargo::cargo_bin("paddock")).unwrap();
        config.data_dir = w.data.clone();
        config.approval_timeout = std::time::Duration::ZERO;
        let (engine, _) = Engine::open(config).unwrap();
        let spec = TaskSpec {
            agent: AgentKind::Cmd,
            repo: w.repo.clone(),
            prompt: vec!["sleep".into(), "600".into()],
            allow_hosts: Vec::new(),
            ttl_secs: 600,
            bypass: false,
            grants: Vec::new(),
            tool_caches: Vec::new(),
        };
        let id = engine.launch(spec).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        let socket = loop {
            let t = engine.store().task(&id).unwrap().unwrap();
            if t.state == TaskState::Running {
                break t.api_socket.unwrap();
            }
            assert!(std::time::Instant::now() < deadline, "the task did not start: {t:#?}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let token = engine.access().agent_token(&id, chrono::Duration::hours(1)).unwrap();
        let env = vec![
            ("PADDOCK_ENGINE_SOCKET", socket.into_os_string()),
            ("PADDOCK_ENGINE_TOKEN", token.into()),
            ("PADDOCK_TASK_ID", id.clone().into()),
            ("PADDOCK_APPROVAL_TIMEOUT_SECS", "0".into()),
        ];
        TaskEngine { w, engine, id, env }
    }

    fn env(&self) -> Vec<(&str, &std::ffi::OsStr)> {
        self.env.iter().map(|(k, v)| (*k, v.as_os_str())).collect()
    }

    fn stop(self) -> World {
        self.engine.stop(&self.id, paddock_audit::Actor::User).unwrap();
        while !self.engine.running_here().is_empty() {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        self.w
    }
}

#[test]
fn inside_a_task_the_slim_hook_answers_and_records_the_corpus_as_paddock_gate_does() {
    let cases = corpus();
    assert!(cases.len() > 600, "only {} cases", cases.len());
    let task = TaskEngine::start();
    let env = task.env();
    let paddock = assert_cmd::cargo::cargo_bin("paddock");
    let slim = assert_cmd::cargo::cargo_bin("paddock-hook");
    let failures = Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    // Two workers: the machine has two cores, and each case is two process starts.
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(case) = cases.get(i) else { break };
                // Every tenth case is answered in Codex's format too.
                let formats: &[&[&str]] = if i.is_multiple_of(10) { &[&[], &["--agent", "codex"]] } else { &[&[]] };
                for (f, format) in formats.iter().enumerate() {
                    let payload = |who: &str| {
                        json!({
                            "session_id": "corpus", "transcript_path": "/dev/null", "cwd": WORKTREE,
                            "permission_mode": "bypassPermissions", "hook_event_name": "PreToolUse",
                            "tool_name": case.tool, "tool_input": case.input, "tool_use_id": format!("{i}-{f}-{who}"),
                        })
                        .to_string()
                    };
                    let gate_args: Vec<&str> = ["gate"].iter().chain(format.iter()).copied().collect();
                    let from_gate = run_hook(&paddock, &gate_args, &env, &payload("gate"));
                    let from_slim = run_hook(&slim, format, &env, &payload("slim"));
                    let mut failures = failures.lock().unwrap();
                    if from_gate != from_slim {
                        failures.push(format!("{:?} {format:?}: paddock gate said {from_gate:?}, paddock-hook {from_slim:?}", case.name));
                        continue;
                    }
                    // Inside a task nobody answers these asks: each is denied once its approval expires.
                    let expect = if case.expect == "ask" { "deny" } else { case.expect.as_str() };
                    let verdict = match serde_json::from_str::<Value>(from_slim.trim()) {
                        Ok(v) => v["hookSpecificOutput"]["permissionDecision"].as_str().unwrap_or("?").to_owned(),
                        // Codex: silence is an allow.
                        Err(_) if from_slim.trim().is_empty() && f == 1 => "allow".to_owned(),
                        Err(e) => {
                            failures.push(format!("{:?}: not JSON ({e}): {from_slim:?}", case.name));
                            continue;
                        }
                    };
                    if verdict != expect || (case.expect == "ask" && !from_slim.contains("nobody approved it")) {
                        failures.push(format!("{:?} {format:?}: expected {expect}, both said {from_slim}", case.name));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures.join("\n"));

    // The engine recorded every call of both alike: the corpus's verdict (an
    // ask as ask) and rule, when it names one.
    let w = task.stop();
    let log = paddock_audit::AuditLog::open(&w.data.join("audit.db")).unwrap();
    let events = log
        .query(&paddock_audit::Query {
            filter: paddock_audit::Filter { kinds: vec![paddock_audit::Kind::GateDecision], ..Default::default() },
            cursor: paddock_audit::Cursor::Oldest,
            limit: 10_000,
        })
        .unwrap()
        .events;
    let by_call: HashMap<String, &paddock_audit::Event> =
        events.iter().map(|e| (e.detail["tool_use_id"].as_str().unwrap().to_owned(), e)).collect();
    assert_eq!(by_call.len(), events.len(), "a call was recorded twice");
    let mut wrong = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let (Some(g), Some(s)) = (by_call.get(&format!("{i}-0-gate")), by_call.get(&format!("{i}-0-slim"))) else {
            wrong.push(format!("{:?}: not recorded by both", case.name));
            continue;
        };
        let (gr, sr) = (&g.detail["rule_id"], &s.detail["rule_id"]);
        if gr != sr || g.outcome != s.outcome || g.resource != s.resource || g.action != s.action || g.actor != s.actor {
            wrong.push(format!("{:?}: recorded differently: {g:?} / {s:?}", case.name));
        } else if s.outcome.as_deref() != Some(case.expect.as_str()) || case.rule.as_ref().is_some_and(|r| sr != r.as_str()) {
            wrong.push(format!("{:?}: recorded {:?} [{sr}], the corpus says {} {:?}", case.name, s.outcome, case.expect, case.rule));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn outside_a_task_the_slim_hook_hands_the_call_to_paddock_gate_which_records_it() {
    let data = tempfile::tempdir().unwrap();
    let env = [("PADDOCK_DATA_DIR", data.path().as_os_str())];
    let slim = assert_cmd::cargo::cargo_bin("paddock-hook");
    let paddock = assert_cmd::cargo::cargo_bin("paddock");
    for (i, case) in corpus().iter().enumerate().step_by(60) {
        let payload = json!({
            "session_id": "local", "transcript_path": "/dev/null", "cwd": WORKTREE, "permission_mode": "bypassPermissions",
            "hook_event_name": "PreToolUse", "tool_name": case.tool, "tool_input": case.input, "tool_use_id": format!("{i}"),
        })
        .to_string();
        let from_slim = run_hook(&slim, &[], &env, &payload);
        assert_eq!(from_slim, run_hook(&paddock, &["gate"], &env, &payload), "{:?}", case.name);
        let answer: Value = serde_json::from_str(from_slim.trim()).unwrap();
        assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], case.expect.as_str(), "{:?}", case.name);
    }
    let log = paddock_audit::AuditLog::open(&data.path().join("audit.db")).unwrap();
    let page = log
        .query(&paddock_audit::Query {
            filter: paddock_audit::Filter { kinds: vec![paddock_audit::Kind::GateDecision], ..Default::default() },
            cursor: paddock_audit::Cursor::Oldest,
            limit: 1000,
        })
        .unwrap();
    let calls = corpus().len().div_ceil(60);
    assert_eq!(page.events.len(), 2 * calls, "each call recorded once by each binary");
}

#[test]
fn outside_a_task_the_slim_hook_denies_when_paddock_gate_is_not_beside_it() {
    // Beside `paddock` (the corpus test above), outside a task it hands each
    // call to `paddock gate`, which records it. Alone, it cannot record: deny.
    let dir = tempfile::tempdir().unwrap();
    let alone = dir.path().join("paddock-hook");
    exe::place(&assert_cmd::cargo::cargo_bin("paddock-hook"), &alone);
    let payload = json!({
        "session_id": "s", "transcript_path": "/dev/null", "cwd": WORKTREE, "permission_mode": "bypassPermissions",
        "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": { "command": "ls" }, "tool_use_id": "t",
    });
    for (format, args) in [("claude", &[][..]), ("codex", &["--agent", "codex"][..])] {
        let data = dir.path().join("data");
        let out = run_hook(&alone, args, &[("PADDOCK_DATA_DIR", data.as_os_str())], &payload.to_string());
        let answer: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{format}: {e}: {out:?}"));
        let decision = answer["hookSpecificOutput"]["permissionDecision"].as_str().or(answer["decision"].as_str());
        assert_eq!(decision, Some("deny"), "{format}: {answer}");
        assert!(out.contains("could not be started"), "{format}: {out}");
        assert!(!dir.path().join("data").exists(), "{format}: something was written");
    }
}

/// Collects a task's stdout.
#[derive(Default)]
struct Collect(Mutex<Vec<u8>>);

impl OutputSink for Collect {
    fn output(&self, _: &str, stream: Stream, bytes: &[u8]) {
        if matches!(stream, Stream::Stdout) {
            self.0.lock().unwrap().extend_from_slice(bytes);
        }
    }
}

/// A stand-in for Claude Code, as far as hooks go: it runs the PreToolUse
/// hook command from the project's `.claude/settings.json` with `sh -c`, one
/// payload per line of the file its prompt names on stdin, and prints each
/// answer.
const FAKE_CLAUDE: &str = r#"#!/bin/sh
set -eu
hook=$(python3 -c 'import json; print(json.load(open(".claude/settings.json"))["hooks"]["PreToolUse"][0]["hooks"][0]["command"])')
echo "hook command: $hook"
while IFS= read -r payload; do
    printf '%s' "$payload" | sh -c "$hook"
done < "$2"
"#;

/// Runs a Claude task whose agent is [`FAKE_CLAUDE`], with the engine's
/// `paddock_bin` set to `paddock_bin`; checks what every hook must do (both
/// calls answered and recorded by the engine, as the agent's) and returns
/// the hook command the task's settings named.
fn run_task_calling_its_hook(w: &World, paddock_bin: PathBuf) -> String {
    // The agent's tool calls, judged (never executed) by the gate: a
    // destructive one outside the worktree, then an everyday one.
    run_task_with_calls(w, paddock_bin, include_str!("data/hook_calls.json"), &["deny", "allow"])
}

/// [`run_task_calling_its_hook`] with other calls and the verdicts they must get.
fn run_task_with_calls(w: &World, paddock_bin: PathBuf, calls: &str, want: &[&str]) -> String {
    let calls: Value = serde_json::from_str(calls).unwrap();
    let lines: Vec<String> = calls.as_array().unwrap().iter().map(Value::to_string).collect();
    std::fs::write(w.repo.join("hook_calls.jsonl"), lines.join("\n") + "\n").unwrap();
    git(&w.repo, &["add", "hook_calls.jsonl"]);
    git(&w.repo, &["commit", "-qm", "hook calls"]);
    let bin_dir = w.root.join("fake-claude");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let claude = bin_dir.join("claude");
    std::fs::write(&claude, FAKE_CLAUDE).unwrap();
    std::fs::set_permissions(&claude, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let no_services = w.root.join("egress.toml");
    std::fs::write(&no_services, "").unwrap();

    let mut config = EngineConfig::from_env(paddock_bin).unwrap();
    config.data_dir = w.data.clone();
    // An ask nobody answers is denied at once, not after minutes.
    config.approval_timeout = std::time::Duration::ZERO;
    config.agent_bin = Some(claude);
    config.egress_policy = Some(no_services);
    let (engine, _) = Engine::open(config).unwrap();
    let spec = TaskSpec {
        agent: AgentKind::Claude,
        repo: w.repo.clone(),
        prompt: vec!["hook_calls.jsonl".into()],
        allow_hosts: Vec::new(),
        ttl_secs: 600,
        bypass: false,
        grants: Vec::new(),
        tool_caches: Vec::new(),
    };
    let out = Arc::new(Collect::default());
    let task = engine.run_task(&spec, out.clone()).unwrap();
    let stdout = String::from_utf8_lossy(&out.0.lock().unwrap()).into_owned();
    assert_eq!(task.state, TaskState::Finished, "{task:#?}\n{stdout}");
    let answers: Vec<Value> = stdout.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let verdicts: Vec<&str> =
        answers.iter().map(|a| a["hookSpecificOutput"]["permissionDecision"].as_str().unwrap_or("?")).collect();
    assert_eq!(verdicts, want, "{stdout}");

    // The engine recorded every call, as the agent's, before each answer.
    let gate: Vec<Value> = w.audit().into_iter().filter(|e| e["task_id"] == task.id.as_str() && e["kind"] == "gate_decision").collect();
    let outcomes: Vec<&str> = gate.iter().map(|e| e["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, want, "{gate:#?}");
    assert!(gate.iter().all(|e| e["actor"] == "agent"), "{gate:#?}");
    let started = w.events(&task.id, "sandbox.start");
    assert_eq!(started[0]["outcome"], "sandboxed", "{started:#?}");
    let command = started[0]["detail"]["hook_command"].as_str().unwrap().to_owned();
    assert!(stdout.contains(&format!("hook command: {command}\n")), "{stdout}");
    command
}

#[test]
fn a_task_agent_calls_the_slim_hook_inside_its_sandbox_and_the_engine_records_it() {
    let slim = assert_cmd::cargo::cargo_bin("paddock-hook");
    assert!(slim.is_file(), "{} is not built: `cargo build -p paddock-cli` builds it beside paddock", slim.display());
    let w = World::new();
    let command = run_task_calling_its_hook(&w, assert_cmd::cargo::cargo_bin("paddock"));
    assert_eq!(command, slim.display().to_string());
}

/// A pack switched off in the app's walkthrough is off for the task's hook,
/// the others stay on, and the task's audit trail says which is off.
#[test]
fn a_pack_switched_off_in_the_walkthrough_is_off_for_the_tasks_hook() {
    let w = World::new();
    let on: Vec<&str> = paddock_gate::builtin_pack_ids().filter(|p| *p != "code-exec").collect();
    std::fs::create_dir_all(&w.data).unwrap();
    std::fs::write(w.data.join("onboarding.json"), json!({ "step": "done", "packs": on }).to_string()).unwrap();
    let calls = include_str!("data/hook_calls_packs_off.json");
    let command = run_task_with_calls(&w, assert_cmd::cargo::cargo_bin("paddock"), calls, &["allow", "deny"]);
    assert!(command.ends_with(" --without-pack code-exec"), "{command}");
    let off: Vec<Value> = w.audit().into_iter().filter(|e| e["action"] == "gate.packs_off").collect();
    assert_eq!(off.len(), 1, "{off:#?}");
    assert_eq!(off[0]["detail"]["packs"], json!(["code-exec"]));
}

#[test]
fn without_paddock_hook_beside_paddock_a_task_agent_calls_paddock_gate() {
    let w = World::new();
    // `paddock` alone in a directory.
    let dir = w.root.join("paddock-alone");
    std::fs::create_dir_all(&dir).unwrap();
    let paddock = dir.join("paddock");
    exe::place(&assert_cmd::cargo::cargo_bin("paddock"), &paddock);
    let command = run_task_calling_its_hook(&w, paddock.clone());
    assert_eq!(command, format!("{} gate", paddock.display()));
}

/// Only an executable `paddock-hook` beside `paddock` is taken.
#[test]
fn the_engine_takes_only_an_executable_paddock_hook_beside_paddock() {
    let dir = tempfile::tempdir().unwrap();
    let paddock: PathBuf = dir.path().join("paddock");
    std::fs::write(&paddock, "").unwrap();
    let mut config = EngineConfig::from_env(paddock).unwrap();
    config.data_dir = dir.path().join("data");
    assert_eq!(config.hook_bin(), None, "no paddock-hook");
    let hook = dir.path().join(paddock_engine::HOOK_BIN_NAME);
    std::fs::write(&hook, "").unwrap();
    assert_eq!(config.hook_bin(), None, "a paddock-hook that cannot be executed");
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    assert_eq!(config.hook_bin(), Some(hook));
}
