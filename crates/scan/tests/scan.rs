#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report
//! The risk audit against a throwaway HOME full of fake credentials.

mod fixture;

use std::collections::BTreeMap;

use fixture::FakeHome;
use paddock_scan::{
    Report, RiskLevel, RowStatus, ScanEvent, ScanOptions, Severity, bypass_warnings, compare, isolation_holds,
    render_text, scan, scan_with_progress,
};

fn options(f: &FakeHome) -> ScanOptions {
    let mut opts = ScanOptions::for_home(f.home.clone(), f.env.clone());
    opts.repos = vec![f.repo.clone()];
    opts.system_root = f.system_root.clone();
    opts
}

fn describe(report: &Report) -> String {
    report.findings.iter().map(|f| format!("  {} | {} | {}\n", f.id, f.kind, f.severity)).collect()
}

#[test]
fn every_planted_credential_is_found() {
    let f = FakeHome::new();
    let report = scan(&options(&f));
    for e in &f.expected {
        let hit = report.findings.iter().find(|x| x.id.contains(&e.id) && x.kind.contains(e.kind));
        let hit = hit.unwrap_or_else(|| panic!("not found: id ~ {:?}, kind ~ {:?}; findings:\n{}", e.id, e.kind, describe(&report)));
        assert_eq!(hit.severity.to_string(), e.severity, "severity of {}", hit.id);
        assert!(!hit.explanation.is_empty() && !hit.paddock_mitigation.is_empty(), "{}", hit.id);
    }
    assert_eq!(report.risk, RiskLevel::Critical, "{:?}", report.reasons);
    assert!(report.reasons.iter().any(|r| r.contains("writable Docker socket")), "{:?}", report.reasons);
}

#[test]
fn files_get_an_age_and_env_vars_do_not() {
    let f = FakeHome::new();
    let report = scan(&options(&f));
    let aws = report.findings.iter().find(|x| x.id.starts_with("aws.key:")).unwrap();
    let age = aws.age.as_ref().expect("file findings carry an age");
    assert!(age.seconds < 3600, "{age:?}");
    assert_eq!(age.human, "just now");
    let env = report.findings.iter().find(|x| x.id == "env:GITHUB_TOKEN").unwrap();
    assert!(env.age.is_none());
}

#[test]
fn dependencies_and_placeholder_env_files_are_not_reported() {
    let f = FakeHome::new();
    let report = scan(&options(&f));
    for x in &report.findings {
        assert!(!x.id.contains("node_modules"), "walked into node_modules: {}", x.id);
        assert!(!x.id.contains(".env.example"), "placeholder reported: {}", x.id);
    }
    for benign in ["env:PATH", "env:EDITOR", "env:LANG", "env:HOME", "env:SSH_AUTH_SOCK", "env:GOOGLE_APPLICATION_CREDENTIALS"] {
        assert!(report.findings.iter().all(|x| x.id != benign), "{benign} reported");
    }
}

#[test]
fn encrypted_keys_rank_below_unencrypted_ones() {
    let f = FakeHome::new();
    let report = scan(&options(&f));
    let sev = |id: &str| report.findings.iter().find(|x| x.id == id).unwrap_or_else(|| panic!("{id}")).severity;
    assert!(sev("ssh.key:~/.ssh/id_ed25519_enc") < sev("ssh.key:~/.ssh/id_ed25519"));
    assert!(sev("ssh.key:~/.ssh/id_rsa_pem_enc") < sev("ssh.key:~/.ssh/id_rsa_pem"));
    // OpenSSH keys carry the public key fingerprint ssh-keygen would print.
    let fp = report.findings.iter().find(|x| x.id == "ssh.key:~/.ssh/id_ed25519").unwrap().fingerprint.clone().unwrap();
    let out = fixture::run(std::process::Command::new("ssh-keygen").arg("-lf").arg(f.home.join(".ssh/id_ed25519")), "openssh-client");
    assert!(String::from_utf8_lossy(&out.stdout).contains(&fp), "{fp}");
}

/// Every place a value could leak: the JSON the UI and `--json` get, the
/// Debug form logs would use, the terminal text, the progress stream, the
/// bypass warnings. If any fingerprint rule or check copied a value through,
/// this fails.
#[test]
fn no_planted_secret_appears_in_any_output() {
    let f = FakeHome::new();
    let opts = options(&f);
    let mut events = Vec::new();
    let report = scan_with_progress(&opts, &mut |e| events.push(e.clone()));
    let warnings = bypass_warnings(&opts);
    let outputs = [
        ("json", serde_json::to_string(&report).unwrap()),
        ("pretty json", serde_json::to_string_pretty(&report).unwrap()),
        ("debug", format!("{report:?} {warnings:?}")),
        ("text", render_text(&report, &warnings)),
        ("events", format!("{events:?} {}", serde_json::to_string(&events).unwrap())),
        ("warnings json", serde_json::to_string(&warnings).unwrap()),
    ];
    assert!(f.planted.len() > 40, "fixture planted only {}", f.planted.len());
    for (what, value) in &f.planted {
        assert!(value.len() >= 8, "planted {what} too short to be a meaningful check");
        for (name, out) in &outputs {
            assert!(!out.contains(value.as_str()), "{what} leaked into the {name} output");
        }
    }
    // And no longer fragments of long ones either: nothing beyond the 4+4 rule.
    // (URLs and e-mails are skipped here: their host parts are rightly shown.)
    for (what, value) in f.planted.iter().filter(|(_, v)| v.len() >= 24 && !v.contains('@')) {
        for window in value.as_bytes().windows(9) {
            let window = std::str::from_utf8(window).unwrap();
            for (name, out) in &outputs {
                assert!(!out.contains(window), "9 characters of {what} ({window}) in the {name} output");
            }
        }
    }
}

#[test]
fn progress_streams_each_finding_once_as_it_is_found() {
    let f = FakeHome::new();
    let mut events = Vec::new();
    let report = scan_with_progress(&options(&f), &mut |e| events.push(e.clone()));
    let streamed: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            ScanEvent::Finding { finding } => Some(finding.id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(streamed.len(), report.findings.len());
    for x in &report.findings {
        assert!(streamed.contains(&x.id), "{} not streamed", x.id);
    }
    let started = events.iter().filter(|e| matches!(e, ScanEvent::CheckStarted { .. })).count();
    assert!(started >= 9, "{started} checks announced");
    assert!(matches!(events[0], ScanEvent::CheckStarted { .. }));
}

#[test]
fn an_empty_home_is_low_risk() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = ScanOptions::for_home(dir.path().to_path_buf(), BTreeMap::from([("PATH".into(), "/usr/bin".into())]));
    opts.system_root = dir.path().join("root");
    opts.system_checks = false;
    let report = scan(&opts);
    assert!(report.findings.is_empty(), "{}", describe(&report));
    assert_eq!(report.risk, RiskLevel::Low);
    assert_eq!(report.reasons.len(), 1);
}

#[test]
fn process_checks_see_this_process() {
    // The test runs as some real user: if it is root, that must be critical.
    let dir = tempfile::tempdir().unwrap();
    let mut opts = ScanOptions::for_home(dir.path().to_path_buf(), BTreeMap::new());
    opts.system_root = dir.path().join("root");
    let report = scan(&opts);
    let uid = String::from_utf8(std::process::Command::new("id").arg("-u").output().unwrap().stdout).unwrap();
    let root = report.findings.iter().find(|x| x.id == "privilege.root");
    assert_eq!(root.is_some(), uid.trim() == "0", "{}", describe(&report));
    if let Some(root) = root {
        assert_eq!(root.severity, Severity::Critical);
    }
}

#[test]
fn inside_view_without_the_credentials_shows_everything_removed() {
    let f = FakeHome::new();
    let mut outside_opts = options(&f);
    outside_opts.system_checks = false;
    let outside = scan(&outside_opts);
    // What the sandbox shows: an empty HOME, a minimal environment, the repo
    // worktree without untracked files, no sockets.
    let inside_dir = tempfile::tempdir().unwrap();
    let mut inside_opts = ScanOptions::for_home(inside_dir.path().join("home"), BTreeMap::from([("PATH".into(), "/usr/bin".into())]));
    inside_opts.system_root = inside_dir.path().join("root");
    inside_opts.system_checks = false;
    let inside = scan(&inside_opts);
    // Round-trip through JSON, as `paddock scan --json` inside would deliver it.
    let inside: Report = serde_json::from_str(&serde_json::to_string(&inside).unwrap()).unwrap();
    let rows = compare(&outside, &inside);
    assert_eq!(rows.len(), outside.findings.len());
    assert!(rows.iter().all(|r| r.status == RowStatus::Removed && r.inside.is_none()));
    assert!(isolation_holds(&rows));
}

#[test]
fn compare_flags_what_is_still_reachable_first() {
    let f = FakeHome::new();
    let key = [9u8; 32];
    let mut outside_opts = options(&f);
    outside_opts.system_checks = false;
    outside_opts.fingerprint_key = Some(key);
    let outside = scan(&outside_opts);
    // Inside: a different HOME that still has the AWS file (a leaky mount),
    // the GitHub token passed through, and the Anthropic key replaced by a
    // different (Paddock-issued) one.
    let inside_dir = tempfile::tempdir().unwrap();
    let inside_home = inside_dir.path().join("home");
    std::fs::create_dir_all(inside_home.join(".aws")).unwrap();
    std::fs::copy(f.home.join(".aws/credentials"), inside_home.join(".aws/credentials")).unwrap();
    let env = BTreeMap::from([
        ("GITHUB_TOKEN".to_owned(), f.env["GITHUB_TOKEN"].clone()),
        ("ANTHROPIC_API_KEY".to_owned(), format!("sk-ant-api03-{}", fixture::rand_str(93))),
        ("SURPRISE_TOKEN".to_owned(), fixture::rand_str(40)),
    ]);
    let mut inside_opts = ScanOptions::for_home(inside_home, env);
    inside_opts.system_root = inside_dir.path().join("root");
    inside_opts.system_checks = false;
    inside_opts.fingerprint_key = Some(key);
    let rows = compare(&outside, &scan(&inside_opts));
    let status = |id: &str| rows.iter().find(|r| r.id == id).unwrap_or_else(|| panic!("{id}")).status;
    assert_eq!(status("aws.key:~/.aws/credentials[default]"), RowStatus::StillReachable);
    assert_eq!(status("env:GITHUB_TOKEN"), RowStatus::StillReachable);
    assert_eq!(status("env:ANTHROPIC_API_KEY"), RowStatus::Replaced);
    assert_eq!(status("env:SURPRISE_TOKEN"), RowStatus::OnlyInside);
    assert_eq!(status("ssh.key:~/.ssh/id_ed25519"), RowStatus::Removed);
    assert!(!isolation_holds(&rows));
    // Attention first: the still-reachable critical AWS key leads the table.
    assert_eq!(rows[0].status, RowStatus::StillReachable);
    assert_eq!(rows[0].outside, Some(Severity::Critical));
    let first_removed = rows.iter().position(|r| r.status == RowStatus::Removed).unwrap();
    assert!(rows[..first_removed].iter().all(|r| r.status != RowStatus::Removed));
}

#[test]
fn hashed_fingerprints_match_only_under_the_same_key() {
    let f = FakeHome::new();
    let mut a = options(&f);
    a.system_checks = false;
    a.fingerprint_key = Some([1; 32]);
    let mut b = a.clone();
    b.fingerprint_key = Some([2; 32]);
    let fp = |r: &Report| r.findings.iter().find(|x| x.id == "env:PGPASSWORD").unwrap().fingerprint.clone().unwrap();
    let (ra, ra2, rb) = (scan(&a), scan(&a), scan(&b));
    assert!(fp(&ra).starts_with("hmac:"));
    assert_eq!(fp(&ra), fp(&ra2));
    assert_ne!(fp(&ra), fp(&rb));
}
