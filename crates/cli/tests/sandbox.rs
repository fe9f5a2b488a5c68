//! `paddock sandbox run|check|profile`, driven through the real binary and
//! the real bubblewrap.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::io::{Read, Write};
use std::os::unix::net::UnixListener;

use assert_cmd::Command;
use predicates::prelude::*;

fn paddock(dir: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("paddock").unwrap();
    cmd.current_dir(dir).env_remove("PADDOCK_ALLOW_UNSANDBOXED");
    cmd
}

fn worktree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "hello from the worktree\n").unwrap();
    dir
}

#[test]
fn run_executes_inside_the_sandbox() {
    let w = worktree();
    paddock(w.path())
        .args([
            "sandbox",
            "run",
            "--",
            "/bin/sh",
            "-c",
            "echo uid=$(id -u) home=$HOME host=$(hostname); cat README.md",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "uid=1000 home=/home/agent host=paddock",
        ))
        .stdout(predicate::str::contains("hello from the worktree"));
}

#[test]
fn run_propagates_the_exit_code() {
    let w = worktree();
    paddock(w.path())
        .args(["sandbox", "run", "--", "/bin/sh", "-c", "exit 7"])
        .assert()
        .code(7);
}

#[test]
fn run_writes_only_the_worktree() {
    let w = worktree();
    let outside = tempfile::tempdir().unwrap();
    let script = format!(
        "echo ok > made.txt; echo x > {}/pwned || echo denied",
        outside.path().display()
    );
    paddock(w.path())
        .args(["sandbox", "run", "--", "/bin/sh", "-c", &script])
        .assert()
        .success()
        .stdout(predicate::str::contains("denied"));
    assert!(w.path().join("made.txt").exists());
    assert!(!outside.path().join("pwned").exists());
}

#[test]
fn run_fails_closed_when_no_backend_works() {
    let w = worktree();
    let empty = tempfile::tempdir().unwrap();
    paddock(w.path())
        .env("PATH", empty.path()) // no bwrap, no podman
        .args(["sandbox", "run", "--", "/bin/true"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "refusing to run the command unsandboxed",
        ))
        .stderr(predicate::str::contains("apt-get install -y bubblewrap"))
        .stderr(predicate::str::contains("PADDOCK_ALLOW_UNSANDBOXED=1"));
}

#[test]
fn run_unsandboxed_only_when_allowed_and_warns() {
    let w = worktree();
    let empty = tempfile::tempdir().unwrap();
    paddock(w.path())
        .env("PATH", empty.path())
        .env("PADDOCK_ALLOW_UNSANDBOXED", "1")
        .args([
            "sandbox",
            "run",
            "--",
            "/bin/sh",
            "-c",
            "echo ran-unsandboxed",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("ran-unsandboxed"))
        .stderr(predicate::str::contains(
            "WARNING: running WITHOUT a sandbox",
        ));
}

#[test]
fn run_refuses_home_as_the_worktree() {
    let home = tempfile::tempdir().unwrap();
    paddock(home.path())
        .env("HOME", home.path())
        .args(["sandbox", "run", "--", "/bin/true"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("refusing to make"));
}

#[test]
fn check_lists_backends() {
    let w = worktree();
    paddock(w.path())
        .args(["sandbox", "check"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ok  bubblewrap"))
        .stdout(predicate::str::contains("podman"));
}

#[test]
fn check_without_bwrap_names_the_install_command() {
    let w = worktree();
    let empty = tempfile::tempdir().unwrap();
    paddock(w.path())
        .env("PATH", empty.path())
        .args(["sandbox", "check"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "bubblewrap (bwrap) is not installed",
        ))
        .stdout(predicate::str::contains(
            "fix: apt-get install -y bubblewrap",
        ));
}

#[test]
fn profile_file_is_applied() {
    let w = worktree();
    let profile = w.path().join("tight.toml");
    std::fs::write(
        &profile,
        "tmp_size_mib = 4\n[env.set]\nGREETING = \"from-profile\"\n",
    )
    .unwrap();
    paddock(w.path())
        .args(["sandbox", "run", "--profile", profile.to_str().unwrap(), "--", "/bin/sh", "-c",
            "echo $GREETING; dd if=/dev/zero of=/tmp/f bs=1M count=16 2>/dev/null || echo quota-hit"])
        .assert()
        .success()
        .stdout(predicate::str::contains("from-profile"))
        .stdout(predicate::str::contains("quota-hit"));
}

#[test]
fn profile_rejects_injection_variables() {
    let w = worktree();
    let profile = w.path().join("bad.toml");
    std::fs::write(&profile, "[env.set]\nLD_PRELOAD = \"/tmp/x.so\"\n").unwrap();
    paddock(w.path())
        .args([
            "sandbox",
            "run",
            "--profile",
            profile.to_str().unwrap(),
            "--",
            "/bin/true",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("LD_PRELOAD"));
}

#[test]
fn proxy_mode_uses_the_hidden_init_and_reaches_the_proxy() {
    let w = worktree();
    let sock_dir = tempfile::tempdir().unwrap();
    let socket = sock_dir.path().join("egress.sock");
    let listener = UnixListener::bind(&socket).unwrap();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 2048];
        let n = s.read(&mut buf).unwrap();
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nproxy-ok")
            .unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    });
    paddock(w.path())
        .args([
            "sandbox",
            "run",
            "--network",
            &format!("proxy:{}", socket.display()),
            "--",
            "curl",
            "-sS",
            "--max-time",
            "20",
            "http://example.invalid/x",
        ])
        .assert()
        .success()
        .stdout("proxy-ok");
    assert!(
        server
            .join()
            .unwrap()
            .starts_with("GET http://example.invalid/x")
    );
}

#[test]
fn profile_subcommand_prints_toml() {
    let w = worktree();
    paddock(w.path())
        .args(["sandbox", "profile", "--cache", "cargo"])
        .assert()
        .success()
        .stdout(predicate::str::contains("tool_caches = [\"cargo\"]"))
        .stdout(predicate::str::contains("\"~/.ssh\""));
}
