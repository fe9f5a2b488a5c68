//! The hook inside a task, as the agent experiences it: spawn the hook with
//! the task's engine socket and token, write the PreToolUse payload, read
//! the decision — recorded by the engine over its API (token check: PASETO
//! signature + Cedar) instead of the hook opening the audit database
//! itself. Two hook binaries run the same code: `paddock gate` (the whole
//! CLI) and the slim `paddock-hook` the engine uses when it sits beside
//! `paddock`. Interleaved, in the same run, with both outside a task (where
//! the decision is appended to SQLite by `paddock gate`, which
//! `paddock-hook` then runs) and a bare `/bin/true` spawn, so machine load
//! hits every row alike. The engine runs a real sandboxed task (`sleep`).
//! Run: GATE_HOOK_ITERS=200 cargo bench -p paddock-cli --bench engine_hook
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/running_task.rs"]
mod running_task;
use running_task::pct;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};


const BENIGN: &str = r#"{"session_id":"s","transcript_path":"/t","cwd":"/home/dev/project","permission_mode":"bypassPermissions","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"cargo test -p paddock-gate 2>&1 | tail -20"},"tool_use_id":"toolu_02"}"#;

fn spawn_true() -> Duration {
    let t = Instant::now();
    let status = Command::new("/bin/true").stdin(Stdio::null()).stdout(Stdio::null()).status().unwrap();
    assert!(status.success());
    t.elapsed()
}

const PADDOCK: &str = env!("CARGO_BIN_EXE_paddock");
const HOOK: &str = env!("CARGO_BIN_EXE_paddock-hook");

/// One hook call: `bin args…` with `env`, the payload in, the answer out.
fn spawn_hook(bin: &str, args: &[&str], env: &[(&str, String)]) -> Duration {
    let t = Instant::now();
    let mut child = Command::new(bin)
        .args(args)
        .env_remove("PADDOCK_ENGINE_SOCKET")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("PADDOCK_WORKTREE", "/home/dev/project")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(BENIGN.as_bytes()).unwrap();
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(out.contains(r#""permissionDecision":"allow""#), "{bin}: {out}");
    t.elapsed()
}


fn main() {
    let n: usize = std::env::var("GATE_HOOK_ITERS").ok().and_then(|s| s.parse().ok()).unwrap_or(300);
    let dir = tempfile::tempdir().unwrap();
    let running_task::RunningTask { engine, id, socket, token } = running_task::start(dir.path());
    let via_engine = [
        ("PADDOCK_ENGINE_SOCKET", socket.display().to_string()),
        ("PADDOCK_ENGINE_TOKEN", token),
        ("PADDOCK_TASK_ID", id.clone()),
        // Where the hook would write if it opened SQLite itself: it must not.
        ("PADDOCK_AUDIT_DB", "/nonexistent/paddock/audit.db".to_owned()),
    ];
    let direct = [("PADDOCK_AUDIT_DB", dir.path().join("direct.db").display().to_string())];
    type Row<'a> = (&'a str, &'a str, &'a [&'a str], &'a [(&'a str, String)]);
    let rows: [Row; 4] = [
        ("paddock gate, through the task engine", PADDOCK, &["gate"], &via_engine),
        ("paddock-hook, through the task engine", HOOK, &[], &via_engine),
        ("paddock gate, writes SQLite itself", PADDOCK, &["gate"], &direct),
        ("paddock-hook, runs paddock gate", HOOK, &[], &direct),
    ];
    for _ in 0..20 {
        spawn_true();
        for (_, bin, args, env) in &rows {
            spawn_hook(bin, args, env);
        }
    }
    let mut t = Vec::new();
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); rows.len()];
    for _ in 0..n {
        t.push(spawn_true());
        for (i, (_, bin, args, env)) in rows.iter().enumerate() {
            times[i].push(spawn_hook(bin, args, env));
        }
    }
    engine.stop(&id, paddock_audit::Actor::User).unwrap();
    while !engine.running_here().is_empty() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let t50 = pct(&mut t, 0.5);
    println!("hook process, benign Bash call, {n} runs each, interleaved");
    println!("{:<40} {:>9} {:>9} {:>12}", "", "p50 ms", "p90 ms", "p50 / true");
    println!("{:<40} {:>9.3} {:>9.3} {:>12}", "/bin/true (spawn + wait)", ms(t50), ms(pct(&mut t, 0.9)), "1.00x");
    for ((name, ..), v) in rows.iter().zip(&mut times) {
        let p50 = pct(v, 0.5);
        println!("{name:<40} {:>9.3} {:>9.3} {:>11.2}x", ms(p50), ms(pct(v, 0.9)), p50.as_secs_f64() / t50.as_secs_f64());
    }
}
