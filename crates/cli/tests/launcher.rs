#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! `paddock` is a small launcher: `gate` and `sandbox` run in it, every other
//! command goes to `paddock-full` beside it. These tests copy the launcher
//! alone into an empty directory, so a command that secretly needed
//! `paddock-full` fails here.

#[path = "support/exe.rs"]
mod exe;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use std::io::Write as _;
use std::os::unix::process::CommandExt as _;

fn launcher_alone() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("paddock");
    exe::place(&assert_cmd::cargo::cargo_bin("paddock"), &bin);
    (dir, bin)
}

#[test]
fn sandbox_run_needs_nothing_but_the_launcher() {
    let (dir, bin) = launcher_alone();
    let work = tempfile::tempdir().unwrap();
    let out = Command::new(&bin)
        .args(["sandbox", "run", "--", "sh", "-c", "echo inside; id -u"])
        .current_dir(work.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("inside\n"), "{stdout}");
    assert_ne!(stdout.lines().nth(1), Some("0"), "the sandboxed command runs as root: {stdout}");
    assert!(!dir.path().join("paddock-full").exists());
}

#[test]
fn the_gate_hook_needs_nothing_but_the_launcher() {
    let (_dir, bin) = launcher_alone();
    let work = tempfile::tempdir().unwrap();
    let payload = serde_json::json!({
        "session_id": "s", "transcript_path": "/dev/null", "cwd": work.path(),
        "permission_mode": "bypassPermissions", "hook_event_name": "PreToolUse",
        "tool_name": "Bash", "tool_input": {"command": "git push --force origin main"}, "tool_use_id": "t1"
    });
    let mut child = Command::new(&bin)
        .arg("gate")
        .env("PADDOCK_DATA_DIR", work.path())
        .env_remove("PADDOCK_ENGINE_SOCKET")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(payload.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "deny", "{answer}");
    // ...and it was recorded, by the launcher itself.
    assert!(work.path().join("audit.db").is_file());
}

#[test]
fn other_commands_without_paddock_full_say_what_is_missing() {
    let (dir, bin) = launcher_alone();
    let out = Command::new(&bin).args(["audit", "verify"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = dir.path().join("paddock-full");
    assert!(
        stderr.starts_with("paddock: error: cannot run ") && stderr.contains(&*expected.to_string_lossy()) && stderr.contains("reinstall"),
        "{stderr}"
    );
}

/// Help and usage text come from the full CLI, even for the commands the
/// launcher runs itself, so the two can never disagree.
#[test]
fn help_and_errors_are_the_full_clis() {
    let launcher = assert_cmd::cargo::cargo_bin("paddock");
    let full = assert_cmd::cargo::cargo_bin("paddock-full");
    for args in [
        vec!["--help"],
        vec!["sandbox", "--help"],
        vec!["sandbox", "run", "--help"],
        vec!["gate", "--help"],
        vec!["gate", "install", "--help"],
        vec!["sandbox", "run", "--no-such-flag", "--", "true"],
        vec!["doctor", "--help"],
    ] {
        let a = Command::new(&launcher).args(&args).output().unwrap();
        // argv[0] as the launcher passes it: clap names the binary after it.
        let b = Command::new(&full).arg0("paddock").args(&args).output().unwrap();
        assert_eq!(a.status.code(), b.status.code(), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&a.stdout), String::from_utf8_lossy(&b.stdout), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&a.stderr), String::from_utf8_lossy(&b.stderr), "{args:?}");
        assert!(!a.stdout.is_empty() || !a.stderr.is_empty(), "{args:?} printed nothing");
    }
}
