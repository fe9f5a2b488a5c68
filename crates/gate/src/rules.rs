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

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use aho_corasick::AhoCorasick;

use globset::{GlobBuilder, GlobMatcher};
use regex::Regex;
use serde::Deserialize;

use crate::{GateError, Verdict};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackFile {
    pub id: String,
    /// For people reading the pack; not used by the engine.
    #[serde(default)]
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
//
// Globs and regexes compile lazily, on the first string that could match
// them: a hook process decides one call and exits, so compiling every rule
// up front would dominate its run time. Packs are still fully validated when
// loaded (`RuleSet::validate`), so a typo fails at load, not mid-decision.

/// A glob, compiled on first use, behind a cheap literal pre-filter (the
/// longest run of plain characters the pattern requires).
pub struct LazyGlob {
    pattern: String,
    /// Where in `pattern` the required literal is.
    literal: Range<usize>,
    matcher: OnceLock<Option<GlobMatcher>>,
}

impl LazyGlob {
    fn new(pattern: String) -> Self {
        let literal = required_literal(&pattern);
        LazyGlob { pattern, literal, matcher: OnceLock::new() }
    }

    fn literal(&self) -> &str {
        self.pattern.get(self.literal.clone()).unwrap_or_default()
    }

    fn build(&self) -> Result<GlobMatcher, globset::Error> {
        GlobBuilder::new(&self.pattern).literal_separator(true).build().map(|g| g.compile_matcher())
    }

    pub fn is_match(&self, s: &str) -> bool {
        if !s.contains(self.literal()) {
            return false;
        }
        // `*` (a command rule for every name) is "no `/`" with a literal
        // separator: no glob to compile for it.
        if self.pattern == "*" {
            return !s.contains('/');
        }
        // Patterns are validated at load; should one still fail, match (fail closed).
        self.matcher.get_or_init(|| self.build().ok()).as_ref().is_none_or(|m| m.is_match(s))
    }
}

/// Where the longest run of characters outside `*?[…]{…}` is (the first
/// of the longest): every match contains it.
fn required_literal(pattern: &str) -> Range<usize> {
    let mut best = 0..0;
    let mut start = 0;
    let mut chars = pattern.char_indices();
    while let Some((i, c)) = chars.next() {
        let close = match c {
            '[' => Some(']'),
            '{' => Some('}'),
            '*' | '?' => None,
            _ => continue,
        };
        if i - start > best.len() {
            best = start..i;
        }
        if let Some(close) = close {
            for (_, n) in chars.by_ref() {
                if n == close {
                    break;
                }
            }
        }
        start = chars.offset();
    }
    if pattern.len() - start > best.len() { start..pattern.len() } else { best }
}

/// A set of globs; matches when any does.
#[derive(Default)]
pub struct Globs(Vec<LazyGlob>);

impl Globs {
    pub fn is_match(&self, s: &str) -> bool {
        self.0.iter().any(|g| g.is_match(s))
    }
    fn validate(&self) -> Result<(), String> {
        self.0.iter().try_for_each(|g| g.build().map(|_| ()).map_err(|e| format!("glob {:?}: {e}", g.pattern)))
    }
}

/// Command or tool names: exact strings, plus globs when a name has `*?[`.
pub struct Names {
    exact: Vec<String>,
    globs: Globs,
}

impl Names {
    fn new(names: Vec<String>) -> Self {
        let (globs, exact): (Vec<_>, Vec<_>) = names.into_iter().partition(|n| n.contains(['*', '?', '[', '{']));
        Names { exact, globs: Globs(globs.into_iter().map(LazyGlob::new).collect()) }
    }
    pub fn is_match(&self, name: &str) -> bool {
        self.exact.iter().any(|e| e == name) || self.globs.is_match(name)
    }
}

/// A regex compiled on first use — or, when it is only a choice of plain
/// strings (`a\.b|c`), matched as those strings: building a regex costs a
/// hook process more than the whole rest of a decision.
pub struct LazyRegex {
    source: String,
    re: OnceLock<Matcher>,
}

enum Matcher {
    Literals(Vec<String>),
    Regex(Regex),
    /// Validated at load, so this does not happen; it matches (fail closed).
    Invalid,
}

impl LazyRegex {
    fn new(source: String) -> Self {
        LazyRegex { source, re: OnceLock::new() }
    }
    pub fn is_match(&self, s: &str) -> bool {
        let matcher = self.re.get_or_init(|| match literal_alternatives(&self.source) {
            Some(literals) => Matcher::Literals(literals),
            None => Regex::new(&self.source).map_or(Matcher::Invalid, Matcher::Regex),
        });
        match matcher {
            Matcher::Literals(l) => l.iter().any(|l| s.contains(l.as_str())),
            Matcher::Regex(r) => r.is_match(s),
            Matcher::Invalid => true,
        }
    }
    fn validate(&self) -> Result<(), String> {
        Regex::new(&self.source).map(|_| ()).map_err(|e| format!("regex {:?}: {e}", self.source))
    }
}

/// The strings a regex is a plain choice of: alternatives of ordinary
/// characters and escaped ASCII punctuation, nothing else (no classes,
/// groups, repetition, anchors, flags or `\d`-style escapes). Such a regex
/// matches exactly where one of the strings occurs. `None` for anything
/// else, which is then compiled as a regex.
fn literal_alternatives(source: &str) -> Option<Vec<String>> {
    let mut out = vec![String::new()];
    let mut chars = source.chars();
    while let Some(c) = chars.next() {
        match c {
            '|' => out.push(String::new()),
            '\\' => match chars.next() {
                Some(e) if e.is_ascii_punctuation() => out.last_mut()?.push(e),
                _ => return None,
            },
            '.' | '^' | '$' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '#' => return None,
            c if c.is_whitespace() => return None,
            c => out.last_mut()?.push(c),
        }
    }
    // An empty alternative matches everywhere; leave that to the regex.
    (!out.iter().any(String::is_empty)).then_some(out)
}

pub struct CommandRule {
    pub id: String,
    pub verdict: Verdict,
    pub reason: String,
    pub names: Names,
    pub subcommands: Vec<Vec<String>>,
    pub any_flags: Vec<String>,
    pub all_flags: Vec<Vec<String>>,
    pub none_flags: Vec<String>,
    pub any_args: Vec<LazyRegex>,
    pub text: Option<LazyRegex>,
    pub leading_flags_only: bool,
}

pub struct PathRule {
    pub id: String,
    pub verdict: Verdict,
    pub reason: String,
    pub access: Access,
    pub globs: Option<Globs>,
    pub except: Option<Globs>,
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
    pub names: Names,
    pub targets: Targets,
    pub when_flags: Vec<String>,
}

pub struct ToolRule {
    pub id: String,
    pub verdict: Verdict,
    pub reason: String,
    pub names: Names,
}

pub struct UrlRule {
    pub id: String,
    pub verdict: Verdict,
    pub reason: String,
    pub schemes: Vec<String>,
    pub hosts: Option<Names>,
}

#[derive(Default)]
pub struct RuleSet {
    pub commands: Vec<CommandRule>,
    pub paths: Vec<PathRule>,
    pub writers: Vec<Writer>,
    pub tools: Vec<ToolRule>,
    pub urls: Vec<UrlRule>,
    /// Command rules by exact name; rules with glob names are always tried.
    by_name: HashMap<String, Vec<usize>>,
    glob_named: Vec<usize>,
    path_index: OnceLock<PathIndex>,
}

/// Which path globs could match a path: those whose required literal it
/// contains. A decision checks a handful of paths, for which a `contains`
/// per literal is far cheaper than building an automaton in a process that
/// decides once; once many paths have been checked (a command naming
/// hundreds of files, or a long-lived caller) one Aho-Corasick automaton is
/// built and used from then on.
struct PathIndex {
    literals: Vec<String>,
    /// Candidate paths checked so far.
    checked: AtomicUsize,
    ac: OnceLock<Option<AhoCorasick>>,
    /// For each literal: the (rule, is_except, glob) entries requiring it.
    by_literal: Vec<Vec<(usize, bool, usize)>>,
    /// Globs with no literal at all: always tried.
    always: Vec<(usize, bool, usize)>,
}

/// From this many checked paths on, the automaton is worth building.
const PATH_INDEX_AUTOMATON_FROM: usize = 64;

impl PathIndex {
    /// The indexes of the literals `cand` contains (each once or more).
    fn literals_in(&self, cand: &str, many: bool, mut found: impl FnMut(usize)) {
        let ac = if many {
            self.ac.get_or_init(|| {
                AhoCorasick::builder().kind(Some(aho_corasick::AhoCorasickKind::DFA)).build(&self.literals).ok()
            })
        } else {
            &None
        };
        match ac {
            Some(ac) => ac.find_overlapping_iter(cand).for_each(|m| found(m.pattern().as_usize())),
            None => {
                for (i, l) in self.literals.iter().enumerate() {
                    if cand.contains(l.as_str()) {
                        found(i);
                    }
                }
            }
        }
    }
}

impl RuleSet {
    /// The command rules that may apply to `name`, in pack order.
    pub fn commands_for(&self, name: &str) -> impl Iterator<Item = &CommandRule> {
        let mut idx: Vec<usize> = self.by_name.get(name).cloned().unwrap_or_default();
        idx.extend(self.glob_named.iter().copied().filter(|&i| self.commands[i].names.is_match(name)));
        idx.sort_unstable();
        idx.into_iter().map(|i| &self.commands[i])
    }

    /// `(rule index, is_except)` for every path-rule glob matching a candidate.
    pub fn path_hits(&self, candidates: &[&str]) -> Vec<(usize, bool)> {
        let index = self.path_index.get_or_init(|| self.build_path_index());
        let mut hits = Vec::new();
        let mut try_glob = |cand: &str, (ri, exc, gi): (usize, bool, usize)| {
            let rule = &self.paths[ri];
            let set = if exc { &rule.except } else { &rule.globs };
            if set.as_ref().is_some_and(|g| g.0[gi].is_match(cand)) && !hits.contains(&(ri, exc)) {
                hits.push((ri, exc));
            }
        };
        let many = index.checked.fetch_add(candidates.len(), Ordering::Relaxed) + candidates.len() >= PATH_INDEX_AUTOMATON_FROM;
        for cand in candidates {
            index.literals_in(cand, many, |li| {
                for e in &index.by_literal[li] {
                    try_glob(cand, *e);
                }
            });
            for e in &index.always {
                try_glob(cand, *e);
            }
        }
        hits
    }

    fn build_path_index(&self) -> PathIndex {
        let mut literals: Vec<String> = Vec::new();
        let mut by_literal: Vec<Vec<(usize, bool, usize)>> = Vec::new();
        let mut always = Vec::new();
        for (ri, rule) in self.paths.iter().enumerate() {
            for (exc, set) in [(false, &rule.globs), (true, &rule.except)] {
                for (gi, g) in set.iter().flat_map(|s| s.0.iter()).enumerate() {
                    let literal = g.literal();
                    if literal.is_empty() {
                        always.push((ri, exc, gi));
                    } else if let Some(li) = literals.iter().position(|l| l == literal) {
                        by_literal[li].push((ri, exc, gi));
                    } else {
                        literals.push(literal.to_owned());
                        by_literal.push(vec![(ri, exc, gi)]);
                    }
                }
            }
        }
        PathIndex { literals, checked: AtomicUsize::new(0), ac: OnceLock::new(), by_literal, always }
    }
}

/// A pack's id, description and rules (for people; see `builtin_pack_summaries`).
pub fn summarize(name: &str, toml_text: &str) -> Result<crate::PackSummary, GateError> {
    let pack: PackFile = toml::from_str(toml_text).map_err(|e| bad(name, e))?;
    let rule = |id: &str, verdict: Verdict, reason: &str| crate::RuleSummary {
        id: id.to_owned(),
        verdict,
        reason: reason.to_owned(),
    };
    let mut rules: Vec<crate::RuleSummary> = Vec::new();
    rules.extend(pack.command.iter().map(|r| rule(&r.id, r.verdict, &r.reason)));
    rules.extend(pack.path.iter().map(|r| rule(&r.id, r.verdict, &r.reason)));
    rules.extend(pack.tool.iter().map(|r| rule(&r.id, r.verdict, &r.reason)));
    rules.extend(pack.url.iter().map(|r| rule(&r.id, r.verdict, &r.reason)));
    Ok(crate::PackSummary { id: pack.id, description: pack.description, rules })
}

fn bad(pack: &str, what: impl std::fmt::Display) -> GateError {
    GateError::BadPack { pack: pack.to_string(), message: what.to_string() }
}

/// Path globs: `/`-anchored or `~/`-anchored as written, otherwise at any depth.
fn path_globs(globs: Vec<String>) -> Option<Globs> {
    if globs.is_empty() {
        return None;
    }
    Some(Globs(
        globs
            .into_iter()
            .map(|g| {
                let pattern = if g.starts_with('/') || g.starts_with("~/") || g.starts_with("**/") {
                    g
                } else {
                    format!("**/{g}")
                };
                LazyGlob::new(pattern)
            })
            .collect(),
    ))
}

impl RuleSet {
    /// Parses one TOML pack and appends its rules.
    pub fn add_pack(&mut self, name: &str, toml_text: &str) -> Result<(), GateError> {
        let pack: PackFile = toml::from_str(toml_text).map_err(|e| bad(name, e))?;
        self.add(pack)
    }

    /// Parses one pack already converted to JSON (the built-ins, by build.rs).
    pub fn add_pack_json(&mut self, name: &str, json: &str) -> Result<(), GateError> {
        let pack: PackFile = serde_json::from_str(json).map_err(|e| bad(name, e))?;
        self.add(pack)
    }

    fn add(&mut self, pack: PackFile) -> Result<(), GateError> {
        let pid = pack.id.clone();
        for r in pack.command {
            let i = self.commands.len();
            for n in &r.names {
                if n.contains(['*', '?', '[', '{']) {
                    if !self.glob_named.contains(&i) {
                        self.glob_named.push(i);
                    }
                } else {
                    self.by_name.entry(n.clone()).or_default().push(i);
                }
            }
            self.commands.push(CommandRule {
                names: Names::new(r.names),
                subcommands: r.subcommands.iter().map(|s| s.split_whitespace().map(String::from).collect()).collect(),
                any_args: r.any_args.into_iter().map(LazyRegex::new).collect(),
                text: r.text.map(LazyRegex::new),
                id: r.id,
                verdict: r.verdict,
                reason: r.reason,
                any_flags: r.any_flags,
                all_flags: r.all_flags,
                none_flags: r.none_flags,
                leading_flags_only: r.leading_flags_only,
            });
        }
        self.path_index = OnceLock::new();
        for r in pack.path {
            if r.globs.is_empty() && !r.outside_worktree {
                return Err(bad(&pid, format!("path rule {} matches nothing: give globs or outside_worktree", r.id)));
            }
            self.paths.push(PathRule {
                globs: path_globs(r.globs),
                except: path_globs(r.except),
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
            self.writers.push(Writer { names: Names::new(w.names), targets, when_flags: w.when_flags });
        }
        for r in pack.tool {
            self.tools.push(ToolRule { names: Names::new(r.names), id: r.id, verdict: r.verdict, reason: r.reason });
        }
        for r in pack.url {
            self.urls.push(UrlRule {
                hosts: if r.hosts.is_empty() { None } else { Some(Names::new(r.hosts)) },
                schemes: r.schemes,
                id: r.id,
                verdict: r.verdict,
                reason: r.reason,
            });
        }
        Ok(())
    }

    /// Compiles every glob and regex now, so that a broken pattern is an error
    /// at load time rather than a silent `ask`/match later.
    pub fn validate(&self, pack: &str) -> Result<(), GateError> {
        let names = |n: &Names| n.globs.validate();
        let check = || -> Result<(), String> {
            for r in &self.commands {
                names(&r.names)?;
                r.any_args.iter().try_for_each(LazyRegex::validate)?;
                r.text.as_ref().map(LazyRegex::validate).transpose()?;
            }
            for r in &self.paths {
                r.globs.as_ref().map(Globs::validate).transpose()?;
                r.except.as_ref().map(Globs::validate).transpose()?;
            }
            self.writers.iter().try_for_each(|w| names(&w.names))?;
            self.tools.iter().try_for_each(|t| names(&t.names))?;
            self.urls.iter().filter_map(|u| u.hosts.as_ref()).try_for_each(names)?;
            Ok(())
        };
        check().map_err(|e| bad(pack, e))
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
    fn literal_prefilter_is_what_every_match_contains() {
        let literal = |p: &str| p[required_literal(p)].to_owned();
        assert_eq!(literal("~/.ssh/**"), "~/.ssh/");
        assert_eq!(literal("**/.env.*"), "/.env.");
        assert_eq!(literal("*.pem"), ".pem");
        assert_eq!(literal("/dev/[sh]d*"), "/dev/");
        assert_eq!(literal("a*bb?c[xyz]dddd{e,f}gg"), "dddd");
        assert_eq!(literal("ab[unterminated"), "ab");
        assert_eq!(literal("**/é.txt"), "/é.txt");
        assert_eq!(literal("*"), "");
        let g = LazyGlob::new("**/.git/hooks/**".into());
        assert!(g.is_match("/w/.git/hooks/pre-commit"));
        assert!(!g.is_match("/w/.git/config"));
    }

    #[test]
    fn a_star_name_and_a_choice_of_strings_match_as_their_compiled_forms_would() {
        let star = LazyGlob::new("*".into());
        let compiled = star.build().unwrap();
        for name in ["rm", "", "git-lfs", ".hidden", "/usr/bin/rm", "bin/rm", "a b"] {
            assert_eq!(star.is_match(name), compiled.is_match(name), "{name:?}");
        }
        // (regex, whether it is matched as plain strings)
        let regexes = [
            (r"169\.254\.169\.254|metadata\.google\.internal|\[fd00:ec2::254\]|100\.100\.100\.200", true),
            (r"abc", true),
            (r"a\|b|c\\d", true),
            (r"a.c", false),
            (r"\d+", false),
            (r"(?i)drop", false),
            (r"a|", false),
            (r"^rm$", false),
            (r"a b", false),
            (r"[ab]", false),
            (r"x{2}", false),
            (r"\bof=", false),
        ];
        let texts = [
            "curl http://169.254.169.254/latest", "curl http://169.254.169.2545", "169a254b169c254", "metadata.google.internal",
            "METADATA.GOOGLE.INTERNAL", "[fd00:ec2::254]", "abc", "ABC", "a|b", "c\\d", "cd", "aXc", "12", "drop", "a", "",
            "rm", "a b", "xx", "of=",
        ];
        for (source, plain) in regexes {
            let lazy = LazyRegex::new(source.into());
            let re = Regex::new(source).unwrap();
            for t in texts {
                assert_eq!(lazy.is_match(t), re.is_match(t), "{source:?} on {t:?}");
            }
            assert_eq!(matches!(lazy.re.get(), Some(Matcher::Literals(_))), plain, "{source:?}");
        }
        // Every built-in `text` regex either is a choice of strings or compiles.
        let mut set = RuleSet::default();
        for (name, text) in crate::BUILTIN_PACKS_JSON {
            set.add_pack_json(name, text).unwrap();
        }
        for rule in set.commands.iter().filter_map(|r| r.text.as_ref()) {
            rule.is_match("probe");
            assert!(!matches!(rule.re.get(), Some(Matcher::Invalid) | None), "{}", rule.source);
        }
    }

    #[test]
    fn the_path_index_finds_the_same_globs_with_and_without_its_automaton() {
        let mut set = RuleSet::default();
        for (name, text) in crate::BUILTIN_PACKS_JSON {
            set.add_pack_json(name, text).unwrap();
        }
        let paths = [
            "/home/dev/project/.env", "/home/dev/.ssh/id_ed25519", "/home/dev/project/src/main.rs", "/etc/shadow",
            "/home/dev/project/.git/hooks/pre-commit", "/home/dev/.aws/credentials", "/dev/sda", "/home/dev/.bashrc",
            "/home/dev/project/.claude/settings.json", "/tmp/x", "relative/.env.local", "",
        ];
        let few: Vec<Vec<(usize, bool)>> = paths.iter().map(|p| set.path_hits(&[*p])).collect();
        assert!(set.path_index.get().unwrap().ac.get().is_none(), "an automaton was built for a few paths");
        let many_candidates: Vec<&str> = paths.iter().copied().cycle().take(PATH_INDEX_AUTOMATON_FROM * 2).collect();
        let many = set.path_hits(&many_candidates);
        assert!(set.path_index.get().unwrap().ac.get().is_some(), "the automaton was not built");
        // And one path at a time once it is there.
        // (In any order: callers only ask whether a rule was hit.)
        let sorted = |mut v: Vec<(usize, bool)>| {
            v.sort_unstable();
            v
        };
        let after: Vec<Vec<(usize, bool)>> = paths.iter().map(|p| sorted(set.path_hits(&[*p]))).collect();
        assert_eq!(after, few.iter().cloned().map(sorted).collect::<Vec<_>>());
        let mut expected: Vec<(usize, bool)> = Vec::new();
        for hit in few.iter().flatten() {
            if !expected.contains(hit) {
                expected.push(*hit);
            }
        }
        let (mut expected, mut many) = (expected, many);
        expected.sort_unstable();
        many.sort_unstable();
        assert_eq!(many, expected);
        assert!(few.iter().filter(|h| !h.is_empty()).count() >= 8, "{few:?}");
    }

    #[test]
    fn every_builtin_pack_compiles() {
        let mut set = RuleSet::default();
        for (name, text) in crate::BUILTIN_PACKS {
            set.add_pack(name, text).unwrap();
            set.validate(name).unwrap();
        }
        let mut from_json = RuleSet::default();
        for (name, text) in crate::BUILTIN_PACKS_JSON {
            from_json.add_pack_json(name, text).unwrap();
        }
        assert_eq!(from_json.commands.len(), set.commands.len());
        assert_eq!(from_json.paths.len(), set.paths.len());
        assert!(set.commands.len() > 20);
    }

    #[test]
    fn bad_packs_are_rejected_with_the_pack_name() {
        let mut set = RuleSet::default();
        set.add_pack("mine.toml", "id = 'x'\n[[command]]\nid='a'\nverdict='deny'\nreason='r'\nnames=['[']\n").unwrap();
        assert!(set.validate("mine.toml").unwrap_err().to_string().contains("mine.toml"));
        let err = set.add_pack("mine.toml", "id = 'x'\nbogus = 1\n");
        assert!(err.is_err());
    }
}
