//! The Paddock policy gate: decides `allow`, `ask` or `deny` for each tool call
//! an agent wants to make, from the PreToolUse hook payload.
//!
//! Bash commands are parsed with tree-sitter-bash and every simple command
//! that would run is judged — across pipes, lists, subshells, substitutions,
//! functions, `bash -c`, heredocs fed to shells, wrappers (`sudo`, `env -S`,
//! `xargs`, `find -exec`, …) — against TOML rule packs. File tools are judged
//! against path rules, WebFetch against URL rules.
//!
//! Invariants:
//! * No command is allowed whose name, or whose code (`eval`, `bash -c`,
//!   pipes into a shell), is not statically known: that is `ask` at least.
//! * No input the parser cannot make sense of is allowed: `ask`.
//! * Precedence is deny > ask > allow; a user pack can add rules but can never
//!   lower a built-in verdict.
//! * Every decision names the rule that decided it (`core.default-allow` when
//!   nothing matched).
//! * The gate never executes, expands or touches what it judges: resolution is
//!   lexical, against `cwd` and the task worktree.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

mod engine;
mod hook;
pub mod install;
mod paths;
mod rules;
mod shell;
mod tools;

pub use hook::{AgentFormat, HookInput, HookOutput};

/// The same packs, converted to JSON by build.rs (faster to load in the
/// short-lived hook process). Same order as [`BUILTIN_PACKS`].
const BUILTIN_PACKS_JSON: &[(&str, &str)] = &[
    ("destructive-fs", include_str!(concat!(env!("OUT_DIR"), "/destructive-fs.json"))),
    ("git-history", include_str!(concat!(env!("OUT_DIR"), "/git-history.json"))),
    ("secrets", include_str!(concat!(env!("OUT_DIR"), "/secrets.json"))),
    ("production-money", include_str!(concat!(env!("OUT_DIR"), "/production-money.json"))),
    ("disk", include_str!(concat!(env!("OUT_DIR"), "/disk.json"))),
    ("protected-config", include_str!(concat!(env!("OUT_DIR"), "/protected-config.json"))),
    ("code-exec", include_str!(concat!(env!("OUT_DIR"), "/code-exec.json"))),
];

/// The built-in packs (TOML source), embedded in the binary.
pub const BUILTIN_PACKS: &[(&str, &str)] = &[
    ("destructive-fs", include_str!("../packs/destructive-fs.toml")),
    ("git-history", include_str!("../packs/git-history.toml")),
    ("secrets", include_str!("../packs/secrets.toml")),
    ("production-money", include_str!("../packs/production-money.toml")),
    ("disk", include_str!("../packs/disk.toml")),
    ("protected-config", include_str!("../packs/protected-config.toml")),
    ("code-exec", include_str!("../packs/code-exec.toml")),
];

/// One rule of a pack, for people choosing packs (the onboarding wizard).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSummary {
    pub id: String,
    pub verdict: Verdict,
    /// What the rule stops, in the words the gate uses when it decides.
    pub reason: String,
}

/// A built-in pack: its id, its description and what each rule blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackSummary {
    pub id: String,
    pub description: String,
    /// Command, path, tool and URL rules in pack order (writer declarations
    /// decide nothing on their own and are left out).
    pub rules: Vec<RuleSummary>,
}

/// The built-in packs' ids, in load order.
pub fn builtin_pack_ids() -> impl Iterator<Item = &'static str> {
    BUILTIN_PACKS_JSON.iter().map(|(name, _)| *name)
}

/// The built-in packs, in [`BUILTIN_PACKS`] order, as summaries.
pub fn builtin_pack_summaries() -> Result<Vec<PackSummary>, GateError> {
    BUILTIN_PACKS.iter().map(|(name, text)| rules::summarize(name, text)).collect()
}

#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("no built-in rule pack is called {id:?} (there are: {known})")]
    UnknownPack { id: String, known: String },
    #[error("rule pack {pack}: {message}")]
    BadPack { pack: String, message: String },
    #[error("cannot read rule pack {path}: {source}")]
    ReadPack { path: PathBuf, source: std::io::Error },
}

/// The answer for one tool call. Ordered: `Allow < Ask < Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Ask,
    Deny,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Ask => "ask",
            Verdict::Deny => "deny",
        }
    }
}

/// Where the task runs: paths are judged relative to this.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// The task's git worktree: the only place destructive operations may touch.
    /// When `None`, the hook's `cwd` is used as the worktree.
    pub worktree: Option<PathBuf>,
    pub home: Option<PathBuf>,
    /// Scratch directories where writes are fine too (`/tmp`, `$TMPDIR`).
    pub temp_dirs: Vec<PathBuf>,
}

impl Context {
    /// `PADDOCK_WORKTREE`, `HOME`, `TMPDIR` (plus `/tmp` and `/var/tmp`).
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        let mut temp_dirs = vec![PathBuf::from("/tmp"), PathBuf::from("/var/tmp")];
        if let Some(t) = var("TMPDIR") {
            temp_dirs.push(paths::normalize(&t));
        }
        Context {
            worktree: var("PADDOCK_WORKTREE").map(|p| paths::normalize(&p)),
            home: var("HOME").map(|p| paths::normalize(&p)),
            temp_dirs,
        }
    }
}

/// One rule match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub verdict: Verdict,
    pub rule_id: String,
    pub reason: String,
}

/// The verdict for one simple command (or one file access) within a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandReport {
    pub command: String,
    pub verdict: Verdict,
    pub rule_id: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub verdict: Verdict,
    /// The rule that decided; always set (`core.default-allow` if none matched).
    pub rule_id: Option<String>,
    pub reason: String,
    /// Every command judged, in source order.
    pub commands: Vec<CommandReport>,
}

/// The first of the strongest findings (deny > ask > allow).
pub(crate) fn strongest(findings: &[Finding]) -> Option<&Finding> {
    let top = findings.iter().map(|f| f.verdict).max()?;
    findings.iter().find(|f| f.verdict == top)
}

/// A pack's source text and its format.
struct PackSource {
    name: Cow<'static, str>,
    /// The built-in packs' text is embedded: borrowed, not copied.
    text: Cow<'static, str>,
    json: bool,
}

/// A loaded set of rule packs. Packs are compiled on first use.
pub struct Gate {
    packs: Vec<PackSource>,
    compiled: OnceLock<Result<rules::RuleSet, String>>,
}

impl Gate {
    /// The gate with every built-in pack and nothing else.
    pub fn with_builtin_packs() -> Self {
        Gate {
            packs: BUILTIN_PACKS_JSON
                .iter()
                .map(|(n, t)| PackSource { name: Cow::Borrowed(n), text: Cow::Borrowed(t), json: true })
                .collect(),
            compiled: OnceLock::new(),
        }
    }

    /// The built-in packs but those named in `off` (a person's choice in the
    /// app's walkthrough). A name that is no built-in pack is refused: a typo
    /// must not read as "that pack is off".
    pub fn with_builtin_packs_except(off: &[String]) -> Result<Self, GateError> {
        if let Some(bad) = off.iter().find(|id| !builtin_pack_ids().any(|b| b == id.as_str())) {
            return Err(GateError::UnknownPack { id: bad.clone(), known: builtin_pack_ids().collect::<Vec<_>>().join(", ") });
        }
        let mut gate = Self::with_builtin_packs();
        gate.packs.retain(|p| !off.iter().any(|id| *id == p.name));
        Ok(gate)
    }

    /// Adds a user pack file. It is validated now, so a typo fails loudly here
    /// rather than turning every later decision into `ask`.
    pub fn load_pack(&mut self, path: &Path) -> Result<(), GateError> {
        let text = std::fs::read_to_string(path).map_err(|source| GateError::ReadPack { path: path.to_path_buf(), source })?;
        self.add_pack_text(&path.display().to_string(), &text)
    }

    /// Adds a pack from TOML text (validated now).
    pub fn add_pack_text(&mut self, name: &str, text: &str) -> Result<(), GateError> {
        let mut check = rules::RuleSet::default();
        check.add_pack(name, text)?;
        check.validate(name)?;
        self.packs.push(PackSource { name: Cow::Owned(name.to_owned()), text: Cow::Owned(text.to_owned()), json: false });
        self.compiled = OnceLock::new();
        Ok(())
    }

    fn rules(&self) -> Result<&rules::RuleSet, &str> {
        self.compiled
            .get_or_init(|| {
                let mut set = rules::RuleSet::default();
                for p in &self.packs {
                    let added = if p.json { set.add_pack_json(&p.name, &p.text) } else { set.add_pack(&p.name, &p.text) };
                    added.map_err(|e| e.to_string())?;
                }
                Ok(set)
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// Decides one tool call.
    pub fn decide(&self, input: &HookInput, ctx: &Context) -> Decision {
        let rules = match self.rules() {
            Ok(r) => r,
            Err(e) => {
                return Decision {
                    verdict: Verdict::Deny,
                    rule_id: Some("core.internal-error".into()),
                    reason: format!("the gate's rules failed to load: {e}"),
                    commands: Vec::new(),
                };
            }
        };
        let cwd = input.cwd.as_deref().filter(|c| c.starts_with('/')).map(|c| paths::normalize(Path::new(c)));
        let mut ctx = ctx.clone();
        if ctx.worktree.is_none() {
            ctx.worktree = cwd.clone();
        }
        let commands = tools::judge_tool(rules, &ctx, input, cwd);
        summarize(commands)
    }

    /// Decides a shell command as if the agent's Bash tool ran it in `cwd`.
    pub fn decide_command(&self, command: &str, cwd: Option<&Path>, ctx: &Context) -> Decision {
        let input = HookInput::bash(command, cwd);
        self.decide(&input, ctx)
    }
}

fn summarize(commands: Vec<CommandReport>) -> Decision {
    let top = commands.iter().map(|c| c.verdict).max().unwrap_or(Verdict::Allow);
    match commands.iter().find(|c| c.verdict == top) {
        Some(c) if top != Verdict::Allow => Decision {
            verdict: top,
            rule_id: Some(c.rule_id.clone()),
            reason: format!("{} [{}] in `{}`", c.reason, c.rule_id, short(&c.command)),
            commands,
        },
        _ => {
            // An explicit allow rule from a user pack is named; else the default.
            let by_rule = commands.iter().find(|c| c.rule_id != "core.default-allow");
            Decision {
                verdict: Verdict::Allow,
                rule_id: Some(by_rule.map_or("core.default-allow", |c| c.rule_id.as_str()).to_string()),
                reason: match by_rule {
                    Some(c) => format!("{} [{}]", c.reason, c.rule_id),
                    None => "no rule matched; every command is statically known".into(),
                },
                commands,
            }
        }
    }
}

fn short(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 160 {
        format!("{}…", one_line.chars().take(160).collect::<String>())
    } else {
        one_line
    }
}
