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

#[test]
fn the_hook_inside_a_task_records_through_the_engine_without_opening_sqlite() {
    let r = Running::start();
    let payload = json!({
        "session_id": "s", "transcript_path": "/dev/null", "cwd": r.w.repo, "permission_mode": "bypassPermissions",
        "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": { "command": "ls -la" }, "tool_use_id": "toolu_x",
    });
    let hook = |token: String| {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("paddock"))
            .arg("gate")
            .env("PADDOCK_ENGINE_SOCKET", &r.socket)
            .env("PADDOCK_ENGINE_TOKEN", token)
            .env("PADDOCK_TASK_ID", &r.a)
            .env("PADDOCK_WORKTREE", &r.w.repo)
            // If the hook opened an audit database itself, it could not: it would fail closed.
            .env("PADDOCK_AUDIT_DB", "/nonexistent/paddock/audit.db")
            .env("PADDOCK_DATA_DIR", "/nonexistent/paddock")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write as _;
        child.stdin.take().unwrap().write_all(payload.to_string().as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let answer = hook(r.token("agent").unwrap());
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "allow", "{answer}");
    let log = paddock_audit::AuditLog::open(&r.w.data.join("audit.db")).unwrap();
    let q = paddock_audit::Query {
        filter: paddock_audit::Filter {
            task_id: Some(r.a.clone()),
            kinds: vec![paddock_audit::Kind::GateDecision],
            ..Default::default()
        },
        cursor: paddock_audit::Cursor::Oldest,
        limit: 100,
    };
    let decisions = log.query(&q).unwrap().events;
    assert_eq!(decisions.len(), 1, "{decisions:#?}");
    assert_eq!(decisions[0].resource, "ls -la");
    assert_eq!(decisions[0].detail["tool_use_id"], "toolu_x");
    // An engine that refuses the hook's token: nothing is allowed (fail closed).
    let answer = hook(r.token("forged").unwrap());
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "deny", "{answer}");
    assert!(answer.to_string().contains("unreachable") || answer.to_string().contains("401"), "{answer}");
    r.stop();
}
