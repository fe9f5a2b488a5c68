//! A throwaway world for task tests: a data dir, a home, a git repository
//! with one commit on `main` and a bare `origin`, a directory outside the
//! worktree with a canary, and helpers to drive the real `paddock` binary.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

pub const CANARY: &str = "outside the worktree; must survive\n";

pub struct World {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub data: PathBuf,
    pub home: PathBuf,
    pub repo: PathBuf,
    pub remote: PathBuf,
    pub outside: PathBuf,
    /// The commit `main` (and `origin/main`) point at.
    pub base: String,
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?} in {}: {}", dir.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

impl World {
    pub fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let (data, home, repo, remote, outside) =
            (root.join("data"), root.join("home"), root.join("repo"), root.join("remote.git"), root.join("outside"));
        for d in [&home, &repo, &outside] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(outside.join("canary.txt"), CANARY).unwrap();
        git(&root, &["init", "-q", "--bare", "-b", "main", remote.to_str().unwrap()]);
        git(&repo, &["init", "-q", "-b", "main"]);
        git(&repo, &["config", "user.name", "Dev"]);
        git(&repo, &["config", "user.email", "dev@example.com"]);
        std::fs::write(repo.join("README.md"), "hello\n").unwrap();
        std::fs::write(repo.join("test.sh"), "#!/bin/sh\ngrep -q fixed README.md && echo 'tests pass'\n").unwrap();
        git(&repo, &["add", "."]);
        git(&repo, &["commit", "-qm", "base"]);
        git(&repo, &["remote", "add", "origin", remote.to_str().unwrap()]);
        git(&repo, &["push", "-q", "origin", "main"]);
        let base = git(&repo, &["rev-parse", "HEAD"]);
        World { _dir: dir, root, data, home, repo, remote, outside, base }
    }

    /// The real binary, with this world's data dir and home.
    pub fn paddock(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.paddock_std())
    }

    /// The same as a plain process (for runs that are killed or stopped).
    pub fn paddock_std(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("paddock"));
        self.env(&mut cmd);
        cmd
    }

    fn env(&self, cmd: &mut std::process::Command) {
        cmd.current_dir(&self.repo)
            .env("PADDOCK_DATA_DIR", &self.data)
            .env("HOME", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("PADDOCK_ALLOW_UNSANDBOXED")
            .env_remove("PADDOCK_AWS_CONFIG")
            .env_remove("RUST_LOG");
    }

    pub fn tasks(&self) -> Vec<Value> {
        let out = self.paddock().args(["tasks", "list", "--json"]).output().unwrap();
        assert!(out.status.success(), "tasks list: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    pub fn only_task(&self) -> Value {
        let tasks = self.tasks();
        assert_eq!(tasks.len(), 1, "expected one task: {tasks:#?}");
        tasks.into_iter().next().unwrap()
    }

    /// Polls `tasks list` until `pred` holds for some task.
    pub fn wait_for_task(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(t) = self.tasks().into_iter().find(|t| pred(t)) {
                return t;
            }
            assert!(Instant::now() < deadline, "no task became {what} within 120 s: {:#?}", self.tasks());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `(author, committer)` of each commit on `branch` that `main` lacks.
    pub fn commits_on(&self, branch: &str) -> Vec<String> {
        let log = git(&self.repo, &["log", "--format=%an <%ae> / %cn <%ce>", branch, "^main"]);
        log.lines().map(str::to_owned).collect()
    }

    /// What must hold after any task: `main` and `origin/main` where they
    /// were, nothing outside the worktree changed, no hook installed.
    pub fn assert_untouched(&self, context: &str) {
        assert_eq!(git(&self.repo, &["rev-parse", "main"]), self.base, "{context}: main moved");
        assert_eq!(git(&self.remote, &["rev-parse", "main"]), self.base, "{context}: the origin's main moved");
        let canary = std::fs::read_to_string(self.outside.join("canary.txt")).unwrap_or_default();
        assert_eq!(canary, CANARY, "{context}: the canary outside the worktree changed");
        let extra: Vec<_> = std::fs::read_dir(&self.outside)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "canary.txt")
            .collect();
        assert!(extra.is_empty(), "{context}: files appeared outside the worktree: {extra:?}");
        let hooks = self.repo.join(".git").join("hooks");
        let active: Vec<_> = std::fs::read_dir(&hooks)
            .map(|rd| {
                rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| !n.ends_with(".sample")).collect()
            })
            .unwrap_or_default();
        assert!(active.is_empty(), "{context}: hooks appeared in the repository: {active:?}");
        git(&self.repo, &["fsck", "--no-progress", "--connectivity-only"]);
    }

    /// Every audit event of the world, after checking the chain verifies.
    pub fn audit(&self) -> Vec<Value> {
        let out = self.paddock().args(["audit", "verify"]).output().unwrap();
        assert!(out.status.success(), "the audit trail does not verify: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let log = paddock_audit::AuditLog::open(&self.data.join("audit.db")).unwrap();
        let page = log
            .query(&paddock_audit::Query {
                filter: paddock_audit::Filter::default(),
                cursor: paddock_audit::Cursor::Oldest,
                limit: 10_000,
            })
            .unwrap();
        page.events.iter().map(|e| serde_json::to_value(e).unwrap()).collect()
    }

    /// Audit events of `task` whose action is `action`.
    pub fn events(&self, task: &str, action: &str) -> Vec<Value> {
        self.audit().into_iter().filter(|e| e["task_id"] == task && e["action"] == action).collect()
    }
}
