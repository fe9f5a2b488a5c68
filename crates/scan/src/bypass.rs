//! Bypass-mode warnings: configurations that let an agent act without asking,
//! production repositories, and the acknowledgement a task needs before it
//! runs in bypass mode on one.
//!
//! Production heuristic ([`production_reason`]), in order:
//! 1. `git config paddock.production` set to a boolean decides outright
//!    (set it with [`set_production`] or `git config paddock.production true`).
//! 2. A remote whose **name** has a word `prod`, `production`, `prd` or `live`
//!    (`prod`, `heroku-production`, `live`).
//! 3. A remote whose **URL** has a word `prod`, `production` or `prd` in its
//!    host or path (`git@github.com:acme/api-prod.git`), or points at a
//!    push-to-deploy host (Heroku, Dokku, Azure App Service, Platform.sh,
//!    WP Engine), where a push *is* a release.
//!
//! Words are split on anything that is not a letter or digit, so `product`
//! and `prodigy` do not count; `live` is left out of URLs because project
//! names like `phoenix-live-view` are common.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ScanOptions;
use crate::fsutil::{self, git, run_with_timeout};

/// What kind of bypass a warning is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BypassKind {
    /// Claude Code `permissions.defaultMode: "bypassPermissions"`.
    ClaudeBypassPermissions,
    /// Claude Code `skipDangerousModePermissionPrompt: true`.
    ClaudeSkipDangerousPrompt,
    /// A shell alias, function or script passing `--dangerously-skip-permissions`
    /// (or Codex's `--dangerously-bypass-approvals-and-sandbox`).
    ShellDangerousFlag,
    /// Codex `approval_policy = "never"`.
    CodexApprovalNever,
    /// Codex `sandbox_mode = "danger-full-access"`.
    CodexDangerFullAccess,
    /// A repository that looks like (or is marked) production.
    ProductionRepo,
    /// Bypass mode is in effect for a production repository: needs an acknowledgement.
    BypassOnProduction,
}

/// One warning, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BypassWarning {
    /// Stable: the acknowledgement store keys on it.
    pub id: String,
    pub kind: BypassKind,
    /// `~/.claude/settings.json (user)`, `~/.bashrc:12`, a repo path.
    pub location: String,
    /// The repository it applies to; `None` for machine-wide settings.
    pub repo: Option<PathBuf>,
    pub explanation: String,
    pub paddock_instead: String,
    /// A task must not start until this is acknowledged ([`AckStore`]).
    pub requires_ack: bool,
}

const CLAUDE_INSTEAD: &str = "Paddock runs Claude Code unattended without bypass mode: every tool call goes \
    through Paddock's policy gate (a PreToolUse hook) inside a sandbox, so routine work is allowed and dangerous \
    commands are stopped, instead of nothing being checked.";
const CODEX_INSTEAD: &str = "Paddock runs Codex inside its own sandbox with its own config: the network goes \
    through an allowlisting proxy and the filesystem is limited to the task's worktree, whatever Codex's own \
    settings say.";

/// Claude Code settings levels, lowest to highest precedence but managed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Managed,
    User,
    Project,
    Local,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Managed => "managed",
            Level::User => "user",
            Level::Project => "project",
            Level::Local => "local",
        }
    }
}

fn managed_settings_path(opts: &ScanOptions) -> PathBuf {
    if cfg!(target_os = "macos") {
        opts.system_path("/Library/Application Support/ClaudeCode/managed-settings.json")
    } else {
        opts.system_path("/etc/claude-code/managed-settings.json")
    }
}

/// Every bypass-mode warning for this HOME and these repos.
pub fn bypass_warnings(opts: &ScanOptions) -> Vec<BypassWarning> {
    let mut out = Vec::new();
    let claude_dir = opts.dir_from_env("CLAUDE_CONFIG_DIR", ".claude");
    let mut settings = vec![(Level::Managed, managed_settings_path(opts), None), (Level::User, claude_dir.join("settings.json"), None)];
    for repo in &opts.repos {
        settings.push((Level::Project, repo.join(".claude/settings.json"), Some(repo.clone())));
        settings.push((Level::Local, repo.join(".claude/settings.local.json"), Some(repo.clone())));
    }
    for (level, path, repo) in settings {
        claude_settings(opts, level, &path, repo, &mut out);
    }
    shell_flags(opts, &mut out);
    let mut codex = vec![(opts.dir_from_env("CODEX_HOME", ".codex").join("config.toml"), None)];
    codex.extend(opts.repos.iter().map(|r| (r.join(".codex/config.toml"), Some(r.clone()))));
    for (path, repo) in codex {
        codex_config(opts, &path, repo, &mut out);
    }
    for repo in &opts.repos {
        production(opts, repo, &mut out);
    }
    out
}

fn claude_settings(opts: &ScanOptions, level: Level, path: &Path, repo: Option<PathBuf>, out: &mut Vec<BypassWarning>) {
    let Ok(Some(text)) = fsutil::read_text(path) else { return };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
        tracing::warn!(path = %path.display(), "Claude Code settings are not valid JSON; skipped");
        return;
    };
    let shown = format!("{} ({} settings)", opts.display(path), level.name());
    let who = match level {
        Level::Managed => "for every user of this machine",
        Level::User => "for every project you open",
        Level::Project => "for everyone who opens this repository",
        Level::Local => "for you in this repository",
    };
    if json.pointer("/permissions/defaultMode").and_then(|v| v.as_str()) == Some("bypassPermissions") {
        out.push(BypassWarning {
            id: format!("claude.bypass:{}", opts.display(path)),
            kind: BypassKind::ClaudeBypassPermissions,
            location: shown.clone(),
            repo: repo.clone(),
            explanation: format!(
                "Claude Code starts in bypass-permissions mode {who}: it runs any command, edits any file and \
                 reaches any network address without asking first."
            ),
            paddock_instead: CLAUDE_INSTEAD.to_owned(),
            requires_ack: false,
        });
    }
    if json.get("skipDangerousModePermissionPrompt").and_then(serde_json::Value::as_bool) == Some(true) {
        out.push(BypassWarning {
            id: format!("claude.skip_prompt:{}", opts.display(path)),
            kind: BypassKind::ClaudeSkipDangerousPrompt,
            location: shown,
            repo,
            explanation: format!(
                "The one-time warning before bypass mode is switched off {who}: --dangerously-skip-permissions \
                 takes effect without anyone confirming it."
            ),
            paddock_instead: CLAUDE_INSTEAD.to_owned(),
            requires_ack: false,
        });
    }
}

/// Flags that turn every check off.
const DANGEROUS_FLAGS: &[&str] = &["--dangerously-skip-permissions", "--dangerously-bypass-approvals-and-sandbox"];
const SCRIPT_LIMIT: u64 = 256 * 1024;

fn shell_flags(opts: &ScanOptions, out: &mut Vec<BypassWarning>) {
    let home = &opts.home;
    let mut files: Vec<PathBuf> = [".bashrc", ".bash_profile", ".bash_aliases", ".profile", ".zshrc", ".zprofile", ".config/fish/config.fish"]
        .iter()
        .map(|f| home.join(f))
        .collect();
    files.extend(fsutil::list_dir(&home.join(".config/fish/functions"), 500));
    for dir in ["bin", ".local/bin"] {
        files.extend(fsutil::list_dir(&home.join(dir), 500).into_iter().filter(|p| is_executable(p)));
    }
    for path in files {
        // Bounded, and binaries skipped: the agents' own executables contain
        // these flags in their help text.
        let Ok(bytes) = fsutil::read_limited(&path, SCRIPT_LIMIT) else { continue };
        if fsutil::looks_binary(&bytes) {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with('#') {
                continue;
            }
            let Some(flag) = DANGEROUS_FLAGS.iter().find(|f| code.contains(*f)) else { continue };
            let location = format!("{}:{}", opts.display(&path), n + 1);
            out.push(BypassWarning {
                id: format!("shell.flag:{location}"),
                kind: BypassKind::ShellDangerousFlag,
                location,
                repo: None,
                explanation: format!(
                    "This alias, function or script starts an agent with {flag}: every time you use it, the agent \
                     runs with no permission checks at all."
                ),
                paddock_instead: CLAUDE_INSTEAD.to_owned(),
                requires_ack: false,
            });
            break;
        }
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn codex_config(opts: &ScanOptions, path: &Path, repo: Option<PathBuf>, out: &mut Vec<BypassWarning>) {
    let Ok(Some(text)) = fsutil::read_text(path) else { return };
    let doc = match text.parse::<toml::Table>() {
        Ok(doc) => doc,
        Err(e) => {
            // toml's message quotes the offending line; log only where it is.
            let at = e.span().map(|s| s.start).unwrap_or(0);
            tracing::warn!(path = %path.display(), byte = at, "Codex config is not valid TOML; skipped");
            return;
        }
    };
    let mut scopes: Vec<(String, &toml::Table)> = vec![("top level".to_owned(), &doc)];
    if let Some(profiles) = doc.get("profiles").and_then(|p| p.as_table()) {
        for (name, table) in profiles {
            if let Some(t) = table.as_table() {
                scopes.push((format!("profile {name}"), t));
            }
        }
    }
    for (scope, table) in scopes {
        let location = format!("{} ({scope})", opts.display(path));
        if table.get("approval_policy").and_then(|v| v.as_str()) == Some("never") {
            out.push(BypassWarning {
                id: format!("codex.approval_never:{location}"),
                kind: BypassKind::CodexApprovalNever,
                location: location.clone(),
                repo: repo.clone(),
                explanation: "Codex never asks before running a command: whatever its sandbox allows, it does \
                    without you seeing it first."
                    .to_owned(),
                paddock_instead: CODEX_INSTEAD.to_owned(),
                requires_ack: false,
            });
        }
        if table.get("sandbox_mode").and_then(|v| v.as_str()) == Some("danger-full-access") {
            out.push(BypassWarning {
                id: format!("codex.full_access:{location}"),
                kind: BypassKind::CodexDangerFullAccess,
                location,
                repo: repo.clone(),
                explanation: "Codex's sandbox is off: commands it runs can read and change any file you can and \
                    reach any network address."
                    .to_owned(),
                paddock_instead: CODEX_INSTEAD.to_owned(),
                requires_ack: false,
            });
        }
    }
}

fn production(opts: &ScanOptions, repo: &Path, out: &mut Vec<BypassWarning>) {
    let Some(reason) = production_reason_with(repo, opts.command_timeout) else { return };
    let shown = opts.display(repo);
    out.push(BypassWarning {
        id: format!("production:{shown}"),
        kind: BypassKind::ProductionRepo,
        location: shown.clone(),
        repo: Some(repo.to_path_buf()),
        explanation: format!("This repository looks like production ({reason}): a push from here can reach users."),
        paddock_instead: "Paddock gives each task its own worktree and branch and does not push unless you allow \
            it; pushes to production remotes stay behind the gate."
            .to_owned(),
        requires_ack: false,
    });
    let bypass_here: Vec<String> = out
        .iter()
        .filter(|w| w.kind != BypassKind::ProductionRepo && w.kind != BypassKind::BypassOnProduction)
        .filter(|w| w.repo.as_deref().is_none_or(|r| r == repo))
        .map(|w| w.location.clone())
        .collect();
    if !bypass_here.is_empty() {
        out.push(BypassWarning {
            id: format!("production.bypass:{shown}"),
            kind: BypassKind::BypassOnProduction,
            location: shown,
            repo: Some(repo.to_path_buf()),
            explanation: format!(
                "Bypass mode is switched on ({}) and this repository is production ({reason}). An agent in bypass \
                 mode here could push, deploy or run migrations without anyone approving. Paddock will not start a \
                 task here until you acknowledge this.",
                bypass_here.join("; ")
            ),
            paddock_instead: "Tasks on this repository still run in the sandbox behind the gate; the \
                acknowledgement only records that you know bypass settings exist for it."
                .to_owned(),
            requires_ack: true,
        });
    }
}

/// True if the repository is production, by explicit marking or by its remotes.
pub fn is_production(repo: &Path) -> bool {
    production_reason(repo).is_some()
}

/// Why the repository counts as production, or `None`.
pub fn production_reason(repo: &Path) -> Option<String> {
    production_reason_with(repo, std::time::Duration::from_secs(10))
}

fn production_reason_with(repo: &Path, timeout: std::time::Duration) -> Option<String> {
    let out = run_with_timeout(
        git(repo).args(["config", "--get-regexp", r"^(remote\..*\.url|paddock\.production)$"]),
        timeout,
    )
    .ok()??;
    // Exit 1 means "no matching keys", not failure.
    let text = String::from_utf8_lossy(&out.stdout);
    let mut remotes = Vec::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(' ') else { continue };
        if key == "paddock.production" {
            return match value.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" => Some("marked with git config paddock.production".to_owned()),
                _ => None,
            };
        }
        if let Some(name) = key.strip_prefix("remote.").and_then(|k| k.strip_suffix(".url")) {
            remotes.push((name.to_owned(), value.trim().to_owned()));
        }
    }
    remotes.iter().find_map(|(name, url)| production_remote(name, url))
}

fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_ascii_lowercase)
}

/// Why this remote looks like production, or `None` (heuristic in the module docs).
pub fn production_remote(name: &str, url: &str) -> Option<String> {
    if words(name).any(|w| matches!(w.as_str(), "prod" | "production" | "prd" | "live")) {
        return Some(format!("remote `{name}`"));
    }
    const DEPLOY_HOSTS: &[&str] = &["heroku.com", "dokku", "azurewebsites.net", "platform.sh", "wpengine.com"];
    // Credentials in a remote URL must not reach a warning: keep host and path only.
    let without_userinfo = match url.split_once("://") {
        Some((_, rest)) => rest.rsplit_once('@').map_or(rest, |(_, r)| r),
        None => url.rsplit_once('@').map_or(url, |(_, r)| r),
    };
    let lower = without_userinfo.to_ascii_lowercase();
    if let Some(host) = DEPLOY_HOSTS.iter().find(|h| lower.contains(*h)) {
        return Some(format!("remote `{name}` deploys on push ({host})"));
    }
    if words(&lower).any(|w| matches!(w.as_str(), "prod" | "production" | "prd")) {
        return Some(format!("remote `{name}` points at {without_userinfo}"));
    }
    None
}

/// Marks (or unmarks) a repository as production in its git config.
pub fn set_production(repo: &Path, production: bool) -> std::io::Result<()> {
    let value = if production { "true" } else { "false" };
    let out = git(repo).args(["config", "--local", "paddock.production", value]).output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "git config paddock.production failed in {}: {}",
            repo.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

// ---------------------------------------------------------------- acknowledgements

/// One recorded acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckRecord {
    /// Canonical path of the repository.
    pub repo: PathBuf,
    pub warning_id: String,
    pub acknowledged_at: DateTime<Utc>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct AckFile {
    version: u32,
    acks: Vec<AckRecord>,
}

#[derive(Debug, thiserror::Error)]
pub enum AckError {
    #[error("no data directory: set PADDOCK_DATA_DIR")]
    NoDataDir,
    #[error("cannot read or write the acknowledgement store {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the acknowledgement store {path} is damaged (line {line}, column {column}); move it away to start afresh")]
    Corrupt { path: PathBuf, line: usize, column: usize },
}

/// Acknowledgements in a small JSON file (`<data dir>/acks.json`), replaced
/// atomically on each write. Concurrent writers can lose one write (last
/// one wins); acknowledgements come from one person clicking, so that is
/// accepted rather than adding a lock.
#[derive(Debug, Clone)]
pub struct AckStore {
    path: PathBuf,
}

impl AckStore {
    /// `$PADDOCK_DATA_DIR/acks.json`, else `<OS data dir>/paddock/acks.json`.
    pub fn open_default() -> Result<Self, AckError> {
        let dir = std::env::var_os("PADDOCK_DATA_DIR")
            .map(PathBuf::from)
            .or_else(|| dirs::data_dir().map(|d| d.join("paddock")))
            .ok_or(AckError::NoDataDir)?;
        Ok(Self::at(dir.join("acks.json")))
    }

    pub fn at(path: PathBuf) -> Self {
        Self { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, source: std::io::Error) -> AckError {
        AckError::Io { path: self.path.clone(), source }
    }

    fn load(&self) -> Result<AckFile, AckError> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| AckError::Corrupt {
                path: self.path.clone(),
                line: e.line(),
                column: e.column(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(AckFile { version: 1, acks: Vec::new() }),
            Err(e) => Err(self.io(e)),
        }
    }

    fn save(&self, file: &AckFile) -> Result<(), AckError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| self.io(e))?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| self.io(e))?;
        serde_json::to_writer_pretty(&mut tmp, file).map_err(|e| self.io(e.into()))?;
        tmp.as_file().sync_all().map_err(|e| self.io(e))?;
        tmp.persist(&self.path).map_err(|e| self.io(e.error))?;
        Ok(())
    }

    /// All recorded acknowledgements.
    pub fn records(&self) -> Result<Vec<AckRecord>, AckError> {
        Ok(self.load()?.acks)
    }

    /// Records that the user acknowledged `warning_id` for `repo`, now.
    pub fn acknowledge(&self, repo: &Path, warning_id: &str) -> Result<AckRecord, AckError> {
        let mut file = self.load()?;
        let repo = canonical(repo);
        file.acks.retain(|a| !(a.repo == repo && a.warning_id == warning_id));
        let record = AckRecord { repo, warning_id: warning_id.to_owned(), acknowledged_at: Utc::now() };
        file.acks.push(record.clone());
        file.version = 1;
        self.save(&file)?;
        Ok(record)
    }

    pub fn is_acknowledged(&self, repo: &Path, warning_id: &str) -> Result<bool, AckError> {
        let repo = canonical(repo);
        Ok(self.load()?.acks.iter().any(|a| a.repo == repo && a.warning_id == warning_id))
    }

    /// Removes every acknowledgement for `repo`; returns how many.
    pub fn revoke(&self, repo: &Path) -> Result<usize, AckError> {
        let mut file = self.load()?;
        let repo = canonical(repo);
        let before = file.acks.len();
        file.acks.retain(|a| a.repo != repo);
        let removed = before - file.acks.len();
        if removed > 0 {
            self.save(&file)?;
        }
        Ok(removed)
    }

    /// Warnings for `repo` that need an acknowledgement and do not have one.
    pub fn unacknowledged(&self, opts: &ScanOptions, repo: &Path) -> Result<Vec<BypassWarning>, AckError> {
        let mut scoped = opts.clone();
        scoped.repos = vec![repo.to_path_buf()];
        let mut out = Vec::new();
        for w in bypass_warnings(&scoped).into_iter().filter(|w| w.requires_ack) {
            if !self.is_acknowledged(repo, &w.id)? {
                out.push(w);
            }
        }
        Ok(out)
    }

    /// True if a task must not start on `repo` yet: bypass mode is configured
    /// for it (in `opts`' HOME, system or repo settings), the repo is
    /// production, and nobody has acknowledged that.
    pub fn needs_ack(&self, opts: &ScanOptions, repo: &Path) -> Result<bool, AckError> {
        Ok(!self.unacknowledged(opts, repo)?.is_empty())
    }

    /// For a task runner about to start an agent in bypass mode itself
    /// (`task_bypass`): production repos need an acknowledgement even when no
    /// config file asks for bypass.
    pub fn needs_ack_for_task(&self, opts: &ScanOptions, repo: &Path, task_bypass: bool) -> Result<bool, AckError> {
        if task_bypass && production_reason_with(repo, opts.command_timeout).is_some() {
            return Ok(!self.is_acknowledged(repo, &format!("production.bypass:{}", opts.display(repo)))?);
        }
        self.needs_ack(opts, repo)
    }
}

/// The default store and the current user's settings: may a task start on `repo`?
pub fn needs_ack(repo: &Path) -> Result<bool, AckError> {
    AckStore::open_default()?.needs_ack(&ScanOptions::for_current_user(), repo)
}

fn canonical(repo: &Path) -> PathBuf {
    std::fs::canonicalize(repo).unwrap_or_else(|_| repo.to_path_buf())
}
