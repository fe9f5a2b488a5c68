#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report
//! Bypass-mode warnings, production detection and the acknowledgement store,
//! driven by the cases in `tests/data/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use paddock_scan::{AckStore, BypassKind, ScanOptions, bypass_warnings, production_reason, production_remote, set_production};
use serde::Deserialize;

#[derive(Deserialize)]
struct Cases<T> {
    case: Vec<T>,
}

#[derive(Deserialize)]
struct BypassCase {
    name: String,
    #[serde(default)]
    files: BTreeMap<String, String>,
    #[serde(default)]
    mode: BTreeMap<String, u32>,
    #[serde(default)]
    remotes: Vec<(String, String)>,
    production: Option<bool>,
    expect: Vec<Expected>,
}

#[derive(Deserialize)]
struct Expected {
    kind: BypassKind,
    at: String,
    #[serde(default)]
    requires_ack: bool,
}

struct World {
    _dir: tempfile::TempDir,
    home: PathBuf,
    repo: PathBuf,
    opts: ScanOptions,
}

fn git(repo: &Path, args: &[&str]) {
    let out = Command::new("git").arg("-C").arg(repo).args(args).output().expect("git must be installed (apt: git)");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    let mut opts = ScanOptions::for_home(home.clone(), BTreeMap::new());
    opts.system_root = dir.path().join("system");
    opts.system_checks = false;
    opts.repos = vec![repo.clone()];
    World { _dir: dir, home, repo, opts }
}

impl World {
    fn path(&self, spec: &str) -> PathBuf {
        let (root, rel) = spec.split_once('/').unwrap();
        match root {
            "home" => self.home.join(rel),
            "repo" => self.repo.join(rel),
            "system" => self.opts.system_root.join(rel),
            other => panic!("unknown root {other} in {spec}"),
        }
    }

    fn write(&self, spec: &str, text: &str) {
        let path = self.path(spec);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

#[test]
fn bypass_cases() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/bypass_cases.toml")).unwrap();
    let cases: Cases<BypassCase> = toml::from_str(&text).unwrap();
    assert!(cases.case.len() >= 25);
    for case in cases.case {
        let w = world();
        for (spec, content) in &case.files {
            w.write(spec, content);
        }
        for (spec, mode) in &case.mode {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(w.path(spec), std::fs::Permissions::from_mode(*mode)).unwrap();
        }
        for (name, url) in &case.remotes {
            git(&w.repo, &["remote", "add", name, url]);
        }
        if let Some(p) = case.production {
            set_production(&w.repo, p).unwrap();
        }
        let got = bypass_warnings(&w.opts);
        let summary: Vec<String> = got.iter().map(|g| format!("{:?} at {} ack={}", g.kind, g.location, g.requires_ack)).collect();
        assert_eq!(got.len(), case.expect.len(), "case {:?}: got {summary:#?}", case.name);
        for e in &case.expect {
            let hit = got.iter().any(|g| g.kind == e.kind && g.location.contains(&e.at) && g.requires_ack == e.requires_ack);
            assert!(hit, "case {:?}: expected {:?} at {:?} (ack {}), got {summary:#?}", case.name, e.kind, e.at, e.requires_ack);
        }
        for g in &got {
            assert!(!g.explanation.is_empty() && !g.paddock_instead.is_empty(), "case {:?}", case.name);
        }
    }
}

#[derive(Deserialize)]
struct RemoteCase {
    name: String,
    remote: String,
    url: String,
    production: bool,
}

#[test]
fn production_remote_cases() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/production_remotes.toml")).unwrap();
    let cases: Cases<RemoteCase> = toml::from_str(&text).unwrap();
    for case in cases.case {
        let reason = production_remote(&case.remote, &case.url);
        assert_eq!(reason.is_some(), case.production, "case {:?}: {reason:?}", case.name);
        if let Some(r) = reason {
            assert!(!r.contains("s3cr3t"), "case {:?}: {r}", case.name);
        }
    }
}

#[test]
fn production_marking_round_trips_through_git_config() {
    let w = world();
    assert_eq!(production_reason(&w.repo), None);
    set_production(&w.repo, true).unwrap();
    assert!(paddock_scan::is_production(&w.repo));
    assert!(production_reason(&w.repo).unwrap().contains("paddock.production"));
    set_production(&w.repo, false).unwrap();
    assert!(!paddock_scan::is_production(&w.repo));
    // Not a repository: not production, and no panic.
    assert!(!paddock_scan::is_production(&w.home));
}

fn bypass_on_production() -> World {
    let w = world();
    w.write("home/.claude/settings.json", r#"{"permissions": {"defaultMode": "bypassPermissions"}}"#);
    git(&w.repo, &["remote", "add", "production", "https://git.heroku.com/acme.git"]);
    w
}

#[test]
fn a_task_needs_an_acknowledgement_until_one_is_recorded() {
    let w = bypass_on_production();
    let store = AckStore::at(w.home.join("data/acks.json"));
    assert!(store.needs_ack(&w.opts, &w.repo).unwrap());
    let pending = store.unacknowledged(&w.opts, &w.repo).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].kind, BypassKind::BypassOnProduction);

    let before = chrono::Utc::now();
    let record = store.acknowledge(&w.repo, &pending[0].id).unwrap();
    assert!(record.acknowledged_at >= before);
    assert!(!store.needs_ack(&w.opts, &w.repo).unwrap());

    // Persisted: a new store on the same file agrees, and the file holds an RFC 3339 time.
    let again = AckStore::at(w.home.join("data/acks.json"));
    assert!(!again.needs_ack(&w.opts, &w.repo).unwrap());
    let raw = std::fs::read_to_string(again.path()).unwrap();
    let stored: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let at = stored["acks"][0]["acknowledged_at"].as_str().unwrap();
    chrono::DateTime::parse_from_rfc3339(at).unwrap();

    assert_eq!(store.revoke(&w.repo).unwrap(), 1);
    assert!(store.needs_ack(&w.opts, &w.repo).unwrap());
}

#[test]
fn no_acknowledgement_without_production_or_without_bypass() {
    let w = world();
    w.write("home/.claude/settings.json", r#"{"permissions": {"defaultMode": "bypassPermissions"}}"#);
    let store = AckStore::at(w.home.join("data/acks.json"));
    assert!(!store.needs_ack(&w.opts, &w.repo).unwrap(), "not production");
    let w = world();
    git(&w.repo, &["remote", "add", "production", "https://git.heroku.com/acme.git"]);
    assert!(!store.needs_ack(&w.opts, &w.repo).unwrap(), "no bypass configured");
    // ... unless the runner itself is about to start the agent in bypass mode.
    assert!(store.needs_ack_for_task(&w.opts, &w.repo, true).unwrap());
    assert!(!store.needs_ack_for_task(&w.opts, &w.repo, false).unwrap());
    let id = format!("production.bypass:{}", w.opts.display(&w.repo));
    store.acknowledge(&w.repo, &id).unwrap();
    assert!(!store.needs_ack_for_task(&w.opts, &w.repo, true).unwrap());
}

#[test]
fn acknowledgements_are_per_repository() {
    let w = bypass_on_production();
    let store = AckStore::at(w.home.join("data/acks.json"));
    let other = w.home.join("other");
    std::fs::create_dir_all(&other).unwrap();
    git(&other, &["init", "-q"]);
    git(&other, &["remote", "add", "prod", "git@github.com:acme/other.git"]);
    let id = store.unacknowledged(&w.opts, &w.repo).unwrap()[0].id.clone();
    store.acknowledge(&w.repo, &id).unwrap();
    assert!(!store.needs_ack(&w.opts, &w.repo).unwrap());
    assert!(store.needs_ack(&w.opts, &other).unwrap());
}

#[test]
fn a_damaged_store_is_an_error_that_says_what_to_do() {
    let w = bypass_on_production();
    let path = w.home.join("data/acks.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "{ not json").unwrap();
    let err = AckStore::at(path.clone()).needs_ack(&w.opts, &w.repo).unwrap_err().to_string();
    assert!(err.contains(&path.display().to_string()) && err.contains("damaged"), "{err}");
}
