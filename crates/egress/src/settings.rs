//! The policy file as an editable document: the allow and deny rules and the
//! injected services, read from and written back to the TOML file that
//! `paddock egress serve|check` read (by default `<data dir>/egress.toml`).
//!
//! Writing goes through [`Policy::from_toml`] first, so a file this module
//! writes always loads; an invalid document is refused with the rule or
//! service that is wrong, and the file is left as it was. The rest of the
//! file (`[limits]`, comments on rules that did not change) is kept: rules
//! are matched to the existing tables by id (services by name), and only the
//! fields that changed are rewritten. The file is replaced atomically.
//!
//! Secret *values* never appear here: a service names its keyring entry.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};

use crate::policy::{Policy, PolicyError};

/// The file name of the default policy in the data directory.
pub const POLICY_FILE_NAME: &str = "egress.toml";

/// A starting point: the annotated example policy (npm, PyPI, crates.io,
/// telemetry denied, Anthropic injected).
pub const EXAMPLE_POLICY: &str = include_str!("../policy.example.toml");

/// `<data dir>/egress.toml`, where the data dir is `PADDOCK_DATA_DIR`, else
/// the platform's data dir + `paddock`.
pub fn default_policy_path() -> Option<PathBuf> {
    let data = match std::env::var_os("PADDOCK_DATA_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => dirs::data_dir()?.join("paddock"),
    };
    Some(data.join(POLICY_FILE_NAME))
}

/// An allow or deny rule as written in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDoc {
    pub id: String,
    pub hosts: Vec<String>,
    /// Absent: allow rules get 80 and 443, deny rules every port.
    #[serde(default)]
    pub ports: Option<Vec<u16>>,
    /// Shown to the agent when a deny rule refuses it.
    #[serde(default)]
    pub reason: Option<String>,
    /// The hosts may resolve to loopback/private addresses.
    #[serde(default)]
    pub private: bool,
}

/// A service that gets a credential injected, as written in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceDoc {
    pub name: String,
    /// `anthropic`, `openai`, `github` or `custom`.
    pub kind: String,
    /// The keyring entry holding the credential (its name, never its value).
    pub secret: String,
    #[serde(default)]
    pub upstream: Option<String>,
    #[serde(default)]
    pub header: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub private: bool,
}

/// The editable part of a policy file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyDoc {
    pub allow: Vec<RuleDoc>,
    pub deny: Vec<RuleDoc>,
    pub services: Vec<ServiceDoc>,
}

/// The lenient view used to read the editable parts; `[limits]` and
/// anything else are left to [`Policy`] (which checked them already).
#[derive(Deserialize)]
struct Parts {
    #[serde(default)]
    allow: Vec<RuleDoc>,
    #[serde(default)]
    deny: Vec<RuleDoc>,
    #[serde(default)]
    service: Vec<ServiceDoc>,
}

impl PolicyDoc {
    /// Reads the editable parts of a policy file's text, which must be a
    /// valid policy.
    pub fn parse(text: &str) -> Result<PolicyDoc, PolicyError> {
        Policy::from_toml(text)?;
        let parts: Parts = toml::from_str(text)?;
        Ok(PolicyDoc { allow: parts.allow, deny: parts.deny, services: parts.service })
    }

    /// `existing` with its rules and services replaced by this document's,
    /// checked to load as a policy.
    pub fn render_into(&self, existing: &str) -> Result<String, PolicyError> {
        let mut doc: DocumentMut = existing.parse().map_err(|e: toml_edit::TomlError| PolicyError::Edit(e.to_string()))?;
        let deny: Vec<Table> = self.deny.iter().map(|r| rule_table(find(&doc, "deny", "id", &r.id), r)).collect();
        let allow: Vec<Table> = self.allow.iter().map(|r| rule_table(find(&doc, "allow", "id", &r.id), r)).collect();
        let services: Vec<Table> =
            self.services.iter().map(|s| service_table(find(&doc, "service", "name", &s.name), s)).collect();
        // A file of comments only keeps them as the document's trailing text,
        // which would end up after the new tables: keep them on top instead.
        let header = if existing.trim().is_empty() || doc.iter().next().is_some() {
            String::new()
        } else {
            let trailing = doc.trailing().as_str().unwrap_or_default().to_owned();
            doc.set_trailing("");
            trailing
        };
        set_array(&mut doc, "deny", deny);
        set_array(&mut doc, "allow", allow);
        set_array(&mut doc, "service", services);
        let text = format!("{header}{doc}");
        Policy::from_toml(&text)?;
        Ok(text)
    }
}

/// The existing table of `array` whose `key` is `id`, to keep its comments.
fn find(doc: &DocumentMut, array: &str, key: &str, id: &str) -> Option<Table> {
    doc.get(array)?.as_array_of_tables()?.iter().find(|t| t.get(key).and_then(Item::as_str) == Some(id)).cloned()
}

fn set_array(doc: &mut DocumentMut, name: &str, tables: Vec<Table>) {
    if tables.is_empty() {
        doc.remove(name);
        return;
    }
    let mut array = ArrayOfTables::new();
    for t in tables {
        array.push(t);
    }
    doc.insert(name, Item::ArrayOfTables(array));
}

/// Sets `key` only when its value changed (keeping an unchanged value's
/// comment), removes it when `None`.
fn set<V: Into<toml_edit::Value> + Clone>(t: &mut Table, key: &str, new: Option<V>, same: impl Fn(&Item) -> bool) {
    match new {
        None => {
            t.remove(key);
        }
        Some(v) => {
            if !t.get(key).is_some_and(&same) {
                t.insert(key, value(v));
            }
        }
    }
}

fn strings(items: &[String]) -> Array {
    items.iter().map(String::as_str).collect()
}

fn same_strings(item: &Item, want: &[String]) -> bool {
    item.as_array().is_some_and(|a| a.iter().map(|v| v.as_str()).eq(want.iter().map(|s| Some(s.as_str()))))
}

fn same_str(item: &Item, want: &str) -> bool {
    item.as_str() == Some(want)
}

fn rule_table(existing: Option<Table>, r: &RuleDoc) -> Table {
    let mut t = existing.unwrap_or_default();
    set(&mut t, "id", Some(r.id.as_str()), |i| same_str(i, &r.id));
    set(&mut t, "hosts", Some(strings(&r.hosts)), |i| same_strings(i, &r.hosts));
    let ports = r.ports.as_ref().map(|p| p.iter().map(|n| i64::from(*n)).collect::<Array>());
    set(&mut t, "ports", ports, |i| {
        i.as_array().is_some_and(|a| {
            a.iter().map(|v| v.as_integer()).eq(r.ports.iter().flatten().map(|n| Some(i64::from(*n))))
        })
    });
    set(&mut t, "reason", r.reason.as_deref(), |i| Some(i.as_str()) == Some(r.reason.as_deref()));
    set(&mut t, "private", r.private.then_some(true), |i| i.as_bool() == Some(true));
    t
}

fn service_table(existing: Option<Table>, s: &ServiceDoc) -> Table {
    let mut t = existing.unwrap_or_default();
    set(&mut t, "name", Some(s.name.as_str()), |i| same_str(i, &s.name));
    set(&mut t, "kind", Some(s.kind.as_str()), |i| same_str(i, &s.kind));
    set(&mut t, "secret", Some(s.secret.as_str()), |i| same_str(i, &s.secret));
    for (key, v) in [("upstream", &s.upstream), ("header", &s.header), ("value", &s.value)] {
        set(&mut t, key, v.as_deref(), |i| Some(i.as_str()) == Some(v.as_deref()));
    }
    set(&mut t, "private", s.private.then_some(true), |i| i.as_bool() == Some(true));
    t
}

/// The document in `path`, or `None` when there is no file yet.
pub fn load(path: &Path) -> Result<Option<PolicyDoc>, PolicyError> {
    match std::fs::read_to_string(path) {
        Ok(text) => PolicyDoc::parse(&text).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(PolicyError::Read { path: path.display().to_string(), source }),
    }
}

/// Header of a policy file this module creates.
const NEW_FILE_HEADER: &str = "# Paddock egress policy, edited in Settings → Network (or by hand).\n\
# Checked with: paddock egress check URL\n";

/// Writes `doc` into `path` (creating it and its folder if needed), keeping
/// the rest of an existing file. Nothing is written if the result would not
/// load.
pub fn save(path: &Path, doc: &PolicyDoc) -> Result<(), PolicyError> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => NEW_FILE_HEADER.to_owned(),
        Err(source) => return Err(PolicyError::Read { path: path.display().to_string(), source }),
    };
    let text = doc.render_into(&existing)?;
    write_atomically(path, &text)
}

/// A temp file in the same folder, synced, then renamed over the old one: a
/// crash leaves the old policy or the new one, never half of each.
fn write_atomically(path: &Path, text: &str) -> Result<(), PolicyError> {
    use std::io::Write as _;
    let io = |source: std::io::Error| PolicyError::Write { path: path.display().to_string(), source };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    tmp.write_all(text.as_bytes()).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, hosts: &[&str]) -> RuleDoc {
        RuleDoc { id: id.into(), hosts: hosts.iter().map(|h| (*h).into()).collect(), ports: None, reason: None, private: false }
    }

    #[test]
    fn the_example_reads_and_round_trips_unchanged() {
        let doc = PolicyDoc::parse(EXAMPLE_POLICY).unwrap();
        assert_eq!(doc.allow.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["npm", "pypi", "crates"]);
        assert_eq!(doc.deny[0].reason.as_deref(), Some("Telemetry is switched off for agent tasks; carry on without it."));
        assert_eq!(doc.services[0].secret, "anthropic-api-key");
        // Nothing changed, nothing rewritten: comments and [limits] stay byte for byte.
        assert_eq!(doc.render_into(EXAMPLE_POLICY).unwrap(), EXAMPLE_POLICY);
    }

    #[test]
    fn an_edit_keeps_comments_and_limits_and_loads() {
        let mut doc = PolicyDoc::parse(EXAMPLE_POLICY).unwrap();
        doc.allow.retain(|r| r.id != "pypi");
        doc.allow.push(RuleDoc { ports: Some(vec![443]), ..rule("github", &["github.com", "*.githubusercontent.com"]) });
        doc.allow[0].hosts.push("registry.yarnpkg.com".into());
        let text = doc.render_into(EXAMPLE_POLICY).unwrap();
        assert!(text.contains("# Paddock egress policy (one per task)"), "header comment lost:\n{text}");
        assert!(text.contains("max_header_bytes = 32768"), "[limits] lost:\n{text}");
        assert!(!text.contains("pypi"), "{text}");
        let back = PolicyDoc::parse(&text).unwrap();
        assert_eq!(back, doc);
        let policy = Policy::from_toml(&text).unwrap();
        assert!(matches!(policy.decide("raw.githubusercontent.com", 443).1, crate::Verdict::Allow { .. }));
        assert!(matches!(policy.decide("pypi.org", 443).1, crate::Verdict::Deny { .. }));
    }

    #[test]
    fn invalid_documents_are_refused_naming_what_is_wrong() {
        let cases: Vec<(&str, PolicyDoc, &str)> = vec![
            ("wildcard in the middle", PolicyDoc { allow: vec![rule("bad", &["api.*.com"])], ..Default::default() }, "rule \"bad\""),
            ("no hosts", PolicyDoc { allow: vec![rule("empty", &[])], ..Default::default() }, "`hosts` is empty"),
            ("empty id", PolicyDoc { deny: vec![rule(" ", &["x.com"])], ..Default::default() }, "non-empty `id`"),
            ("duplicate id", PolicyDoc { allow: vec![rule("a", &["x.com"]), rule("a", &["y.com"])], ..Default::default() }, "duplicate rule id"),
            (
                "cleartext upstream",
                PolicyDoc {
                    services: vec![ServiceDoc {
                        name: "internal".into(),
                        kind: "custom".into(),
                        secret: "internal-token".into(),
                        upstream: Some("http://api.internal.example".into()),
                        header: Some("x-token".into()),
                        value: None,
                        private: false,
                    }],
                    ..Default::default()
                },
                "cleartext http",
            ),
        ];
        for (name, doc, want) in cases {
            let err = doc.render_into("").expect_err(name).to_string();
            assert!(err.contains(want), "case {name}: {err}");
        }
    }

    #[test]
    fn save_creates_the_file_and_refuses_without_touching_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join(POLICY_FILE_NAME);
        assert_eq!(load(&path).unwrap(), None);
        let doc = PolicyDoc { allow: vec![rule("npm", &["registry.npmjs.org"])], ..Default::default() };
        save(&path, &doc).unwrap();
        assert_eq!(load(&path).unwrap(), Some(doc.clone()));
        let before = std::fs::read_to_string(&path).unwrap();
        assert!(before.starts_with("# Paddock egress policy"), "{before}");
        let bad = PolicyDoc { allow: vec![rule("npm", &["*"])], ..Default::default() };
        assert!(save(&path, &bad).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before, "a refused save changed the file");
        // Only the file itself: the temp file was renamed or removed.
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }
}
