//! Auto-run rules: the only way a proposal is approved without a person.
//! No rules means every proposal waits for approval.
//!
//! ```toml
//! [[auto_run]]
//! id = "docs-team"
//! source = "github"                  # optional: "slack" or "github"
//! repos = ["acme/docs", "acme-labs/*"]
//! senders = ["octocat"]              # GitHub logins or Slack user ids
//! labels = ["paddock:auto"]          # optional: the proposal must carry one
//! ```
//!
//! A rule matches only when the repo AND the sender match, and a label too
//! if the rule lists labels. Repos and senders are required and have no
//! "everyone" wildcard: a rule that runs anything anyone asks is refused.
//!
//! The same file says where approved proposals run: `[task]` defaults and
//! a `[repos]` table mapping `owner/name` to a local checkout (see
//! [`crate::targets`]).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::Source;
use crate::parse::{ProposalDraft, is_repo_name};
use crate::targets::TaskTemplate;

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("cannot read auto-run rules {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("auto-run rules {path}: {message}")]
    Invalid { path: String, message: String },
    #[error("cannot write auto-run rules {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    #[serde(default)]
    pub source: Option<Source>,
    pub repos: Vec<String>,
    pub senders: Vec<String>,
    #[serde(default)]
    pub labels: Vec<String>,
}

/// The rules file, validated: auto-run rules, and where approved proposals
/// run ([`crate::targets`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    pub auto_run: Vec<Rule>,
    /// `[repos]` with the `[task]` defaults applied, keyed by the lowercase
    /// `owner/name` (GitHub names are case-insensitive).
    pub targets: BTreeMap<String, TaskTemplate>,
}

/// The file as written, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    auto_run: Vec<Rule>,
    #[serde(default)]
    task: Option<toml::Spanned<toml::Value>>,
    #[serde(default)]
    repos: BTreeMap<String, toml::Spanned<toml::Value>>,
}

impl Rules {
    pub fn load(path: &Path) -> Result<Rules, RulesError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| RulesError::Read {
            path: shown.clone(),
            source,
        })?;
        Rules::parse(&text).map_err(|message| RulesError::Invalid {
            path: shown,
            message,
        })
    }

    /// Parses and validates; the error says which rule and why.
    pub fn parse(text: &str) -> Result<Rules, String> {
        let raw: RawRules = toml::from_str(text).map_err(|e| e.to_string())?;
        let targets = crate::targets::resolve(text, raw.task.as_ref(), &raw.repos)?;
        let rules = Rules {
            auto_run: raw.auto_run,
            targets,
        };
        let mut seen = std::collections::HashSet::new();
        for rule in &rules.auto_run {
            let id = &rule.id;
            if id.trim().is_empty() {
                return Err("a rule has an empty id".into());
            }
            if !seen.insert(id.as_str()) {
                return Err(format!("two rules are named {id:?}"));
            }
            if rule.repos.is_empty() || rule.senders.is_empty() {
                return Err(format!(
                    "rule {id:?} must list repos and senders (auto-run is never for everyone)"
                ));
            }
            for repo in &rule.repos {
                let ok = match repo.strip_suffix("/*") {
                    Some(owner) => is_repo_name(&format!("{owner}/x")),
                    None => is_repo_name(repo),
                };
                if !ok {
                    return Err(format!(
                        "rule {id:?}: {repo:?} is not owner/name or owner/*"
                    ));
                }
            }
            for sender in &rule.senders {
                if sender.trim().is_empty() || sender.contains('*') {
                    return Err(format!(
                        "rule {id:?}: sender {sender:?} must be one exact login or user id"
                    ));
                }
            }
            if rule.labels.iter().any(|l| l.trim().is_empty()) {
                return Err(format!("rule {id:?} has an empty label"));
            }
        }
        Ok(rules)
    }

    /// Validates `text` and writes it to `path` (the app's Settings edit the
    /// rules this way): a temp file in the same folder, synced, renamed over
    /// the old one. Invalid text is refused and the file left as it was.
    pub fn save(path: &Path, text: &str) -> Result<Rules, RulesError> {
        use std::io::Write as _;
        let shown = path.display().to_string();
        let rules = Rules::parse(text).map_err(|message| RulesError::Invalid { path: shown.clone(), message })?;
        let io = |source: std::io::Error| RulesError::Write { path: shown.clone(), source };
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        tmp.write_all(text.as_bytes()).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(path).map_err(|e| io(e.error))?;
        Ok(rules)
    }

    /// Where a proposal for `repo` (`owner/name`, any case) runs; `None`
    /// when the file maps no checkout for it (never guessed).
    pub fn target(&self, repo: &str) -> Option<&TaskTemplate> {
        self.targets.get(&repo.to_ascii_lowercase())
    }

    /// The first rule that allows this proposal to run without approval.
    pub fn matching(&self, draft: &ProposalDraft) -> Option<&Rule> {
        self.auto_run.iter().find(|rule| rule.matches(draft))
    }
}

impl Rule {
    pub fn matches(&self, draft: &ProposalDraft) -> bool {
        // GitHub owner, repo, login and label names are case-insensitive.
        let source_ok = self.source.is_none_or(|s| s == draft.source);
        let repo_ok = self
            .repos
            .iter()
            .any(|pattern| match pattern.strip_suffix("/*") {
                Some(owner) => draft
                    .repo
                    .split_once('/')
                    .is_some_and(|(draft_owner, _)| draft_owner.eq_ignore_ascii_case(owner)),
                None => pattern.eq_ignore_ascii_case(&draft.repo),
            });
        let sender_ok = self
            .senders
            .iter()
            .any(|s| s.eq_ignore_ascii_case(&draft.sender));
        let label_ok = self.labels.is_empty()
            || self
                .labels
                .iter()
                .any(|l| draft.labels.iter().any(|d| d.eq_ignore_ascii_case(l)));
        source_ok && repo_ok && sender_ok && label_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_writes_valid_rules_and_refuses_invalid_ones_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("webhook-rules.toml");
        let good = "[[auto_run]]\nid = \"docs\"\nrepos = [\"acme/docs\"]\nsenders = [\"octocat\"]\n";
        let rules = Rules::save(&path, good).unwrap();
        assert_eq!(rules.auto_run[0].id, "docs");
        assert_eq!(Rules::load(&path).unwrap(), rules);
        let everyone = "[[auto_run]]\nid = \"all\"\nrepos = [\"acme/*\"]\nsenders = [\"*\"]\n";
        let err = Rules::save(&path, everyone).unwrap_err().to_string();
        assert!(err.contains("must be one exact login"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), good, "a refused save changed the file");
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1, "temp file left behind");
    }
}
