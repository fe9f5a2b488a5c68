//! `paddock run`, `paddock tasks`, `paddock approvals` and `paddock serve`,
//! driven through the real binary, the real bubblewrap and real git: a task's
//! work lands as one commit by Paddock on `paddock/<task>`; an agent cannot
//! commit, push, rewrite history or touch anything outside its worktree;
//! TTL, stop and a killed engine all end in a committed, revoked, recorded
//! task; a gate "ask" waits for a person.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/task_world.rs"]
mod task_world;

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};
use task_world::{World, git};

const PADDOCK: &str = "Paddock <paddock@localhost> / Paddock <paddock@localhost>";

fn task_id(t: &Value) -> String {
    t["id"].as_str().unwrap().to_owned()
}

#[test]
fn a_task_runs_sandboxed_and_paddock_commits_its_work() {
    let w = World::new();
    let script = "echo fixed >> README.md; mkdir -p src; echo 'fn main() {}' > src/main.rs; \
                  echo uid=$(id -u); echo to-stderr >&2; sh test.sh; echo \"at $PADDOCK_ENGINE_TOKEN end\"";
    let out = w.paddock().args(["run", "--agent", "cmd", "--ttl", "2m", "--", "sh", "-c", script]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "paddock run failed: {stdout}\n{stderr}");
    assert!(stdout.contains("uid=1000") && stdout.contains("tests pass"), "the agent's output is streamed: {stdout}");
    assert!(stderr.contains("to-stderr"), "{stderr}");

    let t = w.only_task();
    let id = task_id(&t);
    assert_eq!(t["state"], "finished", "{t:#}");
    assert_eq!(t["branch"], format!("paddock/{id}"));
    assert_eq!(t["agent"], "cmd");
    let commit = t["commit"].as_str().expect("a commit was made");
    assert_eq!(git(&w.repo, &["rev-parse", &format!("paddock/{id}")]), commit);
    assert_eq!(w.commits_on(&format!("paddock/{id}")), [PADDOCK], "one commit, made by Paddock");
    let files = git(&w.repo, &["show", "--name-only", "--format=", commit]);
    assert_eq!(files.lines().collect::<Vec<_>>(), ["README.md", "src/main.rs"], "the agent's changes, nothing else");
    let message = git(&w.repo, &["log", "-1", "--format=%B", commit]);
    assert!(message.contains(&format!("paddock task {id}")) && message.contains("Outcome: finished"), "{message}");
    w.assert_untouched("after a normal task");

    // `tasks show` tells the same story.
    w.paddock().args(["tasks", "show", &id]).assert().success().stdout(predicates::str::contains(commit));

    // The audit trail: created, sandboxed, output, commit, finished, in order; it verifies.
    let actions: Vec<String> = w
        .audit()
        .into_iter()
        .filter(|e| e["task_id"] == id.as_str())
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    let order = ["task.created", "sandbox.start", "task.output", "credentials.revoke", "task.commit", "task.finished"];
    let positions: Vec<usize> = order
        .iter()
        .map(|a| actions.iter().position(|x| x == a).unwrap_or_else(|| panic!("no {a} event in {actions:?}")))
        .collect();
    assert!(positions.windows(2).all(|p| p[0] < p[1]), "events out of order: {actions:?}");
    let output: String =
        w.events(&id, "task.output").iter().map(|e| e["detail"]["text"].as_str().unwrap().to_owned()).collect();
    assert!(output.contains("tests pass"), "the output is in the audit trail: {output}");
    // The agent's own token, printed by the agent, is redacted on its way out.
    assert!(output.contains("at [REDACTED:task-secret] end"), "{output}");
    assert!(stdout.contains("at [REDACTED:task-secret] end"), "{stdout}");
    assert!(!stdout.contains("v4.public."), "{stdout}");
    let trail = std::fs::read(w.data.join("audit.db")).unwrap();
    assert!(!trail.windows(10).any(|win| win == b"v4.public."), "a token reached the audit trail");
    let sandbox = &w.events(&id, "sandbox.start")[0];
    assert_eq!(sandbox["outcome"], "sandboxed", "{sandbox:#}");
    assert_eq!(sandbox["detail"]["uid"], 1000);
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Attacks {
    case: Vec<Attack>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Attack {
    name: String,
    script: String,
    #[serde(default)]
    absent: Vec<String>,
}

/// Fills the placeholders of a case.
fn fill(w: &World, s: &str) -> String {
    s.replace("{git_dir}", &w.repo.join(".git").display().to_string())
        .replace("{outside}", &w.outside.display().to_string())
        .replace("{data}", &w.data.display().to_string())
}

#[test]
fn an_agent_cannot_commit_push_rewrite_history_or_escape_its_worktree() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/task_attacks.toml");
    let attacks: Attacks = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(attacks.case.len() >= 8, "the corpus lost cases");
    for case in &attacks.case {
        let w = World::new();
        // The marker proves the script ran to its end (an attack that never ran proves nothing).
        let script = format!("{}; echo ATTEMPTED-{}", fill(&w, &case.script), case.name.len());
        let out = w.paddock().args(["run", "--agent", "cmd", "--ttl", "2m", "--", "sh", "-c", &script]).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stdout.contains(&format!("ATTEMPTED-{}", case.name.len())), "{}: the script did not run: {stdout}\n{stderr}", case.name);
        let t = w.only_task();
        let id = task_id(&t);
        assert!(t["state"] == "finished" || t["state"] == "failed", "{}: {t:#}", case.name);
        w.assert_untouched(&case.name);
        for p in &case.absent {
            let p = fill(&w, p);
            assert!(!std::path::Path::new(&p).exists(), "{}: {p} exists", case.name);
        }
        let commits = w.commits_on(&format!("paddock/{id}"));
        assert!(commits.len() <= 1 && commits.iter().all(|c| c == PADDOCK), "{}: commits on the task branch: {commits:?}", case.name);
        let dot_git = std::fs::read_to_string(w.data.join("worktrees").join(&id).join(".git")).unwrap();
        let expected = format!("gitdir: {}", w.repo.join(".git").join("worktrees").join(&id).display());
        assert_eq!(dot_git.trim(), expected, "{}: the worktree's .git file was changed", case.name);
        let key = std::fs::read_to_string(w.data.join("authz.key")).unwrap();
        let trail = std::fs::read(w.data.join("audit.db")).unwrap();
        let key = key.trim().as_bytes();
        assert!(!trail.windows(key.len()).any(|win| win == key), "{}: the signing key reached the audit trail", case.name);
        assert!(!stdout.contains(std::str::from_utf8(key).unwrap()), "{}: the agent read the signing key", case.name);
    }
}

#[test]
fn the_time_to_live_stops_the_agent_and_commits_what_it_left() {
    let w = World::new();
    let started = Instant::now();
    w.paddock()
        .args(["run", "--agent", "cmd", "--ttl", "3s", "--", "sh", "-c", "echo partial > partial.txt; sleep 120"])
        .assert()
        .code(124);
    assert!(started.elapsed() < Duration::from_secs(100), "the agent was not stopped at its TTL");
    let t = w.only_task();
    assert_eq!(t["state"], "failed");
    assert!(t["error"].as_str().unwrap().contains("time to live of 3s"), "{t:#}");
    let commit = t["commit"].as_str().expect("the partial work was committed");
    assert_eq!(git(&w.repo, &["show", "--name-only", "--format=", commit]), "partial.txt");
    w.assert_untouched("after a TTL stop");
}

#[test]
fn tasks_stop_cancels_a_running_task() {
    let w = World::new();
    let mut run = w
        .paddock_std()
        .args(["run", "--agent", "cmd", "--", "sh", "-c", "echo begun > begun.txt; sleep 300"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t = w.wait_for_task("running", |t| t["state"] == "running");
    let id = task_id(&t);
    let wt = w.data.join("worktrees").join(&id);
    wait(|| wt.join("begun.txt").exists(), "the agent to start writing");
    w.paddock().args(["tasks", "stop", &id]).assert().success();
    let status = wait_child(&mut run, Duration::from_secs(60));
    assert_eq!(status.code(), Some(130), "paddock run exits 130 after a stop");
    let t = w.only_task();
    assert_eq!(t["state"], "cancelled", "{t:#}");
    assert!(t["commit"].is_string(), "what the agent left is committed: {t:#}");
    assert_eq!(w.events(&id, "task.stop").len(), 1);
    w.paddock().args(["tasks", "stop", &id]).assert().success().stdout(predicates::str::contains("already cancelled"));
}

#[test]
fn a_killed_engine_leaves_a_task_that_the_next_start_recovers() {
    let w = World::new();
    let mut run = w
        .paddock_std()
        .args(["run", "--agent", "cmd", "--", "sh", "-c", "echo partial > partial.txt; sleep 300"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t = w.wait_for_task("running", |t| t["state"] == "running");
    let id = task_id(&t);
    let wt = w.data.join("worktrees").join(&id);
    wait(|| wt.join("partial.txt").exists(), "the agent to write");
    run.kill().unwrap(); // SIGKILL: nothing of the engine's own clean-up runs
    run.wait().unwrap();

    // The next engine start (here: listing tasks) finds it and cleans up.
    let t = w.only_task();
    assert_eq!(t["state"], "failed", "{t:#}");
    assert!(t["error"].as_str().unwrap().contains("stopped unexpectedly"), "{t:#}");
    let commit = t["commit"].as_str().expect("the partial work was committed during recovery");
    assert_eq!(git(&w.repo, &["show", "--name-only", "--format=", commit]), "partial.txt");
    assert_eq!(w.commits_on(&format!("paddock/{id}")), [PADDOCK]);
    assert_eq!(w.events(&id, "task.recovered").len(), 1);
    let revoked = w.events(&id, "credentials.revoke");
    assert!(revoked.iter().any(|e| e["detail"]["during"] == "recovery"), "credentials revoked in recovery: {revoked:#?}");
    // The sandbox died with its engine: nothing of the agent is still running.
    let leftovers = std::process::Command::new("pgrep").args(["-f", &wt.display().to_string()]).output().unwrap();
    assert!(leftovers.stdout.is_empty(), "processes of the task survived: {}", String::from_utf8_lossy(&leftovers.stdout));
    // A second start changes nothing.
    assert_eq!(w.only_task(), t);
    w.assert_untouched("after recovery");
}

/// A hook call as Claude Code makes it, answered by the real `paddock gate`
/// inside the task (it reaches the engine through the task's socket).
fn hook_call(command: &str) -> String {
    let payload = json!({
        "session_id": "s", "transcript_path": "/dev/null", "cwd": ".", "permission_mode": "bypassPermissions",
        "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": { "command": command }, "tool_use_id": "t",
    });
    let payload = payload.to_string().replace('\'', r"'\''");
    format!("printf '%s' '{payload}' | \"$PADDOCK\" gate; echo")
}

fn pending_approvals(w: &World) -> Vec<Value> {
    let out = w.paddock().args(["approvals", "list", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_gate_ask_waits_for_a_person_who_approves_or_denies() {
    let w = World::new();
    // `$X` is only known at run time: the gate answers ask.
    let script = [hook_call("X=echo; $X first"), hook_call("X=echo; $X second"), hook_call("ls")].join("; ");
    let paddock = assert_cmd::cargo::cargo_bin("paddock");
    let mut run = w
        .paddock_std()
        .args(["run", "--agent", "cmd", "--approval-timeout", "10m", "--", "env"])
        .arg(format!("PADDOCK={}", paddock.display()))
        .args(["sh", "-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for (answer, command) in [("approve", "$X first"), ("deny", "$X second")] {
        let mut pending = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        while pending.is_empty() {
            pending = pending_approvals(&w);
            if Instant::now() > deadline || run.try_wait().unwrap().is_some() {
                let _ = run.kill();
                let out = run.wait_with_output().unwrap();
                panic!(
                    "no approval became pending: {}\n{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(pending.len(), 1, "{pending:#?}");
        let a = &pending[0];
        assert_eq!(a["tool"], "Bash");
        assert_eq!(a["rule_id"], "core.dynamic-command");
        assert!(a["resource"].as_str().unwrap().contains(command), "{a:#}");
        w.paddock().args(["approvals", answer, a["id"].as_str().unwrap()]).assert().success();
    }
    let out = run.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let answers: Vec<Value> = stdout.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let decisions: Vec<&str> =
        answers.iter().map(|a| a["hookSpecificOutput"]["permissionDecision"].as_str().unwrap()).collect();
    assert_eq!(decisions, ["allow", "deny", "allow"], "{stdout}");
    assert!(stdout.contains("approved by a person") && stdout.contains("a person denied this"), "{stdout}");

    let id = task_id(&w.only_task());
    let decided = w.events(&id, "approval.decided");
    let outcomes: Vec<&str> = decided.iter().map(|e| e["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["allow", "deny"], "{decided:#?}");
    assert_eq!(w.events(&id, "approval.requested").len(), 2);
    // The hook's decisions were recorded by the engine, as the agent's.
    let gate: Vec<Value> = w.audit().into_iter().filter(|e| e["task_id"] == id.as_str() && e["kind"] == "gate_decision").collect();
    assert_eq!(gate.len(), 3, "{gate:#?}");
    assert!(gate.iter().all(|e| e["actor"] == "agent"));
    // Once the task ended, a decision can no longer be made.
    let all = w.paddock().args(["approvals", "list", "--all", "--json"]).output().unwrap();
    let all: Vec<Value> = serde_json::from_slice(&all.stdout).unwrap();
    w.paddock().args(["approvals", "approve", all[0]["id"].as_str().unwrap()]).assert().failure();
}

#[test]
fn an_ask_nobody_answers_is_denied_at_the_timeout() {
    let w = World::new();
    let paddock = assert_cmd::cargo::cargo_bin("paddock");
    let started = Instant::now();
    let out = w
        .paddock()
        .args(["run", "--agent", "cmd", "--approval-timeout", "2s", "--", "env"])
        .arg(format!("PADDOCK={}", paddock.display()))
        .args(["sh", "-c", &hook_call("X=echo; $X unattended")])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(started.elapsed() >= Duration::from_secs(2), "the hook did not wait for the timeout");
    let answer: Value = serde_json::from_str(stdout.lines().find(|l| l.starts_with('{')).unwrap()).unwrap();
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "deny", "{stdout}");
    assert!(stdout.contains("nobody approved it within 2s"), "{stdout}");
    let id = task_id(&w.only_task());
    let expired = w.events(&id, "approval.expired");
    assert_eq!(expired.len(), 1, "{expired:#?}");
    assert_eq!(expired[0]["outcome"], "deny");
}

#[test]
fn serve_launches_tasks_through_its_api_for_valid_tokens_only() {
    let w = World::new();
    let mut serve = w.paddock_std().arg("serve").stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let socket = w.data.join("engine.sock");
    wait(|| std::os::unix::net::UnixStream::connect(&socket).is_ok(), "paddock serve to listen");
    let access = paddock_engine::Access::open(&w.data).unwrap();
    let client = paddock_engine::Client::new(&socket, access.user_token(chrono::Duration::minutes(5)).unwrap());
    let spec = json!({ "agent": "cmd", "repo": w.repo, "prompt": ["sh", "-c", "echo served > served.txt"], "ttl_secs": 120 });
    let launched = client.post("/v1/tasks", &spec, Duration::from_secs(60)).unwrap();
    let id = launched["id"].as_str().unwrap().to_owned();
    let mut t = Value::Null;
    wait(
        || {
            t = client.get(&format!("/v1/tasks/{id}"), Duration::from_secs(30)).unwrap();
            t["state"] == "finished"
        },
        "the served task to finish",
    );
    assert_eq!(git(&w.repo, &["show", "--name-only", "--format=", t["commit"].as_str().unwrap()]), "served.txt");
    let events = client.get(&format!("/v1/tasks/{id}/events"), Duration::from_secs(30)).unwrap();
    assert!(events["events"].as_array().unwrap().iter().any(|e| e["action"] == "task.finished"), "{events:#}");

    // Another install's key: refused, and recorded as a warning.
    let other_dir = tempfile::tempdir().unwrap();
    let forged = paddock_engine::Access::open(other_dir.path()).unwrap().user_token(chrono::Duration::minutes(5)).unwrap();
    let err = paddock_engine::Client::new(&socket, forged).post("/v1/tasks", &spec, Duration::from_secs(30)).unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    let refused: Vec<Value> = w.audit().into_iter().filter(|e| e["action"] == "api.refused").collect();
    assert_eq!(refused.len(), 1, "{refused:#?}");
    assert_eq!(refused[0]["detail"]["error_kind"], "forged");
    assert_eq!(w.tasks().len(), 1, "the forged launch created nothing");

    let pid = serve.id().to_string();
    std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = wait_child(&mut serve, Duration::from_secs(60));
    assert!(status.success(), "paddock serve exits 0 on SIGTERM: {status}");
    assert!(!socket.exists(), "the socket is removed on exit");
}

fn wait(mut cond: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn wait_child(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the process did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_task_writes_only_the_tool_caches_it_was_given() {
    let w = World::new();
    let script = "mkdir -p \"$HOME/.npm\" \"$HOME/.cache/pip\" && echo pkg > \"$HOME/.npm/from-task\" \
                  && echo pkg > \"$HOME/.cache/pip/from-task\"; echo \"npm_config_cache=$npm_config_cache\"";
    // Without a grant, writes under HOME land in the task's private HOME and vanish with it.
    let out = w.paddock().args(["run", "--agent", "cmd", "--ttl", "2m", "--", "sh", "-c", script]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!w.home.join(".npm/from-task").exists(), "an ungranted cache reached the real HOME");
    // With `--cache npm`, the npm cache (and only it) is the user's own.
    let out = w
        .paddock()
        .args(["run", "--agent", "cmd", "--cache", "npm", "--ttl", "2m", "--", "sh", "-c", script])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(w.home.join(".npm/from-task")).unwrap(), "pkg\n");
    assert!(stdout.contains("npm_config_cache=/"), "npm is pointed at the shared cache: {stdout}");
    assert!(!w.home.join(".cache/pip/from-task").exists(), "a cache that was not granted reached the real HOME");
    // A name that is not a tool cache is refused before anything starts.
    let out = w.paddock().args(["run", "--agent", "cmd", "--cache", "ssh", "--", "true"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown tool cache `ssh`"), "{}", String::from_utf8_lossy(&out.stderr));
}
