//! The individual checks, and the context they report into.

use std::path::Path;
use std::time::SystemTime;

use crate::fsutil::{self, ReadError};
use crate::redact::FingerprintKey;
use crate::{Category, Finding, ScanEvent, ScanOptions, Severity, age_of};

mod agents;
mod browser;
mod cloud;
mod env;
mod envfiles;
mod gpg;
mod ini;
mod ssh;
mod system;
mod tokens;

/// What Paddock does instead, shared by many findings.
pub(crate) mod instead {
    pub const FRESH_HOME: &str = "Tasks run in a sandbox with a fresh, empty HOME: this file is not there.";
    pub const CLOUD: &str = "Tasks run in a sandbox with a fresh, empty HOME, so this file is not there. When a task \
        needs the cloud, Paddock hands it short-lived credentials scoped to that task, and the keys you store in the OS \
        keyring never enter the sandbox.";
    pub const TOKENS: &str = "Tasks run in a sandbox with a fresh, empty HOME, so this file is not there. API calls \
        go through Paddock's egress proxy, which adds the token on the way out for allowed hosts only: the agent \
        never sees it.";
    pub const ENV: &str = "Paddock starts agents with a minimal environment: this variable is not passed into the \
        sandbox. Keys the task needs are injected by the egress proxy, outside the agent's reach.";
    pub const SSH: &str = "Tasks run with a fresh HOME and without SSH_AUTH_SOCK: neither the key file nor your \
        agent is reachable from the sandbox. Git pushes, when allowed, go through Paddock.";
    pub const SOCKETS: &str = "The sandbox does not mount the Docker or Podman socket, so the agent cannot talk to \
        the daemon.";
    pub const PRIVILEGE: &str = "Agents run in a user namespace sandbox with no_new_privs set: sudo and setuid \
        programs cannot raise their privileges, and group membership outside does not reach the daemons.";
    pub const BROWSER: &str = "Browser profiles are outside the sandbox's view: the agent cannot read cookies or \
        saved passwords.";
    pub const ENV_FILE: &str = "Each task runs in a fresh git worktree, which holds only committed files: this \
        untracked .env is not there.";
    pub const ENV_FILE_COMMITTED: &str = "Paddock cannot take a committed file out of a task's worktree; the egress \
        proxy keeps the agent from sending it to hosts you have not allowed. Removing it from git is the fix.";
    pub const AGENT: &str = "The sandbox gets its own agent config and login, not yours; your tokens, MCP \
        settings and transcripts stay outside.";
}

/// Kind, severity and the two explanations of a finding.
pub(crate) struct What<'s> {
    pub category: Category,
    pub kind: String,
    pub severity: Severity,
    pub explanation: &'s str,
    pub mitigation: &'s str,
}

/// Shared state of one scan run.
pub(crate) struct Ctx<'a> {
    pub opts: &'a ScanOptions,
    pub key: FingerprintKey,
    pub now: SystemTime,
    progress: &'a mut dyn FnMut(&ScanEvent),
    findings: Vec<Finding>,
    notes: Vec<String>,
}

impl<'a> Ctx<'a> {
    pub fn new(opts: &'a ScanOptions, progress: &'a mut dyn FnMut(&ScanEvent)) -> Self {
        Self {
            opts,
            key: FingerprintKey::new(opts.fingerprint_key),
            now: SystemTime::now(),
            progress,
            findings: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn finish(self) -> (Vec<Finding>, Vec<String>) {
        (self.findings, self.notes)
    }

    pub fn start(&mut self, check: &str) {
        tracing::debug!(check, "scan check started");
        (self.progress)(&ScanEvent::CheckStarted { check: check.to_owned() });
    }

    pub fn note(&mut self, note: String) {
        tracing::info!(%note, "scan note");
        (self.progress)(&ScanEvent::Note { note: note.clone() });
        self.notes.push(note);
    }

    fn push(&mut self, finding: Finding) {
        if self.findings.iter().any(|f| f.id == finding.id) {
            return;
        }
        (self.progress)(&ScanEvent::Finding { finding: finding.clone() });
        self.findings.push(finding);
    }

    /// A finding about a file; `detail` tells apart several in one file
    /// (a profile, a host).
    pub fn file(&mut self, check: &str, path: &Path, detail: Option<&str>, what: What<'_>, fingerprint: Option<String>) {
        let shown = self.opts.display(path);
        let key = self.opts.id_path(path);
        let (id, location) = match detail {
            Some(d) => (format!("{check}:{key}[{d}]"), format!("{shown} ({d})")),
            None => (format!("{check}:{key}"), shown),
        };
        let age = age_of(path, self.now);
        self.push(Finding {
            id,
            category: what.category,
            kind: what.kind,
            location,
            fingerprint,
            age,
            severity: what.severity,
            explanation: what.explanation.to_owned(),
            paddock_mitigation: what.mitigation.to_owned(),
        });
    }

    /// A finding that is not a file (a variable, a group, a process fact).
    pub fn other(&mut self, id: String, location: String, what: What<'_>, fingerprint: Option<String>) {
        self.push(Finding {
            id,
            category: what.category,
            kind: what.kind,
            location,
            fingerprint,
            age: None,
            severity: what.severity,
            explanation: what.explanation.to_owned(),
            paddock_mitigation: what.mitigation.to_owned(),
        });
    }

    /// File text if present; unreadable files become a note, not an error.
    pub fn read_text(&mut self, path: &Path) -> Option<String> {
        match fsutil::read_text(path) {
            Ok(text) => text,
            Err(ReadError::NotAFile) => None,
            Err(e) => {
                let shown = self.opts.display(path);
                self.note(format!("could not read {shown}: {e}"));
                None
            }
        }
    }

    /// File text if present and parseable as JSON.
    pub fn read_json(&mut self, path: &Path) -> Option<serde_json::Value> {
        let text = self.read_text(path)?;
        match serde_json::from_str(&text) {
            Ok(v) => Some(v),
            Err(e) => {
                // The serde_json message names line and column only, never content.
                let shown = self.opts.display(path);
                self.note(format!("{shown} is not valid JSON (line {}, column {})", e.line(), e.column()));
                None
            }
        }
    }
}

pub(crate) fn run_all(ctx: &mut Ctx<'_>) {
    ctx.start("cloud credentials");
    cloud::run(ctx);
    ctx.start("package and VCS tokens");
    tokens::run(ctx);
    ctx.start("SSH keys and agent");
    ssh::run(ctx);
    ctx.start("GPG keys");
    gpg::run(ctx);
    ctx.start("environment variables");
    env::run(ctx);
    ctx.start(".env files in repositories");
    envfiles::run(ctx);
    ctx.start("system privileges");
    system::run(ctx);
    ctx.start("browser profiles");
    browser::run(ctx);
    ctx.start("AI agent configs and password managers");
    agents::run(ctx);
}

/// Walks a JSON document and classifies every string under its key name.
/// Returns the secrets found (kind + fingerprint), in document order.
pub(crate) fn json_secrets(value: &serde_json::Value, key: &FingerprintKey) -> Vec<crate::redact::Classified> {
    fn walk(v: &serde_json::Value, name: &str, key: &FingerprintKey, out: &mut Vec<crate::redact::Classified>) {
        match v {
            serde_json::Value::String(s) => {
                if let Some(c) = crate::redact::classify(name, s, key) {
                    out.push(c);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, name, key, out)),
            serde_json::Value::Object(map) => map.iter().for_each(|(k, i)| walk(i, k, key, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, "", key, &mut out);
    out
}
