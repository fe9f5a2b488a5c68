//! Access control on the engine's local API, attacked through a real task
//! socket of an in-process engine running real sandboxed tasks: forged,
//! expired, malformed, out-of-scope, other-account and void tokens are
//! refused and each refusal is one `warning` event naming why; sub-agent
//! tokens can only be narrower than their parent.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/task_world.rs"]
mod task_world;

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::Method;
use paddock_engine::authz::{Action, ManualClock, SigningKeys, UserId};
use paddock_engine::{
    Access, AgentKind, ApprovalRequest, Client, Engine, EngineConfig, NullSink, TaskSpec, TaskState,
};
use serde::Deserialize;
use serde_json::{Value, json};
use task_world::World;

struct Running {
    w: World,
    engine: Arc<Engine>,
    access: Access,
    a: String,
    b: String,
    c: String,
    approval_a: String,
    approval_b: String,
    socket: std::path::PathBuf,
}

fn config(w: &World) -> EngineConfig {
    let mut c = EngineConfig::from_env(assert_cmd::cargo::cargo_bin("paddock")).unwrap();
    c.data_dir = w.data.clone();
    c.approval_timeout = Duration::from_secs(60);
    c
}

fn spec(w: &World, argv: &[&str]) -> TaskSpec {
    TaskSpec {
        agent: AgentKind::Cmd,
        repo: w.repo.clone(),
        prompt: argv.iter().map(|s| (*s).to_owned()).collect(),
        allow_hosts: Vec::new(),
        ttl_secs: 600,
        bypass: false,
        grants: Vec::new(),
        tool_caches: Vec::new(),
    }
}

fn wait_running(engine: &Engine, id: &str) -> std::path::PathBuf {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let t = engine.store().task(id).unwrap().unwrap();
        if t.state == TaskState::Running {
            return t.api_socket.unwrap();
        }
        assert!(Instant::now() < deadline, "task {id} did not start: {t:#?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Running {
    fn start() -> Running {
        let w = World::new();
        let (engine, _) = Engine::open(config(&w)).unwrap();
        // C runs to its end first: its agent token is then void.
        let c = engine.run_task(&spec(&w, &["true"]), Arc::new(NullSink)).unwrap().id;
        let a = engine.launch(spec(&w, &["sleep", "600"])).unwrap();
        let b = engine.launch(spec(&w, &["sleep", "600"])).unwrap();
        let socket = wait_running(&engine, &a);
        wait_running(&engine, &b);
        let ask = |task: &str| {
            engine
                .request_approval(ApprovalRequest {
                    task_id: task.to_owned(),
                    tool: "Bash".into(),
                    resource: "X=echo; $X hi".into(),
                    rule_id: Some("core.dynamic-command".into()),
                    reason: "test".into(),
                })
                .unwrap()
                .id
        };
        let (approval_a, approval_b) = (ask(&a), ask(&b));
        let access = Access::open(&w.data).unwrap();
        Running { w, engine, access, a, b, c, approval_a, approval_b, socket }
    }

    fn token(&self, kind: &str) -> Option<String> {
        let hour = chrono::Duration::hours(1);
        let key_file = SigningKeys::default_path(&self.w.data);
        Some(match kind {
            "agent" => self.access.agent_token(&self.a, hour).unwrap(),
            "agent_b" => self.access.agent_token(&self.b, hour).unwrap(),
            "finished" => self.access.agent_token(&self.c, hour).unwrap(),
            "child" => {
                let parent = self.access.agent_token(&self.a, hour).unwrap();
                self.access.child_token(&parent, &[Action::GateAppendDecision], chrono::Duration::minutes(10)).unwrap()
            }
            "user" => self.access.user_token(hour).unwrap(),
            "mallory" => {
                let keys = SigningKeys::load_or_create(&key_file).unwrap();
                let mallory = Access::new(keys, UserId::new("mallory").unwrap(), Arc::new(paddock_engine::authz::SystemClock));
                mallory.unwrap().user_token(hour).unwrap()
            }
            "forged" => {
                let other = Access::with_keys(SigningKeys::generate().unwrap()).unwrap();
                other.agent_token(&self.a, hour).unwrap()
            }
            "expired" => {
                let keys = SigningKeys::load_or_create(&key_file).unwrap();
                let past = Arc::new(ManualClock::new(chrono::Utc::now() - chrono::Duration::hours(2)));
                let then = Access::new(keys, paddock_engine::current_user().unwrap(), past).unwrap();
                then.agent_token(&self.a, hour).unwrap()
            }
            "malformed" => "not-a-token".into(),
            "none" => return None,
            other => panic!("unknown token kind {other}"),
        })
    }

    fn fill(&self, s: &str) -> String {
        s.replace("{approval_a}", &self.approval_a)
            .replace("{approval_b}", &self.approval_b)
            .replace("{a}", &self.a)
            .replace("{b}", &self.b)
            .replace("{c}", &self.c)
    }

    fn refusals(&self) -> Vec<Value> {
        let log = paddock_audit::AuditLog::open(&self.w.data.join("audit.db")).unwrap();
        let q = paddock_audit::Query {
            filter: paddock_audit::Filter { kinds: vec![paddock_audit::Kind::Warning], ..Default::default() },
            cursor: paddock_audit::Cursor::Oldest,
            limit: 10_000,
        };
        log.query(&q).unwrap().events.iter().filter(|e| e.action == "api.refused").map(|e| serde_json::to_value(e).unwrap()).collect()
    }

    fn client(&self, token: Option<String>) -> Client {
        Client::new(&self.socket, token.unwrap_or_default())
    }

    fn stop(self) -> World {
        for id in [&self.a, &self.b] {
            self.engine.stop(id, paddock_audit::Actor::User).unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.engine.running_here().is_empty() {
            assert!(Instant::now() < deadline, "the tasks did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
        self.w
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Cases {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    token: String,
    method: String,
    path: String,
    body: Option<String>,
    status: u16,
    kind: Option<String>,
}

#[test]
fn every_token_that_should_be_refused_is_refused_and_recorded() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/engine_api_attacks.toml");
    let cases: Cases = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let r = Running::start();
    let mut tokens = Vec::new();
    for case in &cases.case {
        let token = r.token(&case.token);
        tokens.extend(token.clone());
        let before = r.refusals().len();
        let body: Option<Value> = case.body.as_deref().map(|b| serde_json::from_str(&r.fill(b)).unwrap());
        // A header without "Bearer " is the same as none.
        let client = r.client(token);
        let method = Method::from_bytes(case.method.as_bytes()).unwrap();
        let (status, answer) = client.request(method, &r.fill(&case.path), body.as_ref(), Duration::from_secs(60)).unwrap();
        assert_eq!(status.as_u16(), case.status, "{}: {answer}", case.name);
        let refusals = r.refusals();
        match &case.kind {
            None => assert_eq!(refusals.len(), before, "{}: an allowed request was recorded as refused", case.name),
            Some(kind) => {
                assert_eq!(refusals.len(), before + 1, "{}: not one warning event", case.name);
                let ev = refusals.last().unwrap();
                let detail = &ev["detail"];
                if kind == "void" {
                    assert!(detail["reason"].as_str().unwrap().contains("no longer runs"), "{}: {ev:#}", case.name);
                } else {
                    assert_eq!(detail["error_kind"], kind.as_str(), "{}: {ev:#}", case.name);
                }
                assert_eq!(detail["allowed"], false, "{}: {ev:#}", case.name);
                assert!(answer["error"].is_string(), "{}: {answer}", case.name);
            }
        }
    }
    // A refused request changed nothing: task A still runs, its approval was not approved by its agent.
    let a = r.engine.store().task(&r.a).unwrap().unwrap();
    assert_eq!(a.state, TaskState::Running);
    let approval = r.engine.store().approval(&r.approval_a).unwrap().unwrap();
    assert_ne!(approval.state, paddock_engine::ApprovalState::Approved, "{approval:#?}");
    assert_eq!(r.engine.store().tasks().unwrap().len(), 3, "no task was launched");
    let w = r.stop();
    // No token text anywhere in the audit trail.
    let trail = std::fs::read(w.data.join("audit.db")).unwrap();
    for t in tokens.iter().filter(|t| t.len() > 20) {
        assert!(!trail.windows(t.len()).any(|win| win == t.as_bytes()), "a token reached the audit trail");
    }
}

#[test]
fn a_sub_agent_token_is_only_ever_narrower_than_its_parent() {
    let r = Running::start();
    let agent = r.token("agent");
    let ask = |token: Option<String>, body: Value| {
        r.client(token).request(Method::POST, "/v1/tokens/child", Some(&body), Duration::from_secs(60)).unwrap()
    };
    // Narrower: fine, and it works for its task.
    let (status, answer) = ask(agent.clone(), json!({ "actions": ["gate.append_decision"], "ttl_secs": 600 }));
    assert_eq!(status, 200, "{answer}");
    let child = answer["token"].as_str().unwrap().to_owned();
    let decision = json!({"task_id": r.a, "tool": "Bash", "resource": "ls", "verdict": "allow", "rule_id": null, "reason": "child"});
    let (status, answer) =
        r.client(Some(child.clone())).request(Method::POST, "/v1/gate/decisions", Some(&decision), Duration::from_secs(60)).unwrap();
    assert_eq!(status, 200, "{answer}");

    let before = r.refusals().len();
    let wider: [(&str, Option<String>, Value); 5] = [
        ("an action the parent lacks", agent.clone(), json!({ "actions": ["approvals.decide"], "ttl_secs": 60 })),
        ("outliving the parent", agent.clone(), json!({ "actions": ["gate.append_decision"], "ttl_secs": 7 * 86_400 })),
        ("a grandchild wider than its parent", Some(child.clone()), json!({ "actions": ["approvals.wait"], "ttl_secs": 60 })),
        ("a user token as parent", r.token("user"), json!({ "actions": ["gate.append_decision"], "ttl_secs": 60 })),
        ("a forged parent", r.token("forged"), json!({ "actions": ["gate.append_decision"], "ttl_secs": 60 })),
    ];
    for (name, token, body) in &wider {
        let (status, answer) = ask(token.clone(), body.clone());
        assert_eq!(status, 403, "{name}: {answer}");
        assert!(answer.get("token").is_none(), "{name}: a token was issued");
    }
    assert_eq!(r.refusals().len(), before + wider.len(), "each refusal is a warning event");
    // The narrower grandchild is fine.
    let (status, answer) = ask(Some(child), json!({ "actions": ["gate.append_decision"], "ttl_secs": 60 }));
    assert_eq!(status, 200, "{answer}");
    r.stop();
}

/// Both hook commands, which run the same library code: the CLI's
/// `paddock gate` and the slim `paddock-hook` the engine prefers.
fn hook_commands() -> [(&'static str, std::path::PathBuf, &'static [&'static str]); 2] {
    [
        ("paddock gate", assert_cmd::cargo::cargo_bin("paddock"), &["gate"]),
        ("paddock-hook", assert_cmd::cargo::cargo_bin("paddock-hook"), &[]),
    ]
}

/// One hook call as the agent in task A makes it; the parsed answer.
fn call_hook(r: &Running, bin: &std::path::Path, args: &[&str], env: &[(&str, &std::ffi::OsStr)], payload: &Value) -> Value {
    let mut child = std::process::Command::new(bin)
        .args(args)
        .env("PADDOCK_ENGINE_SOCKET", &r.socket)
        .env("PADDOCK_TASK_ID", &r.a)
        .env("PADDOCK_WORKTREE", &r.w.repo)
        // If the hook opened an audit database itself, it could not: it would fail closed.
        .env("PADDOCK_AUDIT_DB", "/nonexistent/paddock/audit.db")
        .env("PADDOCK_DATA_DIR", "/nonexistent/paddock")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(payload.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}: exit {:?}: {}", bin.display(), out.status, String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap_or_else(|e| panic!("{}: stdout is not JSON ({e}): {}", bin.display(), String::from_utf8_lossy(&out.stdout)))
}

fn gate_decisions(r: &Running) -> Vec<paddock_audit::Event> {
    let log = paddock_audit::AuditLog::open(&r.w.data.join("audit.db")).unwrap();
    let q = paddock_audit::Query {
        filter: paddock_audit::Filter {
            task_id: Some(r.a.clone()),
            kinds: vec![paddock_audit::Kind::GateDecision],
            ..Default::default()
        },
        cursor: paddock_audit::Cursor::Oldest,
        limit: 1000,
    };
    log.query(&q).unwrap().events
}

#[test]
fn the_hook_inside_a_task_records_through_the_engine_without_opening_sqlite() {
    let r = Running::start();
    let payload = |command: &str, id: &str| {
        json!({
            "session_id": "s", "transcript_path": "/dev/null", "cwd": r.w.repo, "permission_mode": "bypassPermissions",
            "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": { "command": command }, "tool_use_id": id,
        })
    };
    let decision = |answer: &Value| answer["hookSpecificOutput"]["permissionDecision"].as_str().unwrap_or("").to_owned();
    let agent = r.token("agent").unwrap();
    for (name, bin, args) in hook_commands() {
        let token = [("PADDOCK_ENGINE_TOKEN", std::ffi::OsStr::new(&agent))];
        // Allowed, and recorded once by the engine before the answer.
        let id = format!("toolu_{}", name.replace(' ', "_"));
        let before = gate_decisions(&r).len();
        let answer = call_hook(&r, &bin, args, &token, &payload("ls -la", &id));
        assert_eq!(decision(&answer), "allow", "{name}: {answer}");
        let decisions = gate_decisions(&r);
        assert_eq!(decisions.len(), before + 1, "{name}: {decisions:#?}");
        let last = decisions.last().unwrap();
        assert_eq!((last.resource.as_str(), last.outcome.as_deref()), ("ls -la", Some("allow")), "{name}: {last:#?}");
        assert_eq!(last.detail["tool_use_id"], id.as_str(), "{name}: {last:#?}");
        assert_eq!(last.detail["rule_id"], "core.default-allow", "{name}: {last:#?}");

        // An ask waits for a person; approved, it is an allow.
        let ask = payload("X=echo; $X hi", &format!("{id}_ask"));
        let pending_before: Vec<String> = r.engine.store().approvals(true).unwrap().into_iter().map(|a| a.id).collect();
        std::thread::scope(|scope| {
            let waiting = scope.spawn(|| call_hook(&r, &bin, args, &token, &ask));
            let deadline = Instant::now() + Duration::from_secs(60);
            let opened = loop {
                let new = r.engine.store().approvals(true).unwrap().into_iter().find(|a| !pending_before.contains(&a.id));
                if let Some(a) = new {
                    break a;
                }
                assert!(Instant::now() < deadline && !waiting.is_finished(), "{name}: no approval was opened");
                std::thread::sleep(Duration::from_millis(20));
            };
            assert_eq!((opened.task_id.as_str(), opened.resource.as_str()), (r.a.as_str(), "X=echo; $X hi"), "{name}");
            r.engine.decide_approval_as(&opened.id, paddock_engine::ApprovalDecision::Approve, "tester").unwrap();
            let answer = waiting.join().unwrap();
            assert_eq!(decision(&answer), "allow", "{name}: {answer}");
            assert!(answer.to_string().contains("approved by a person"), "{name}: {answer}");
        });

        // Every way the engine can fail the hook is a deny, and none is recorded as a decision.
        let recorded = gate_decisions(&r).len();
        let gone = r.w.root.join("no-engine.sock");
        type Env = Vec<(&'static str, std::ffi::OsString)>;
        let failures: [(&str, Env, &str); 4] = [
            ("a forged token", vec![("PADDOCK_ENGINE_TOKEN", r.token("forged").unwrap().into())], "401"),
            ("an expired token", vec![("PADDOCK_ENGINE_TOKEN", r.token("expired").unwrap().into())], "401"),
            ("another task's id", vec![("PADDOCK_ENGINE_TOKEN", agent.clone().into()), ("PADDOCK_TASK_ID", r.b.clone().into())], "403"),
            ("no engine at the socket", vec![("PADDOCK_ENGINE_TOKEN", agent.clone().into()), ("PADDOCK_ENGINE_SOCKET", gone.into())], "unreachable"),
        ];
        for (why, env, says) in &failures {
            let env: Vec<(&str, &std::ffi::OsStr)> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
            let answer = call_hook(&r, &bin, args, &env, &payload("ls -la", &format!("{id}_fail")));
            assert_eq!(decision(&answer), "deny", "{name}, {why}: {answer}");
            assert!(answer.to_string().contains(says), "{name}, {why}: {answer}");
        }
        assert_eq!(gate_decisions(&r).len(), recorded, "{name}: a refused hook call was recorded as a decision");
    }
    r.stop();
}
