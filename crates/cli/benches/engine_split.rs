//! Where the hook's round trip to the task engine goes, measured in process
//! against a real engine running a real sandboxed task: the whole request
//! as the hook's client makes it, and the server's parts on their own
//! (token check with Cedar, the task look-up, the audit append).
//! Run: GATE_HOOK_ITERS=200 cargo bench -p paddock-cli --bench engine_split
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/running_task.rs"]
mod running_task;
use running_task::pct;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use paddock_engine::authz::{Action, Resource};
use paddock_engine::{Access, Client};
use serde_json::json;

fn time(n: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    for _ in 0..10 {
        f();
    }
    let mut v: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    (pct(&mut v, 0.5), pct(&mut v, 0.9))
}

fn main() {
    let n: usize = std::env::var("GATE_HOOK_ITERS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let dir = tempfile::tempdir().unwrap();
    let running_task::RunningTask { engine, id, socket, token } = running_task::start(dir.path());
    let body = json!({
        "task_id": id, "tool": "Bash", "resource": "cargo test", "verdict": "allow",
        "rule_id": null, "reason": "bench", "detail": { "tool_use_id": "toolu_bench" },
    });
    let client = Client::new(&socket, token.clone());
    let text = body.to_string();
    let raw_request = format!(
        "POST /v1/gate/decisions HTTP/1.1\r\nHost: paddock\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let task = Access::task_ref(&id, engine.access().user().as_str()).unwrap();
    let resource = Resource::Task { task };

    let rows: Vec<(&str, (Duration, Duration))> = vec![
        ("client round trip (paddock_engine::Client)", time(n, || {
            client.post("/v1/gate/decisions", &body, Duration::from_secs(30)).unwrap();
        })),
        ("raw blocking round trip (std UnixStream)", time(n, || {
            let mut s = std::os::unix::net::UnixStream::connect(&socket).unwrap();
            s.write_all(raw_request.as_bytes()).unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).unwrap();
            assert!(out.starts_with("HTTP/1.1 200"), "{out}");
        })),
        ("server: token verify + scope + Cedar", time(n, || {
            let (r, _) = engine.access().decide(&token, Action::GateAppendDecision, &resource);
            r.unwrap();
        })),
        ("server: task row look-up", time(n, || {
            engine.store().task(&id).unwrap().unwrap();
        })),
        ("server: audit append (group commit)", time(n, || {
            engine
                .audit()
                .append(
                    paddock_audit::NewEvent::new(paddock_audit::Actor::Agent, paddock_audit::Kind::GateDecision, "Bash")
                        .task(id.clone())
                        .resource("cargo test")
                        .outcome("allow")
                        .detail(json!({ "tool_use_id": "toolu_bench" })),
                )
                .unwrap();
        })),
    ];
    engine.stop(&id, paddock_audit::Actor::User).unwrap();
    while !engine.running_here().is_empty() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("engine round trip and its parts, {n} runs each");
    println!("{:<44} {:>9} {:>9}", "", "p50 ms", "p90 ms");
    for (name, (p50, p90)) in rows {
        println!("{name:<44} {:>9.3} {:>9.3}", ms(p50), ms(p90));
    }
}
