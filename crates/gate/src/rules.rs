//! Rule packs: TOML files, parsed once and compiled into matchers.
//!
//! A pack holds four kinds of rule, each with an `id`, a `verdict` and a
//! `reason`; every condition a rule states must hold for it to match:
//!
//! * `[[command]]` — a simple command (after wrappers are peeled off):
//!   `names` (globs on the command's basename), `subcommands` (leading
//!   positional words, e.g. `"s3 rm"`, a trailing `*` is a prefix match),
//!   `any_flags`, `all_flags` (groups, one of each group), `none_flags`,
//!   `any_args` (regexes on positional words after the subcommand), `text`
//!   (regex on the whole command line plus any heredoc/here-string),
//!   `leading_flags_only` (flags count only before the first positional).
//! * `[[path]]` — a file access: `access` = `read` or `write`, `globs`,
//!   `except`, `outside_worktree` (matches writes that land outside the
//!   worktree and temp dirs). Globs without a leading `/` or `~/` match at
//!   any depth.
//! * `[[writer]]` — declares which arguments of a command it writes or
//!   deletes (`targets` = `all`, `last`, `prefix:of=`, `find-roots`,
//!   `option:-C|--directory`), optionally
//!   only `when_flags` are present; those targets are checked against
//!   `write` path rules.
//! * `[[tool]]` — tool names (globs, e.g. `mcp__*__delete*`).
//! * `[[url]]` — WebFetch/MCP URLs: `schemes`, `hosts` (globs).

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use regex::Regex;
use serde::Deserialize;

use crate::{GateError, Verdict};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackFile {
    pub id: String,
    /// For people reading the pack; not used by the engine.
    #[serde(default)]
    #[allow(dead_code)]
    pub description: String,
    #[serde(default)]
    pub command: Vec<CommandRuleSpec>,
    #[serde(default)]
    pub path: Vec<PathRuleSpec>,
    #[serde(default)]
    pub writer: Vec<WriterSpec>,
    #[serde(default)]
    pub tool: Vec<ToolRuleSpec>,
    #[serde(default)]
    pub url: Vec<UrlRuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandRuleSpec {
    pub id: String,
    pub verdict: Verdict,
    pub reason: String,
    pub names: Vec<String>,
    #[serde(default)]
    pub subcommands: Vec<String>,
    #[serde(default)]
    pub any_flags: Vec<String>,
    #[serde(default)]
    pub all_flags: Vec<Vec<String>>,
    #[serde(default)]
    pub none_flags: Vec<String>,
    #[serde(default)]
    pub any_args: Vec<String>,
    pub text: Option<String>,
    /// Only options before the first positional word count (`python -c` yes,
    /// `python -m pip install -e .` no).
    #[serde(default)]
    pub leading_flags_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Read,
    Write,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathRuleSpec {
    pub id: String,
    pub verdict: Verdict,
    pub reason: String,
    pub access: Access,
    #[serde(default)]
    pub globs: Vec<String>,
    #[serde(default)]
    pub except: Vec<String>,
    #[serde(default)]
    pub outside_worktree: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriterSpec {
    pub names: Vec<String>,
    pub targets: String,
    #[serde(default)]
    pub when_flags: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolRuleSpec {
    pub id: String,
    pub verdict: Verdict,
    pub reason: String,
    pub names: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UrlRuleSpec {
    pub id: String,
    pub verdict: Verdict,
    pub reason: String,
    #[serde(default)]
    pub schemes: Vec<String>,
    #[serde(default)]
    pub hosts: Vec<String>,
}

// ---- compiled forms ----

pub struct CommandRule {
    pub id: String,
    pub verdict: Verdict,
    pub reason: String,
    pub names: GlobSet,
    pub subcommands: Vec<Vec<String>>,
    pub any_flags: Vec<String>,
    pub all_flags: Vec<Vec<String>>,
    pub none_flags: Vec<String>,
    pub any_args: Vec<Regex>,
    pub text: Option<Regex>,
    pub leading_flags_only: bool,
}

pub struct PathRule {
    pub id: String,
    pub verdict: Verdict,
    pub reason: String,
    pub access: Access,
    pub globs: Option<GlobSet>,
    pub except: Option<GlobSet>,
    pub outside_worktree: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Targets {
    All,
    Last,
    Prefix(String),
    FindRoots,
    /// The value of one of these options (`tar -C DIR`).
    OptionValue(Vec<String>),
}

pub struct Writer {
    pub names: GlobSet,
    pub targets: Targets,
    pub when_flags: Vec<String>,
}

pub struct ToolRule {
    pub id: String,
    pub verdict: Verdict,
    pub reason: String,
    pub names: GlobSet,
}

pub struct UrlRule {
    pub id: String,
    pub verdict: Verdict,
    pub reason: String,
    pub schemes: Vec<String>,
    pub hosts: Option<GlobSet>,
}

#[derive(Default)]
pub struct RuleSet {
    pub commands: Vec<CommandRule>,
    pub paths: Vec<PathRule>,
    pub writers: Vec<Writer>,
    pub tools: Vec<ToolRule>,
    pub urls: Vec<UrlRule>,
}

fn bad(pack: &str, what: impl std::fmt::Display) -> GateError {
    GateError::BadPack { pack: pack.to_string(), message: what.to_string() }
}

fn name_set(pack: &str, globs: &[String]) -> Result<GlobSet, GateError> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).map_err(|e| bad(pack, format!("glob {g:?}: {e}")))?);
    }
    b.build().map_err(|e| bad(pack, e))
}

/// Path globs: `/`-anchored or `~/`-anchored as written, otherwise at any depth.
fn path_set(pack: &str, globs: &[String]) -> Result<Option<GlobSet>, GateError> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let pattern = if g.starts_with('/') || g.starts_with("~/") || g.starts_with("**/") {
            g.clone()
        } else {
            format!("**/{g}")
        };
        let glob = GlobBuilder::new(&pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| bad(pack, format!("glob {g:?}: {e}")))?;
        b.add(glob);
    }
    b.build().map(Some).map_err(|e| bad(pack, e))
}

fn regex(pack: &str, r: &str) -> Result<Regex, GateError> {
    Regex::new(r).map_err(|e| bad(pack, format!("regex {r:?}: {e}")))
}

impl RuleSet {
    /// Parses and compiles one pack, appending its rules.
    pub fn add_pack(&mut self, name: &str, toml_text: &str) -> Result<(), GateError> {
        let pack: PackFile = toml::from_str(toml_text).map_err(|e| bad(name, e))?;
        let pid = pack.id.clone();
        for r in pack.command {
            self.commands.push(CommandRule {
                names: name_set(&pid, &r.names)?,
                subcommands: r.subcommands.iter().map(|s| s.split_whitespace().map(String::from).collect()).collect(),
                any_args: r.any_args.iter().map(|a| regex(&pid, a)).collect::<Result<_, _>>()?,
                text: r.text.as_deref().map(|t| regex(&pid, t)).transpose()?,
                id: r.id,
                verdict: r.verdict,
                reason: r.reason,
                any_flags: r.any_flags,
                all_flags: r.all_flags,
                none_flags: r.none_flags,
                leading_flags_only: r.leading_flags_only,
            });
        }
        for r in pack.path {
            if r.globs.is_empty() && !r.outside_worktree {
                return Err(bad(&pid, format!("path rule {} matches nothing: give globs or outside_worktree", r.id)));
            }
            self.paths.push(PathRule {
                globs: path_set(&pid, &r.globs)?,
                except: path_set(&pid, &r.except)?,
                id: r.id,
                verdict: r.verdict,
                reason: r.reason,
                access: r.access,
                outside_worktree: r.outside_worktree,
            });
        }
        for w in pack.writer {
            let targets = match w.targets.as_str() {
                "all" => Targets::All,
                "last" => Targets::Last,
                "find-roots" => Targets::FindRoots,
                t => match (t.strip_prefix("prefix:"), t.strip_prefix("option:")) {
                    (Some(p), _) => Targets::Prefix(p.to_string()),
                    (_, Some(o)) => Targets::OptionValue(o.split('|').map(String::from).collect()),
                    _ => return Err(bad(&pid, format!("unknown writer targets {t:?}"))),
                },
            };
            self.writers.push(Writer { names: name_set(&pid, &w.names)?, targets, when_flags: w.when_flags });
        }
        for r in pack.tool {
            self.tools.push(ToolRule { names: name_set(&pid, &r.names)?, id: r.id, verdict: r.verdict, reason: r.reason });
        }
        for r in pack.url {
            self.urls.push(UrlRule {
                hosts: if r.hosts.is_empty() { None } else { Some(name_set(&pid, &r.hosts)?) },
                schemes: r.schemes,
                id: r.id,
                verdict: r.verdict,
                reason: r.reason,
            });
        }
        Ok(())
    }
}

/// True when `flag` appears among `args` (before `--`): `--long` or
/// `--long=value`; a one-letter `-x` also inside clusters like `-xvf`;
/// single-dash words like `-delete` only exactly.
pub fn has_flag(args: &[&str], flag: &str) -> bool {
    for a in args {
        if *a == "--" {
            break;
        }
        if *a == flag {
            return true;
        }
        if let Some(prefix) = flag.strip_suffix('*') {
            if a.starts_with(prefix) {
                return true;
            }
            continue;
        }
        if flag.starts_with("--") {
            if a.strip_prefix(flag).is_some_and(|rest| rest.starts_with('=')) {
                return true;
            }
        } else if flag.len() == 2 && flag.starts_with('-') {
            let letter = &flag[1..];
            if a.starts_with('-')
                && !a.starts_with("--")
                && a.len() > 2
                && a[1..].chars().all(|c| c.is_ascii_alphanumeric())
                && a[1..].contains(letter)
            {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_in_any_spelling() {
        assert!(has_flag(&["-rf", "x"], "-f"));
        assert!(has_flag(&["-uf"], "-f"));
        assert!(has_flag(&["--force"], "--force"));
        assert!(has_flag(&["--force=x"], "--force"));
        assert!(!has_flag(&["--forced"], "--force"));
        assert!(!has_flag(&["--", "-f"], "-f"));
        assert!(has_flag(&["-delete"], "-delete"));
        assert!(!has_flag(&["-d"], "-D"));
        assert!(has_flag(&["-i.bak"], "-i*"));
    }

    #[test]
    fn every_builtin_pack_compiles() {
        let mut set = RuleSet::default();
        for (name, text) in crate::BUILTIN_PACKS {
            set.add_pack(name, text).unwrap();
        }
        assert!(set.commands.len() > 20);
    }

    #[test]
    fn bad_packs_are_rejected_with_the_pack_name() {
        let mut set = RuleSet::default();
        let err = set.add_pack("mine.toml", "id = 'x'\n[[command]]\nid='a'\nverdict='deny'\nreason='r'\nnames=['[']\n");
        assert!(err.unwrap_err().to_string().contains("x"));
        let err = set.add_pack("mine.toml", "id = 'x'\nbogus = 1\n");
        assert!(err.is_err());
    }
}
