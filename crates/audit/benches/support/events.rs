//! What the audit benchmarks and the profiling driver append, shared by
//! `benches/audit.rs`, `benches/append_vs_sqlite.rs` and `examples/append_profile.rs`
//! (each includes this file by path), so their numbers describe the same events.

#![allow(dead_code)] // each includer uses part of it

use std::time::Duration;

use paddock_audit::{Actor, Kind, NewEvent};

/// Event `i` of a realistic mix: mostly agent tool calls and gate decisions, some
/// egress, rare user approvals; 500 tasks; commands with words worth searching for.
pub fn event(i: u64) -> NewEvent {
    let kind = match i % 20 {
        0..=8 => Kind::ToolCall,
        9..=13 => Kind::GateDecision,
        14..=16 => Kind::Egress,
        17 => Kind::Sandbox,
        18 => Kind::Credential,
        _ => {
            if i % 40 == 19 {
                Kind::Approval
            } else {
                Kind::Task
            }
        }
    };
    let actor = match i % 50 {
        0 => Actor::User,
        1..=5 => Actor::System,
        6..=15 => Actor::SubAgent,
        _ => Actor::Agent,
    };
    let outcome = match i % 10 {
        0 => Some("deny"),
        1..=2 => None,
        3 => Some("ask"),
        _ => Some("allow"),
    };
    let cmd = match i % 7 {
        0 => format!("cargo test -p crate{} --release", i % 13),
        1 => format!("git commit -m 'step {i}'"),
        2 => format!("curl https://api.example.com/v1/items/{}", i % 997),
        3 => format!("rg --files src/module{}", i % 31),
        4 => format!("npm install left-pad@{}", i % 5),
        5 => format!("python3 scripts/migrate_{}.py", i % 17),
        _ => format!("ls -la target/debug/build/{}", i % 101),
    };
    let mut ev = NewEvent::new(
        actor,
        kind,
        if kind == Kind::Egress {
            "CONNECT"
        } else {
            "Bash"
        },
    )
    .task(format!("task-{:04}", (i / 2000) % 500))
    .resource(cmd.clone())
    .detail(serde_json::json!({
        "command": cmd,
        "cwd": format!("/home/dev/work/repo{}", i % 3),
        "duration_ms": i % 1000,
        "rule": if i.is_multiple_of(10) { "deny-network-writes" } else { "default-allow" },
    }));
    if i.is_multiple_of(100_003) {
        ev = ev.detail(serde_json::json!({ "command": cmd, "note": "zanzibar rare marker" }));
    }
    if let Some(o) = outcome {
        ev = ev.outcome(o);
    }
    ev
}

/// This thread's on-CPU time so far (from /proc/thread-self/schedstat).
pub fn cpu_now() -> Duration {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    Duration::from_nanos(
        s.split(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
    )
}
