//! Where an approved proposal runs: the `[repos]` table of the rules file
//! maps a repository named from outside (`owner/name`) to a local checkout,
//! with the task's settings (`[task]` defaults, overridable per repo).
//!
//! ```toml
//! [task]                         # defaults for every repo below
//! agent = "claude"               # claude (default), codex or cmd
//! ttl = "1h"                     # 90s, 30m, 2h or seconds; default 1h
//! allow_hosts = ["api.github.com"]
//!
//! [repos]
//! "acme/shop" = "/home/dev/src/shop"
//! "acme/api" = { path = "/home/dev/src/api", agent = "cmd", command = ["make", "test"] }
//! ```
//!
//! A repo without an entry is never launched (no guessing from names or
//! directories). For `cmd` the task runs exactly `command`: the proposal's
//! text never becomes an argument, since it comes from whoever can open an
//! issue or type a Slack command.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::parse::is_repo_name;

/// Default time to live of a launched task.
pub const DEFAULT_TTL_SECS: u64 = 3600;
/// Longest time to live a rules file may give (a day).
pub const MAX_TTL_SECS: u64 = 24 * 3600;

/// Which agent a launched proposal runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskAgent {
    Claude,
    Codex,
    Cmd,
}

impl TaskAgent {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskAgent::Claude => "claude",
            TaskAgent::Codex => "codex",
            TaskAgent::Cmd => "cmd",
        }
    }
}

/// The task a proposal for one repo becomes (defaults applied, validated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskTemplate {
    /// The local checkout (absolute).
    pub checkout: PathBuf,
    pub agent: TaskAgent,
    /// The argv for `cmd` (never empty then); empty for claude and codex.
    pub command: Vec<String>,
    pub ttl_secs: u64,
    pub allow_hosts: Vec<String>,
}

/// One `[task]` table or one `[repos]` entry in table form.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields {
    path: Option<String>,
    agent: Option<TaskAgent>,
    command: Option<Vec<String>>,
    ttl: Option<toml::Value>,
    allow_hosts: Option<Vec<String>>,
}

/// The line (1-based) of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).unwrap_or(text).matches('\n').count() + 1
}

/// Builds the templates from the raw `[task]` and `[repos]` tables of
/// `text`. Errors name the line and the repo.
pub(crate) fn resolve(
    text: &str,
    task: Option<&toml::Spanned<toml::Value>>,
    repos: &BTreeMap<String, toml::Spanned<toml::Value>>,
) -> Result<BTreeMap<String, TaskTemplate>, String> {
    let defaults = match task {
        None => Fields::default(),
        Some(spanned) => {
            let line = line_of(text, spanned.span().start);
            let fields: Fields = spanned
                .get_ref()
                .clone()
                .try_into()
                .map_err(|e| format!("line {line}: [task]: {}", one_line(&e.to_string())))?;
            if fields.path.is_some() {
                return Err(format!(
                    "line {line}: [task] cannot have a path; give each repo its path under [repos]"
                ));
            }
            fields
        }
    };
    let mut out = BTreeMap::new();
    for (repo, spanned) in repos {
        let line = line_of(text, spanned.span().start);
        let at = |msg: String| format!("line {line}: repo {repo:?}: {msg}");
        if !is_repo_name(repo) {
            return Err(at("is not owner/name".into()));
        }
        let fields: Fields = match spanned.get_ref() {
            toml::Value::String(path) => Fields {
                path: Some(path.clone()),
                ..Fields::default()
            },
            table @ toml::Value::Table(_) => table
                .clone()
                .try_into()
                .map_err(|e: toml::de::Error| at(one_line(&e.to_string())))?,
            _ => return Err(at("must be a path or a table with a path".into())),
        };
        let template = template(&fields, &defaults).map_err(at)?;
        if out.insert(repo.to_ascii_lowercase(), template).is_some() {
            return Err(at("is listed twice (names are case-insensitive)".into()));
        }
    }
    Ok(out)
}

/// A deserializer's message on one line (it may add "in `field`" below).
fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn template(fields: &Fields, defaults: &Fields) -> Result<TaskTemplate, String> {
    let path = fields
        .path
        .as_deref()
        .ok_or("needs a path (the local checkout)")?;
    let checkout = PathBuf::from(path);
    if !checkout.is_absolute() {
        return Err(format!("path {path:?} must be absolute"));
    }
    let agent = fields
        .agent
        .or(defaults.agent)
        .unwrap_or(TaskAgent::Claude);
    let command = fields
        .command
        .clone()
        .or_else(|| defaults.command.clone())
        .unwrap_or_default();
    match agent {
        TaskAgent::Cmd if command.is_empty() || command[0].trim().is_empty() => {
            return Err("agent \"cmd\" needs a command (the argv to run, e.g. [\"make\", \"test\"])".into());
        }
        TaskAgent::Claude | TaskAgent::Codex if !command.is_empty() => {
            return Err(format!(
                "command is only for agent \"cmd\"; agent {:?} gets the proposal's text as its prompt",
                agent.as_str()
            ));
        }
        _ => {}
    }
    let ttl_secs = match fields.ttl.as_ref().or(defaults.ttl.as_ref()) {
        None => DEFAULT_TTL_SECS,
        Some(v) => parse_ttl(v)?,
    };
    let allow_hosts = fields
        .allow_hosts
        .clone()
        .or_else(|| defaults.allow_hosts.clone())
        .unwrap_or_default();
    for host in &allow_hosts {
        let ok = !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'*' | b':'));
        if !ok {
            return Err(format!(
                "allow_hosts: {host:?} is not a host name (e.g. \"api.github.com\" or \"*.example.com\")"
            ));
        }
    }
    Ok(TaskTemplate {
        checkout,
        agent,
        command,
        ttl_secs,
        allow_hosts,
    })
}

/// `90`, `"90s"`, `"30m"`, `"2h"`, `"1h30m"`: a positive time of at most a day.
fn parse_ttl(value: &toml::Value) -> Result<u64, String> {
    let bad = || format!("ttl {value} is not a duration; write e.g. \"90s\", \"30m\", \"2h\" or \"1h30m\"");
    let secs = match value {
        toml::Value::Integer(n) => u64::try_from(*n).map_err(|_| bad())?,
        toml::Value::String(s) => {
            let mut total = 0u64;
            let mut number = String::new();
            for c in s.trim().chars() {
                if c.is_ascii_digit() {
                    number.push(c);
                    continue;
                }
                let unit = match c {
                    's' => 1,
                    'm' => 60,
                    'h' => 3600,
                    _ => return Err(bad()),
                };
                let n: u64 = number.parse().map_err(|_| bad())?;
                total = total.saturating_add(n.saturating_mul(unit));
                number.clear();
            }
            if !number.is_empty() {
                return Err(bad());
            }
            total
        }
        _ => return Err(bad()),
    };
    if secs == 0 || secs > MAX_TTL_SECS {
        return Err(format!(
            "ttl {value} must be between 1 second and {} hours",
            MAX_TTL_SECS / 3600
        ));
    }
    Ok(secs)
}
