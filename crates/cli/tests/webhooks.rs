//! `paddock webhooks`, driving the real binary: secrets in the real kernel
//! keyring (under `keyctl session -`), signatures computed by python3's
//! hmac, requests sent by curl to the listener on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

#[path = "support/keyring_child.rs"]
mod keyring_child;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;

const E2E: &str = "serve_verifies_records_audits_and_proposals_can_be_decided";
const SECRET: &str = "cli-github-secret-5150-do-not-leak";

fn paddock() -> Command {
    Command::cargo_bin("paddock").unwrap()
}

#[test]
fn help_lists_the_subcommands() {
    paddock()
        .args(["webhooks", "--help"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("serve")
                .and(predicate::str::contains("set-secret"))
                .and(predicate::str::contains("deliveries")),
        );
    paddock()
        .args(["webhooks", "serve", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--proposals-db"));
}

#[test]
fn a_non_loopback_listen_address_is_warned_about() {
    // 192.0.2.1 is TEST-NET-1: nothing is ever bound or sent.
    paddock()
        .env("PADDOCK_DATA_DIR", tempfile::tempdir().unwrap().path())
        .args([
            "webhooks",
            "serve",
            "--listen",
            "192.0.2.1:0",
            "--keyring-service",
            "paddock-webhooks-test-none",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("reachable from other machines"));
}

fn github_signature(body: &[u8]) -> String {
    let mut child = StdCommand::new("python3")
        .args([
            "-c",
            "import hmac,hashlib,sys; print('sha256=' + hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())",
            SECRET,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("this test needs python3: {e}"));
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// POSTs `body` with curl; returns the HTTP status.
fn curl(dir: &Path, url: &str, headers: &[String], body: &[u8]) -> u16 {
    let file = dir.join("body.json");
    std::fs::write(&file, body).unwrap();
    let mut cmd = StdCommand::new("curl");
    cmd.args([
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--max-time",
        "30",
        "-X",
        "POST",
        "--data-binary",
    ])
    .arg(format!("@{}", file.display()));
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = cmd
        .arg(url)
        .output()
        .unwrap_or_else(|e| panic!("this test needs curl: {e}"));
    String::from_utf8_lossy(&out.stdout)
        .parse()
        .unwrap_or_else(|_| panic!("curl said {out:?}"))
}

fn issue(repo: &str) -> Vec<u8> {
    serde_json::json!({
        "action": "labeled",
        "label": { "name": "paddock" },
        "issue": { "title": "Fix the flaky login test", "body": "", "labels": [{ "name": "paddock" }] },
        "repository": { "full_name": repo },
        "sender": { "login": "octocat", "type": "User" },
    })
    .to_string()
    .into_bytes()
}

fn grep_dir_for(dir: &Path, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file()
            && String::from_utf8_lossy(&std::fs::read(&path).unwrap()).contains(needle)
        {
            hits.push(path.display().to_string());
        }
    }
    hits
}

fn child_e2e() {
    // keyutils entries are also linked into the user's persistent keyring:
    // a unique service name per run, deleted at the end.
    let service = format!("paddock-webhooks-test-{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let db = data.join("webhooks.db");
    let audit = data.join("audit.db");
    let rules = data.join("rules.toml");
    std::fs::write(
        &rules,
        "[[auto_run]]\nid = \"docs\"\nrepos = [\"acme/docs\"]\nsenders = [\"octocat\"]\n",
    )
    .unwrap();
    let common = |cmd: &mut Command| {
        cmd.env("PADDOCK_DATA_DIR", data)
            .arg("--keyring-service")
            .arg(&service);
    };

    // No secret yet: serve refuses and says how to fix it.
    let mut c = paddock();
    c.args(["webhooks", "serve", "--listen", "127.0.0.1:0"]);
    common(&mut c);
    c.assert()
        .code(2)
        .stderr(predicate::str::contains("paddock webhooks set-secret"));

    let mut c = paddock();
    c.args(["webhooks", "set-secret", "github"])
        .write_stdin(format!("{SECRET}\n"));
    common(&mut c);
    c.assert().success();

    let mut server = StdCommand::new(assert_cmd::cargo::cargo_bin("paddock"))
        .args([
            "webhooks",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--keyring-service",
            &service,
            "--proposals-db",
        ])
        .arg(&db)
        .arg("--audit-db")
        .arg(&audit)
        .arg("--rules")
        .arg(&rules)
        .env("PADDOCK_DATA_DIR", data)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = server.stderr.take().unwrap();
    let err_thread = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("paddock webhooks: listening on http://") {
                let _ = tx.send(addr.to_string());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let stdout = server.stdout.take().unwrap();
    let out_thread = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("serve did not start listening");
    let url = format!("http://{addr}");

    let send = |repo: &str, delivery: &str, signature: Option<String>| {
        let body = issue(repo);
        let sig = signature.unwrap_or_else(|| github_signature(&body));
        let headers = vec![
            "Content-Type: application/json".to_string(),
            "X-GitHub-Event: issues".to_string(),
            format!("X-GitHub-Delivery: {delivery}"),
            format!("X-Hub-Signature-256: {sig}"),
        ];
        curl(data, &format!("{url}/github"), &headers, &body)
    };
    assert_eq!(send("acme/api", "cli-1", None), 200);
    assert_eq!(send("acme/docs", "cli-2", None), 200);
    assert_eq!(
        send(
            "acme/api",
            "cli-3",
            Some(format!("sha256={}", "0".repeat(64)))
        ),
        403
    );
    assert_eq!(send("acme/api", "cli-1", None), 409);
    let slack = [
        "X-Slack-Request-Timestamp: 1".to_string(),
        format!("X-Slack-Signature: v0={}", "0".repeat(64)),
    ];
    assert_eq!(
        curl(data, &format!("{url}/slack/commands"), &slack, b"text=x"),
        403,
        "stale before anything else"
    );
    server.kill().unwrap();
    server.wait().unwrap();
    let stderr_text = err_thread.join().unwrap();
    let lines = out_thread.join().unwrap();

    let verdicts: Vec<(u64, String)> = lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["status"].as_u64().unwrap(),
                v["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(u64, String)> = [
        (200, "accepted"),
        (200, "accepted"),
        (403, "rejected"),
        (409, "rejected"),
        (403, "rejected"),
    ]
    .iter()
    .map(|(s, v)| (*s, v.to_string()))
    .collect();
    assert_eq!(
        verdicts,
        expected,
        "stdout JSON lines:\n{}",
        lines.join("\n")
    );
    assert!(
        stderr_text.contains("slack: no secret stored"),
        "{stderr_text}"
    );

    // Deliveries, as a person reads them.
    paddock()
        .args(["webhooks", "deliveries", "--proposals-db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("signature does not match")
                .and(predicate::str::contains(
                    "GitHub delivery cli-1 was already received",
                ))
                .and(predicate::str::contains("proposal approved by rule:docs")),
        );

    // One pending (acme/api), one auto-approved (acme/docs).
    let out = paddock()
        .args([
            "webhooks",
            "proposals",
            "--state",
            "pending",
            "--json",
            "--proposals-db",
        ])
        .arg(&db)
        .output()
        .unwrap();
    let pending: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0]["repo"], "acme/api");
    let id = pending[0]["id"].as_str().unwrap().to_string();
    paddock()
        .args([
            "webhooks",
            "proposals",
            "--state",
            "approved",
            "--proposals-db",
        ])
        .arg(&db)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("acme/docs")
                .and(predicate::str::contains("decided by rule:docs")),
        );
    paddock()
        .args(["webhooks", "approve", &id, "--proposals-db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("approved"));
    paddock()
        .args(["webhooks", "reject", &id, "--proposals-db"])
        .arg(&db)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("was already approved"));

    // Every delivery is in the audit trail, kind `webhook`.
    let conn = rusqlite::Connection::open(&audit).unwrap();
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'webhook'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 5);

    // The secret is nowhere: not on stdout or stderr, not in any database file.
    assert!(!stderr_text.contains(SECRET) && !lines.join("\n").contains(SECRET));
    assert_eq!(
        grep_dir_for(data, SECRET),
        Vec::<String>::new(),
        "secret written to disk"
    );

    let mut c = paddock();
    c.args(["webhooks", "delete-secret", "github"]);
    common(&mut c);
    c.assert().success();
}

#[test]
fn serve_verifies_records_audits_and_proposals_can_be_decided() {
    keyring_child::in_private_keyring(E2E, child_e2e);
}
