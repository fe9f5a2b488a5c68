//! The whole hook, as the agent experiences it: spawn `paddock gate`, write
//! the PreToolUse payload, read the decision, wait — side by side with a bare
//! `/bin/true` spawn in the same run, interleaved so machine load hits both.
//! The hook writes each decision to the audit trail (a throwaway one here),
//! so that cost is included. Target: p50 ≤ 5 ms.
//! Run: cargo bench -p paddock-cli --bench gate_hook
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PAYLOAD: &str = r#"{"session_id":"54b84301-3b22-4270-a701-8612a6a6de00","transcript_path":"/home/dev/.claude/projects/-home-dev-project/54b84301-3b22-4270-a701-8612a6a6de00.jsonl","cwd":"/home/dev/project","prompt_id":"ed192bed-dbbe-48f8-8b28-1a66c0f794be","permission_mode":"bypassPermissions","effort":{"level":"high"},"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"echo HELLO_FROM_TOOL > /home/dev/out.txt; rm -rf /home/dev/victim","description":"test"},"tool_use_id":"toolu_01"}"#;
const BENIGN: &str = r#"{"session_id":"s","transcript_path":"/t","cwd":"/home/dev/project","permission_mode":"bypassPermissions","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"cargo test -p paddock-gate 2>&1 | tail -20"},"tool_use_id":"toolu_02"}"#;

fn spawn_true() -> Duration {
    let t = Instant::now();
    let status = Command::new("/bin/true").stdin(Stdio::null()).stdout(Stdio::null()).status().unwrap();
    assert!(status.success());
    t.elapsed()
}

/// The hook records every decision: a throwaway audit trail, never the user's.
fn audit_db() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

fn spawn_gate(payload: &str) -> Duration {
    let t = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_paddock"))
        .arg("gate")
        .env("PADDOCK_WORKTREE", "/home/dev/project")
        .env("PADDOCK_AUDIT_DB", audit_db().join("audit.db"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(payload.as_bytes()).unwrap();
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(out.contains("permissionDecision"), "{out}");
    t.elapsed()
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    // `cargo bench` passes --bench; ignore arguments.
    let n: usize = std::env::var("GATE_HOOK_ITERS").ok().and_then(|s| s.parse().ok()).unwrap_or(400);
    for _ in 0..20 {
        spawn_true();
        spawn_gate(BENIGN);
    }
    let (mut t, mut deny, mut allow) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        t.push(spawn_true());
        deny.push(spawn_gate(PAYLOAD));
        allow.push(spawn_gate(BENIGN));
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let (t50, t90) = (pct(&mut t, 0.5), pct(&mut t, 0.9));
    println!("hook process, {n} runs each, interleaved");
    println!("{:<34} {:>9} {:>9}", "", "p50 ms", "p90 ms");
    println!("{:<34} {:>9.3} {:>9.3}", "/bin/true (spawn + wait)", ms(t50), ms(t90));
    for (name, v) in [("paddock gate, reference payload", &mut deny), ("paddock gate, benign cargo test", &mut allow)] {
        let (p50, p90) = (pct(v, 0.5), pct(v, 0.9));
        println!(
            "{name:<34} {:>9.3} {:>9.3}   ratio to /bin/true p50: {:.2}x",
            ms(p50),
            ms(p90),
            p50.as_secs_f64() / t50.as_secs_f64()
        );
    }
}
