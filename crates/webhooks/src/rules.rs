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

use std::path::Path;

use serde::Deserialize;

use crate::Source;
use crate::parse::{ProposalDraft, is_repo_name};

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("cannot read auto-run rules {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("auto-run rules {path}: {message}")]
    Invalid { path: String, message: String },
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

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    #[serde(default)]
    pub auto_run: Vec<Rule>,
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
        let rules: Rules = toml::from_str(text).map_err(|e| e.to_string())?;
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
