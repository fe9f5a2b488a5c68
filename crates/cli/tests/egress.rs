//! `paddock egress check|serve|set-secret`, driving the real binary with
//! real curl on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;

fn paddock() -> Command {
    Command::cargo_bin("paddock").unwrap()
}

fn paddock_path() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("paddock")
}

fn write_policy(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
    let path = dir.path().join("policy.toml");
    std::fs::write(&path, text).unwrap();
    path
}

const POLICY: &str = r#"
[[deny]]
id = "no-telemetry"
hosts = ["telemetry.example.com"]
reason = "Telemetry is off for agents."

[[allow]]
id = "example"
hosts = ["*.example.com"]
ports = [443]

[[service]]
name = "anthropic"
kind = "anthropic"
secret = "anthropic-key"
"#;

#[test]
fn check_explains_allow_and_deny() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write_policy(&dir, POLICY);
    paddock()
        .args(["egress", "check", "--no-resolve", "--policy"])
        .arg(&policy)
        .arg("https://api.example.com/v1")
        .assert()
        .success()
        .stdout(predicate::str::contains("allow rule \"example\"").and(predicate::str::contains("ALLOWED")));
    paddock()
        .args(["egress", "check", "--policy"])
        .arg(&policy)
        .arg("https://telemetry.example.com/")
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("DENIED by rule \"no-telemetry\"")
                .and(predicate::str::contains("Telemetry is off")),
        );
    paddock()
        .args(["egress", "check", "--policy"])
        .arg(&policy)
        .arg("http://api.example.com/")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("default-deny"));
    paddock()
        .args(["egress", "check", "--policy"])
        .arg(&policy)
        .arg("http://127.0.0.1:9/_svc/anthropic/v1/messages")
        .assert()
        .success()
        .stdout(predicate::str::contains("https://api.anthropic.com").and(predicate::str::contains("x-api-key")));
}

#[test]
fn check_refuses_a_cleartext_injection_policy() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write_policy(
        &dir,
        "[[service]]\nname = \"x\"\nkind = \"custom\"\nsecret = \"k\"\nupstream = \"http://127.0.0.1:8080\"\nheader = \"x-api-key\"\n",
    );
    paddock()
        .args(["egress", "check", "--policy"])
        .arg(&policy)
        .arg("http://a.example.com/")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cleartext"));
}

/// A one-shot-per-connection HTTP upstream on loopback.
fn tiny_upstream() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: close\r\n\r\nfrom-upstrm\n");
        }
    });
    port
}

/// Starts `cmd` and waits for the "listening on http://ADDR" line. The
/// caller kills and waits for the child.
#[allow(clippy::zombie_processes)]
fn spawn_serving(mut cmd: StdCommand) -> (Child, String, std::sync::mpsc::Receiver<String>) {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    loop {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("proxy did not start: {seen:?}");
        };
        if let Some(addr) = line.strip_prefix("paddock egress: listening on http://") {
            return (child, addr.to_string(), rx);
        }
        seen.push(line);
    }
}

fn curl(args: &[&str]) -> String {
    let out = StdCommand::new("curl")
        .args(["--silent", "--show-error", "--max-time", "60", "-w", "\nstatus=%{http_code}"])
        .args(args)
        .env_remove("http_proxy")
        .env_remove("no_proxy")
        .output()
        .expect("this test needs curl (Debian package: curl)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn serve_forwards_allowed_refuses_denied_and_prints_records() {
    let port = tiny_upstream();
    let dir = tempfile::tempdir().unwrap();
    let policy = write_policy(
        &dir,
        &format!(
            "[[allow]]\nid = \"local\"\nhosts = [\"127.0.0.1\"]\nports = [{port}]\n\n[[deny]]\nid = \"nope\"\nhosts = [\"blocked.test\"]\nreason = \"Not for agents.\"\n"
        ),
    );
    let sock = dir.path().join("egress.sock");
    let mut cmd = StdCommand::new(paddock_path());
    cmd.args(["egress", "serve", "--listen", "127.0.0.1:0", "--policy"]).arg(&policy).arg("--unix").arg(&sock);
    let (mut child, addr, _stderr) = spawn_serving(cmd);
    let proxy = format!("http://{addr}");

    let ok = curl(&["-x", &proxy, &format!("http://127.0.0.1:{port}/x?token=abc")]);
    assert!(ok.contains("from-upstrm") && ok.contains("status=200"), "{ok}");
    let denied = curl(&["-x", &proxy, "http://blocked.test/"]);
    assert!(denied.contains("status=403") && denied.contains("Not for agents."), "{denied}");
    // The unix socket serves the same proxy (an unknown service answers 404).
    let via_unix = curl(&["--unix-socket", sock.to_str().unwrap(), "http://localhost/_svc/none/x"]);
    assert!(via_unix.contains("status=404") && via_unix.contains("no service named"), "{via_unix}");

    child.kill().unwrap();
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    child.wait().unwrap();
    let records: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 3, "{stdout}");
    assert_eq!(records[0]["decision"], "allowed");
    assert_eq!(records[0]["path"], "/x?token=");
    assert_eq!(records[1]["rule"], "nope");
}

#[test]
fn serve_refuses_non_loopback_listen_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write_policy(&dir, "");
    paddock()
        .args(["egress", "serve", "--listen", "0.0.0.0:0", "--policy"])
        .arg(&policy)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("only listens on loopback"));
}

fn require_keyctl() {
    let ok = StdCommand::new("keyctl").arg("--version").output().is_ok();
    assert!(ok, "this test needs `keyctl` (Debian package: keyutils)");
}

/// Runs `cmd` to completion, killing it after 60 s (a proxy that starts
/// when it should refuse to must fail the test, not hang it).
fn output_within_60s(cmd: &mut StdCommand) -> std::process::Output {
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = StdCommand::new("kill").arg(pid.to_string()).status();
            panic!("command did not finish within 60 s: {cmd:?}");
        }
    }
}

#[test]
fn serve_reports_missing_secrets_then_uses_the_keyring_without_printing_the_secret() {
    require_keyctl();
    let dir = tempfile::tempdir().unwrap();
    let policy = write_policy(
        &dir,
        "[[service]]\nname = \"svc\"\nkind = \"openai\"\nsecret = \"svc-key\"\nupstream = \"https://localhost:1\"\nprivate = true\n",
    );
    // keyring's keyutils store also links entries into the user's
    // persistent keyring, so they outlive `keyctl session -`: a unique
    // service name per run keeps runs independent, and we delete at the end.
    let service = format!("paddock-egress-clitest-{}-{}", std::process::id(), chrono_free_nanos());
    // The secret is missing: startup says which and how to fix it.
    let out = output_within_60s(
        StdCommand::new("keyctl")
            .args(["session", "-"])
            .arg(paddock_path())
            .args(["egress", "serve", "--listen", "127.0.0.1:0", "--keyring-service", &service, "--policy"])
            .arg(&policy),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("svc-key") && err.contains("set-secret"), "{err}");

    // Store it with set-secret (stdin), then serve.
    let secret = "sk-CLI-PLANTED-9a8b7c6d5e";
    let script = format!(
        "printf %s '{secret}' | \"$0\" egress set-secret svc-key --keyring-service {service} && \
         exec \"$0\" egress serve --listen 127.0.0.1:0 --keyring-service {service} --policy \"$1\""
    );
    let mut cmd = StdCommand::new("keyctl");
    cmd.args(["session", "-", "sh", "-c", &script]).arg(paddock_path()).arg(&policy);
    let (mut child, addr, stderr_lines) = spawn_serving(cmd);
    // The upstream is down: a clean 502, and the secret is nowhere.
    let resp = curl(&[&format!("http://{addr}/_svc/svc/v1/models")]);
    child.kill().unwrap();
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    child.wait().unwrap();
    let cleanup = output_within_60s(StdCommand::new("keyctl").args(["session", "-"]).arg(paddock_path()).args([
        "egress",
        "delete-secret",
        "svc-key",
        "--keyring-service",
        &service,
    ]));
    assert!(cleanup.status.success(), "{}", String::from_utf8_lossy(&cleanup.stderr));
    assert!(resp.contains("status=502") && resp.contains("cannot connect"), "{resp}");
    let stderr: Vec<String> = stderr_lines.try_iter().collect();
    for (what, text) in [("response", resp), ("records", stdout.clone()), ("stderr", stderr.join("\n"))] {
        assert!(!text.contains(secret), "secret leaked into {what}: {text}");
    }
    assert!(stdout.contains("\"service\":\"svc\""), "{stdout}");
}

fn chrono_free_nanos() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

#[test]
fn check_reads_the_policy_the_app_edits_by_default() {
    let data = tempfile::tempdir().unwrap();
    // No file yet: it says where it looked and how to make one.
    paddock()
        .env("PADDOCK_DATA_DIR", data.path())
        .args(["egress", "check", "--no-resolve", "https://api.example.com/"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("egress.toml").and(predicate::str::contains("Settings → Network")));
    std::fs::write(data.path().join("egress.toml"), POLICY).unwrap();
    paddock()
        .env("PADDOCK_DATA_DIR", data.path())
        .args(["egress", "check", "--no-resolve", "https://api.example.com/"])
        .assert()
        .success()
        .stdout(predicate::str::contains("allow rule \"example\""));
    paddock()
        .env("PADDOCK_DATA_DIR", data.path())
        .args(["egress", "check", "--no-resolve", "https://telemetry.example.com/"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("no-telemetry"));
}
