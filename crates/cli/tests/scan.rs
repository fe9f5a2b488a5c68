#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report
//! `paddock scan` against a throwaway HOME of fake credentials, with a clean
//! environment: the real binary, as a user (or the sandbox) would run it.

#[path = "../../scan/tests/fixture/mod.rs"]
mod fixture;

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use fixture::FakeHome;
use paddock_scan::{AckStore, BypassWarning, Report, RowStatus, compare};
use predicates::prelude::*;

/// `paddock scan` with only `env` in its environment.
fn scan_cmd(env: &BTreeMap<String, String>) -> Command {
    let mut cmd = Command::cargo_bin("paddock").unwrap();
    cmd.env_clear().envs(env).arg("scan");
    cmd
}

fn scan_fake(f: &FakeHome, extra: &[&str]) -> std::process::Output {
    let mut cmd = scan_cmd(&f.env);
    cmd.arg("--home").arg(&f.home).arg("--repo").arg(&f.repo).arg("--system-root").arg(&f.system_root);
    cmd.args(extra).current_dir(&f.home);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "paddock scan failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

#[test]
fn json_scan_reports_every_planted_credential() {
    let f = FakeHome::new();
    let out = scan_fake(&f, &["--json"]);
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    for e in &f.expected {
        let hit = report.findings.iter().find(|x| x.id.contains(&e.id) && x.kind.contains(e.kind));
        let hit = hit.unwrap_or_else(|| panic!("not reported: {} / {}", e.id, e.kind));
        assert_eq!(hit.severity.to_string(), e.severity, "{}", hit.id);
    }
    assert_eq!(report.risk.to_string(), "critical");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["bypass_warnings"].is_array());
}

#[test]
fn no_planted_secret_in_stdout_or_verbose_logs() {
    let f = FakeHome::new();
    let json = scan_fake(&f, &["--json", "-vvv"]);
    let text = scan_fake(&f, &["-vvv"]);
    let outputs = [
        ("json stdout", String::from_utf8_lossy(&json.stdout).into_owned()),
        ("json stderr", String::from_utf8_lossy(&json.stderr).into_owned()),
        ("text stdout", String::from_utf8_lossy(&text.stdout).into_owned()),
        ("text stderr", String::from_utf8_lossy(&text.stderr).into_owned()),
    ];
    // The human output really is the report (so the grep below means something).
    assert!(outputs[2].1.contains("Risk level: CRITICAL") && outputs[2].1.contains("~/.aws/credentials (default)"), "{}", outputs[2].1);
    assert!(outputs[1].1.contains("scan check started"), "logging was not on: {}", outputs[1].1);
    for (what, value) in &f.planted {
        for (name, out) in &outputs {
            assert!(!out.contains(value.as_str()), "{what} leaked into {name}");
        }
    }
}

fn empty_sandbox_view(dir: &Path) -> std::process::Output {
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let env = BTreeMap::from([("PATH".to_owned(), "/usr/bin:/bin".to_owned()), ("HOME".to_owned(), home.display().to_string())]);
    let out = scan_cmd(&env)
        .args(["--json", "--no-system", "--home"])
        .arg(&home)
        .arg("--system-root")
        .arg(dir.join("root"))
        .current_dir(&home)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out
}

#[test]
fn a_clean_sandbox_view_compares_as_everything_removed() {
    let f = FakeHome::new();
    let outside: Report = serde_json::from_slice(&scan_fake(&f, &["--json", "--no-system"]).stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let inside: Report = serde_json::from_slice(&empty_sandbox_view(dir.path()).stdout).unwrap();
    assert!(inside.findings.is_empty(), "{:?}", inside.findings);
    assert_eq!(inside.risk.to_string(), "low");
    let rows = compare(&outside, &inside);
    assert!(rows.len() > 40);
    assert!(rows.iter().all(|r| r.status == RowStatus::Removed), "{rows:?}");
}

#[test]
fn acknowledge_records_bypass_on_a_production_repo() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let repo = dir.path().join("shop");
    std::fs::create_dir_all(home.join(".claude")).unwrap();
    std::fs::write(home.join(".claude/settings.json"), r#"{"permissions":{"defaultMode":"bypassPermissions"}}"#).unwrap();
    std::fs::create_dir_all(&repo).unwrap();
    for args in [&["init", "-q"][..], &["remote", "add", "production", "https://git.heroku.com/shop.git"]] {
        assert!(std::process::Command::new("git").arg("-C").arg(&repo).args(args).status().unwrap().success());
    }
    let data = dir.path().join("data");
    let env = BTreeMap::from([
        ("PATH".to_owned(), "/usr/bin:/bin:/usr/local/bin".to_owned()),
        ("PADDOCK_DATA_DIR".to_owned(), data.display().to_string()),
    ]);
    let run = |extra: &[&str]| {
        let out = scan_cmd(&env).arg("--home").arg(&home).arg("--repo").arg(&repo).arg("--no-system").args(extra).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out
    };
    let out = run(&[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("needs your acknowledgement before a task runs"), "{text}");
    let json: serde_json::Value = serde_json::from_slice(&run(&["--json"]).stdout).unwrap();
    let warnings: Vec<BypassWarning> = serde_json::from_value(json["bypass_warnings"].clone()).unwrap();
    let needing: Vec<_> = warnings.iter().filter(|w| w.requires_ack).collect();
    assert_eq!(needing.len(), 1, "{warnings:?}");

    let store = AckStore::at(data.join("acks.json"));
    assert!(!store.is_acknowledged(&repo, &needing[0].id).unwrap());
    let out = run(&["--acknowledge"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("acknowledged:"));
    assert!(store.is_acknowledged(&repo, &needing[0].id).unwrap());
}

#[test]
fn prompt_prints_the_audit_prompt_and_the_review_note() {
    Command::cargo_bin("paddock")
        .unwrap()
        .args(["scan", "--prompt"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("Help me establish what credentials, system privileges and data access you have"))
        .stdout(predicate::str::contains("Review every command"));
}

#[test]
fn a_missing_home_is_a_clear_error() {
    Command::cargo_bin("paddock")
        .unwrap()
        .args(["scan", "--home", "/nonexistent/paddock-home"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--home /nonexistent/paddock-home is not a directory"));
}

#[test]
fn inside_a_real_sandbox_none_of_the_planted_credentials_is_reachable() {
    let f = FakeHome::new();
    let mut cmd = scan_cmd(&f.env);
    cmd.arg("--home").arg(&f.home).arg("--repo").arg(&f.repo).arg("--system-root").arg(&f.system_root);
    let out = cmd.args(["--inside", "--json", "--no-system"]).current_dir(&f.home).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Exit status 0 says isolation holds; 1 would list what is still reachable.
    assert!(out.status.success(), "paddock scan --inside failed ({}): {stderr}", out.status);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["backend"], "bubblewrap", "the inside scan must run in the real sandbox");
    assert_eq!(v["isolation_holds"], true);
    let rows: Vec<paddock_scan::Row> = serde_json::from_value(v["rows"].clone()).unwrap();
    for e in &f.expected {
        let row = rows.iter().find(|r| r.id.contains(&e.id) && r.kind.contains(e.kind));
        let row = row.unwrap_or_else(|| panic!("not compared: {} / {}", e.id, e.kind));
        assert_eq!(row.status, RowStatus::Removed, "{} is reachable inside the sandbox", row.id);
    }
    // The sandbox's own view really was scanned (a report, not an error):
    // its risk is low and it found none of what outside found.
    assert_eq!(v["inside"]["risk"], "low", "{}", v["inside"]);
    for (what, value) in &f.planted {
        let all = format!("{}{stderr}", String::from_utf8_lossy(&out.stdout));
        assert!(!all.contains(value.as_str()), "{what} leaked into the comparison output");
    }
}

#[test]
fn inside_without_a_sandbox_is_refused_not_faked() {
    // No bwrap on PATH: the inside scan must fail, even with unsandboxed runs allowed.
    let f = FakeHome::new();
    let empty = tempfile::tempdir().unwrap();
    let mut env = f.env.clone();
    env.insert("PATH".to_owned(), empty.path().display().to_string());
    env.insert("PADDOCK_ALLOW_UNSANDBOXED".to_owned(), "1".to_owned());
    let mut cmd = scan_cmd(&env);
    let out = cmd.arg("--home").arg(&f.home).args(["--inside", "--no-system"]).current_dir(&f.home).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no sandbox works on this machine"), "{stderr}");
}
