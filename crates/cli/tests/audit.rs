//! `paddock audit ...` against the real binary and a real database file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use assert_cmd::Command;
use paddock_audit::{Actor, AuditLog, Kind, NewEvent};
use predicates::prelude::*;

fn paddock() -> Command {
    Command::cargo_bin("paddock").unwrap()
}

/// A log with 30 events: every third an egress deny, task t-1 / t-2 alternating.
fn seeded() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let log = AuditLog::open(&db).unwrap();
    for i in 0..30 {
        let ev = if i % 3 == 0 {
            NewEvent::new(Actor::Agent, Kind::Egress, "CONNECT")
                .resource(format!("evil{i}.example.net:443"))
                .outcome("deny")
        } else {
            NewEvent::new(Actor::Agent, Kind::ToolCall, "Bash")
                .resource(format!("cargo build --step {i}"))
                .outcome("allow")
        };
        log.append(
            ev.task(format!("t-{}", i % 2 + 1))
                .detail(serde_json::json!({ "i": i })),
        )
        .unwrap();
    }
    (dir, db)
}

fn audit(db: &Path) -> Command {
    let mut c = paddock();
    c.args(["audit", "--db", db.to_str().unwrap()]);
    c
}

fn stdout_of(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn list_prints_the_newest_page_oldest_first_and_hints_at_older() {
    let (_d, db) = seeded();
    let out = audit(&db).args(["list", "-n", "5"]).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let seqs: Vec<&str> = stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(seqs, ["#26", "#27", "#28", "#29", "#30"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("older events: --before 26"));
}

#[test]
fn list_pages_backwards_with_before() {
    let (_d, db) = seeded();
    let stdout = stdout_of(audit(&db).args(["list", "-n", "3", "--before", "26", "--json"]));
    let seqs: Vec<u64> = stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(seqs, [23, 24, 25]);
}

#[test]
fn list_filters_by_kind_outcome_task_and_text() {
    let (_d, db) = seeded();
    let stdout = stdout_of(audit(&db).args([
        "list",
        "--kind",
        "egress",
        "--outcome",
        "deny",
        "--task",
        "t-1",
        "--json",
    ]));
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // i % 3 == 0 and i % 2 == 0: i in {0, 6, 12, 18, 24}
    assert_eq!(events.len(), 5, "{stdout}");
    assert!(
        events
            .iter()
            .all(|e| e["kind"] == "egress" && e["task_id"] == "t-1")
    );
    let stdout = stdout_of(audit(&db).args(["list", "--search", "evil12"]));
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.contains("evil12.example.net"));
}

#[test]
fn unknown_kind_is_a_clear_usage_error() {
    let (_d, db) = seeded();
    audit(&db)
        .args(["list", "--kind", "egres"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("unknown kind \"egres\"")
                .and(predicate::str::contains("egress")),
        );
}

#[test]
fn unreadable_since_is_a_clear_usage_error() {
    let (_d, db) = seeded();
    audit(&db)
        .args(["list", "--since", "last week"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("cannot read time \"last week\"")
                .and(predicate::str::contains("7d")),
        );
}

#[test]
fn empty_time_range_is_refused() {
    let (_d, db) = seeded();
    audit(&db)
        .args(["list", "--since", "2026-01-02", "--until", "2026-01-01"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("empty time range"));
}

#[test]
fn show_by_sequence_and_by_id() {
    let (_d, db) = seeded();
    let json = stdout_of(audit(&db).args(["show", "#4", "--json"]));
    let ev: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(ev["seq"], 4);
    assert_eq!(ev["detail"]["i"], 3);
    let id = ev["id"].as_str().unwrap();
    let text = stdout_of(audit(&db).args(["show", id]));
    assert!(
        text.contains("seq:      #4") && text.contains("evil3.example.net:443"),
        "{text}"
    );
    audit(&db)
        .args(["show", "999"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no event \"999\""));
}

#[test]
fn verify_passes_on_an_intact_log() {
    let (_d, db) = seeded();
    audit(&db)
        .arg("checkpoint")
        .assert()
        .success()
        .stdout(predicate::str::contains("signed checkpoint at #30"));
    audit(&db).arg("verify").assert().success().stdout(
        predicate::str::contains("ok: 30 events")
            .and(predicate::str::contains("sealed through #30")),
    );
}

#[test]
fn verify_reports_the_first_broken_sequence_and_exits_1() {
    let (_d, db) = seeded();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "DROP TRIGGER events_no_update; UPDATE events SET outcome = 'allow' WHERE seq = 13;",
    )
    .unwrap();
    drop(conn);
    audit(&db)
        .arg("verify")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("BROKEN at #13"));
    let json = audit(&db).args(["verify", "--json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["first_broken"], 13);
}

#[test]
fn verify_with_a_different_pinned_key_fails() {
    let (_d, db) = seeded();
    audit(&db).arg("checkpoint").assert().success();
    let other = "11".repeat(32);
    audit(&db)
        .args(["verify", "--expect-key", &other])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("not the trusted key"));
}

#[test]
fn export_jsonl_to_stdout_and_csv_to_a_file() {
    let (d, db) = seeded();
    let jsonl = stdout_of(audit(&db).args(["export", "--kind", "tool_call"]));
    assert_eq!(jsonl.lines().count(), 20);
    assert!(
        jsonl
            .lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"] == "tool_call")
    );
    let csv_path = d.path().join("out.csv");
    audit(&db)
        .args(["export", "-o", csv_path.to_str().unwrap()])
        .assert()
        .success()
        .stderr(predicate::str::contains("exported 30 events"));
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert!(
        csv.starts_with("seq,id,ts,task_id,actor,kind,action,resource,outcome,detail,hash\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 31);
}

#[test]
fn data_dir_env_var_locates_the_log() {
    let (d, _db) = seeded();
    paddock()
        .args(["audit", "list", "-n", "1"])
        .env("PADDOCK_DATA_DIR", d.path())
        .assert()
        .success()
        .stdout(predicate::str::starts_with("#30 "));
}

#[test]
fn missing_log_is_reported_not_created() {
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join("nope.db");
    audit(&db)
        .arg("list")
        .assert()
        .failure()
        .stderr(predicate::str::contains("no audit log at"));
    assert!(!db.exists());
}

#[test]
fn tail_follow_prints_events_as_they_are_recorded() {
    let (_d, db) = seeded();
    let bin = assert_cmd::cargo::cargo_bin("paddock");
    let mut child = std::process::Command::new(bin)
        .args([
            "audit",
            "--db",
            db.to_str().unwrap(),
            "tail",
            "-f",
            "-n",
            "2",
            "--kind",
            "warning",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    // No warnings yet: nothing printed. Record one and one of another kind.
    let log = AuditLog::open(&db).unwrap();
    log.append(NewEvent::new(Actor::System, Kind::ToolCall, "Bash").resource("not shown"))
        .unwrap();
    log.append(NewEvent::new(Actor::System, Kind::Warning, "disk").resource("low disk space"))
        .unwrap();
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("tail -f printed nothing within 60 s");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        line.starts_with("#32 ") && line.contains("low disk space"),
        "{line}"
    );
    assert!(rx.try_iter().all(|l| !l.contains("not shown")));
}

#[test]
fn every_audit_subcommand_has_help() {
    for sub in ["list", "show", "tail", "verify", "export", "checkpoint"] {
        paddock()
            .args(["audit", sub, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Usage: paddock audit"));
    }
}
