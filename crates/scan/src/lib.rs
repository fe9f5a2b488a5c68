//! What could an agent on this machine reach today, and what does Paddock take away?
//!
//! Three parts:
//!
//! - **Risk audit** ([`scan`], [`scan_with_progress`]): looks for cloud
//!   credentials, package and VCS tokens, SSH and GPG keys, a live ssh-agent,
//!   tokens in environment variables, `.env` files in the chosen repos,
//!   writable Docker/Podman sockets, passwordless sudo, powerful groups,
//!   browser profiles, password-manager sessions and AI agent configs, and
//!   sums them up as a [`RiskLevel`] with reasons ([`RISK_RULES`]).
//! - **Bypass-mode warnings** ([`bypass`]): agent configs that switch off
//!   permission prompts, and repos with production remotes; an acknowledgement
//!   store so a task in bypass mode on a production repo cannot start unseen.
//! - **Outside vs inside** ([`compare`], [`inside`]): the same scan run inside
//!   the sandbox a task gets (`paddock scan --json` launched through
//!   paddock-sandbox, [`inside::scan_inside`]) compared row by row with the
//!   one outside.
//!
//! Invariants, stated as absences:
//! - No secret value is ever stored in a [`Finding`], a [`BypassWarning`], a
//!   log line or an error: values are read into locals, classified by
//!   `redact`, and only the kind, location and a short fingerprint leave
//!   (rules in `redact`): issuer-shown identifiers (AWS key IDs) as 4+4
//!   characters; prefixed tokens as the public prefix cut to 4 plus the last
//!   4 (≥ 32 secret chars) or 2 (≥ 16), else a hash; unknown random values as
//!   4+4 (≥ 40), 2+2 (≥ 24), else a hash. Passwords, basic-auth blobs and
//!   private key bodies never contribute a single character, only a keyed
//!   hash `hmac:xxxxxxxx` (random key per scan unless the caller fixes one).
//!   SSH keys show their public-key `SHA256:` fingerprint.
//! - No PII beyond file locations: account e-mails in gcloud/Azure caches are
//!   counted, not named.
//! - The scan never writes anything and never sends anything over a network;
//!   the only sockets it connects to are local Unix sockets (ssh-agent,
//!   Docker, Podman), to see whether they answer.
//! - Every file read is bounded ([`MAX_FILE_BYTES`]), every directory walk is
//!   bounded in depth and count, every child process has a timeout.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

pub mod bypass;
mod checks;
pub mod compare;
mod fsutil;
pub mod inside;
pub mod prompt;
mod redact;
mod text;

pub use bypass::{
    AckError, AckRecord, AckStore, BypassKind, BypassWarning, bypass_warnings, is_production, needs_ack,
    production_reason, production_remote, set_production,
};
pub use compare::{Row, RowStatus, compare, isolation_holds};
pub use prompt::{AUDIT_PROMPT, AUDIT_PROMPT_NOTE};
pub use text::render_text;

/// Largest file the scan reads (bigger ones are reported by presence only).
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// How bad one finding is on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

/// The machine's overall level: the highest severity found (Info counts as Low).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    Low,
    Medium,
    High,
    Critical,
}

impl From<Severity> for RiskLevel {
    fn from(s: Severity) -> Self {
        match s {
            Severity::Info | Severity::Low => RiskLevel::Low,
            Severity::Medium => RiskLevel::Medium,
            Severity::High => RiskLevel::High,
            Severity::Critical => RiskLevel::Critical,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        })
    }
}

impl std::fmt::Display for RiskLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RiskLevel::Low => "low",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
            RiskLevel::Critical => "critical",
        })
    }
}

/// How the rules map findings to a level; shown next to the level in the UI.
pub const RISK_RULES: &str = "\
The level is the most severe single finding.
critical: something that hands over the machine or a cloud account outright: long-lived cloud keys \
(AWS AKIA keys, GCP service-account keys, Azure service-principal secrets; we cannot tell what a key may do \
without using it, so we assume admin), live payment-provider keys, a root-owned Docker/Podman/containerd socket \
you can write to, passwordless sudo, running as root.
high: credentials that act as you somewhere: unencrypted SSH keys, an ssh-agent holding keys, GitHub/GitLab/npm/PyPI/\
crates.io tokens, Kubernetes credentials, cloud refresh tokens and live SSO sessions, unprotected GPG keys, API keys in \
the environment or in .env files, tokens in git remote URLs, unlocked password-manager sessions, browser cookie \
stores, AI agent login tokens, a rootless container socket, membership of the docker/lxd/disk groups.
medium: things that need one more step: credential helpers and login plugins an agent can call, SSO profiles, \
sudo/wheel membership (a password is still asked), a signed-in password-manager CLI.
low: passphrase-protected keys, expired tokens, agent transcripts, or nothing found.";

/// Broad kind of thing found, for grouping in the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Cloud,
    PackageToken,
    Vcs,
    Ssh,
    Gpg,
    Environment,
    EnvFile,
    Privilege,
    Browser,
    PasswordManager,
    AiAgent,
}

/// How long ago the thing was last written (file mtime).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Age {
    pub seconds: u64,
    /// "3 days", "2 years", "just now".
    pub human: String,
}

/// One thing an agent could use. Holds no secret value, by construction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable across runs and between outside and inside the sandbox, e.g.
    /// `aws.key:~/.aws/credentials[default]`, `envfile:repo0/.env[API_KEY, line 3]`
    /// (files in the i-th scanned repo are `repo<i>/...`, see [`ScanOptions::id_path`]).
    pub id: String,
    pub category: Category,
    /// "AWS access key ID (long-lived)", "SSH private key (unencrypted, ed25519)".
    pub kind: String,
    /// `~/...` under the scanned HOME, an absolute path elsewhere, `env NAME`
    /// for environment variables.
    pub location: String,
    /// Short and safe: `AKIA…WXYZ`, `ghp_…3fGh`, `hmac:1a2b3c4d`, an SSH
    /// public key fingerprint. `None` when there is no single value.
    pub fingerprint: Option<String>,
    pub age: Option<Age>,
    pub severity: Severity,
    /// Plain words: what an agent could do with it.
    pub explanation: String,
    /// What Paddock does instead.
    pub paddock_mitigation: String,
}

/// The whole audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub risk: RiskLevel,
    /// Why the level is what it is, one line per deciding finding.
    pub reasons: Vec<String>,
    /// Things the scan could not look at (unreadable files, timeouts), so a
    /// clean report is not mistaken for a complete one.
    #[serde(default)]
    pub notes: Vec<String>,
    /// When the scan ran (UTC), for "scanned 5 minutes ago".
    #[serde(default)]
    pub scanned_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Streamed while scanning, for a UI that shows findings as they come.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ScanEvent {
    /// A group of checks is starting ("SSH keys and agent").
    CheckStarted { check: String },
    Finding { finding: Finding },
    Note { note: String },
}

/// What to scan. Everything the scan reads comes from here, so the same code
/// runs against the real machine, a throwaway test HOME, or the sandbox's view.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub home: PathBuf,
    /// The environment the agent would inherit.
    pub env: BTreeMap<String, String>,
    /// Repositories to look into (`.env` files, project agent settings, remotes).
    pub repos: Vec<PathBuf>,
    /// Prefix for machine-wide paths (`/var/run/docker.sock`,
    /// `/etc/claude-code/...`). `/` normally; a tempdir in tests.
    pub system_root: PathBuf,
    /// Run the process-level checks (root, `sudo -n true`, `id -Gn`). They
    /// look at the calling process, not at `home`.
    pub system_checks: bool,
    /// Fixed key for hashed fingerprints, so two runs (outside and inside)
    /// give equal fingerprints for equal values. Random per scan if `None`.
    pub fingerprint_key: Option<[u8; 32]>,
    /// Limit for each child process (`sudo -n true`, `id`, `git`).
    pub command_timeout: Duration,
}

impl ScanOptions {
    /// This process's user: real HOME, real environment, machine checks on.
    pub fn for_current_user() -> Self {
        let home = dirs::home_dir().unwrap_or_else(|| PathBuf::from("/"));
        Self::for_home(home, std::env::vars().collect())
    }

    /// A given HOME and environment (tests, the sandbox's view).
    pub fn for_home(home: PathBuf, env: BTreeMap<String, String>) -> Self {
        Self {
            home,
            env,
            repos: Vec::new(),
            system_root: PathBuf::from("/"),
            system_checks: true,
            fingerprint_key: None,
            command_timeout: Duration::from_secs(5),
        }
    }

    /// `path` (absolute, e.g. `/etc/claude-code`) under [`Self::system_root`].
    pub fn system_path(&self, path: &str) -> PathBuf {
        self.system_root.join(path.trim_start_matches('/'))
    }

    /// `~/...` for paths under HOME, so locations match between runs with
    /// different HOMEs.
    pub fn display(&self, path: &Path) -> String {
        match path.strip_prefix(&self.home) {
            Ok(rel) if rel.as_os_str().is_empty() => "~".to_owned(),
            Ok(rel) => format!("~/{}", rel.display()),
            Err(_) => path.display().to_string(),
        }
    }

    /// The path as it appears in finding ids: `repo<i>/...` inside the i-th
    /// scanned repo (so a task worktree at another path matches its repo),
    /// else as [`Self::display`].
    pub fn id_path(&self, path: &Path) -> String {
        for (i, repo) in self.repos.iter().enumerate() {
            if let Ok(rel) = path.strip_prefix(repo) {
                return format!("repo{i}/{}", rel.display());
            }
        }
        self.display(path)
    }

    pub(crate) fn env_var(&self, name: &str) -> Option<&str> {
        self.env.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// A directory named by an env var, else `default` under HOME.
    pub(crate) fn dir_from_env(&self, var: &str, default: &str) -> PathBuf {
        self.env_var(var).map_or_else(|| self.home.join(default), PathBuf::from)
    }
}

/// Runs the whole audit.
pub fn scan(opts: &ScanOptions) -> Report {
    scan_with_progress(opts, &mut |_| {})
}

/// Runs the whole audit, calling `progress` as each check starts and as each
/// finding is made (in the order they are found).
pub fn scan_with_progress(opts: &ScanOptions, progress: &mut dyn FnMut(&ScanEvent)) -> Report {
    let mut ctx = checks::Ctx::new(opts, progress);
    checks::run_all(&mut ctx);
    let (mut findings, notes) = ctx.finish();
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    let (risk, reasons) = assess(&findings);
    Report { findings, risk, reasons, notes, scanned_at: Some(chrono::Utc::now()) }
}

/// Level and reasons for a set of findings ([`RISK_RULES`]).
pub fn assess(findings: &[Finding]) -> (RiskLevel, Vec<String>) {
    let Some(top) = findings.iter().map(|f| f.severity).max() else {
        return (
            RiskLevel::Low,
            vec!["Nothing found that an agent could use beyond the files you give it.".to_owned()],
        );
    };
    let level = RiskLevel::from(top);
    let mut reasons: Vec<String> = findings
        .iter()
        .filter(|f| f.severity == top)
        .map(|f| format!("{level}: {} at {}", f.kind, f.location))
        .collect();
    if level == RiskLevel::Low {
        reasons.push("low: nothing above low severity was found.".to_owned());
    }
    (level, reasons)
}

/// `"3 days"`, `"5 months"`: for ages shown to people.
pub fn human_duration(seconds: u64) -> String {
    const UNITS: &[(u64, &str)] =
        &[(365 * 86_400, "year"), (30 * 86_400, "month"), (86_400, "day"), (3_600, "hour"), (60, "minute")];
    for (size, name) in UNITS {
        if seconds >= *size {
            let n = seconds / size;
            return format!("{n} {name}{}", if n == 1 { "" } else { "s" });
        }
    }
    "just now".to_owned()
}

pub(crate) fn age_of(path: &Path, now: SystemTime) -> Option<Age> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    let seconds = now.duration_since(modified).map(|d| d.as_secs()).unwrap_or(0);
    Some(Age { seconds, human: human_duration(seconds) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(5), "just now");
        assert_eq!(human_duration(3 * 86_400 + 5), "3 days");
        assert_eq!(human_duration(400 * 86_400), "1 year");
    }

    #[test]
    fn empty_scan_is_low_with_a_reason() {
        let (level, reasons) = assess(&[]);
        assert_eq!(level, RiskLevel::Low);
        assert_eq!(reasons.len(), 1);
    }
}
