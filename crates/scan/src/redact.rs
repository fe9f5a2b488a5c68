//! Recognising secrets and turning them into fingerprints that are safe to show.
//!
//! Every secret value the scan touches passes through this module and leaves
//! it only as a [`Classified`], which holds a kind, a severity and a
//! fingerprint, never the value. The fingerprint rules (also in the crate
//! docs):
//!
//! - **Identifiers** that the issuer itself shows in consoles and logs (AWS
//!   access key IDs): first 4 + last 4 characters, e.g. `AKIA…WXYZ`.
//! - **Tokens with a known public prefix** (`ghp_`, `sk-ant-`, `npm_`, …): the
//!   prefix, cut to 4 characters (it is a type marker, not secret), then the
//!   last 4 characters if at least 32 secret characters follow the prefix, the
//!   last 2 if at least 16 do, otherwise a keyed hash. At most 4 of ≥ 32 random
//!   characters are shown, which leaves ≥ 28 (≥ 160 bits) unknown.
//! - **Unrecognised high-entropy values**: first and last 4 if ≥ 40 long, first
//!   and last 2 if ≥ 24, otherwise a keyed hash.
//! - **Passwords, basic-auth blobs and private key bodies**: never any
//!   character; only a keyed hash `hmac:xxxxxxxx` (HMAC-SHA256 under a key that
//!   is random per scan unless the caller provides one, truncated to 32 bits).
//!   A plain hash of a short password could be brute-forced from the report;
//!   a keyed one cannot without the key, which is never written out.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{Category, Severity};

/// Key for hashed fingerprints; 32 random bytes unless the caller fixes it.
#[derive(Clone)]
pub(crate) struct FingerprintKey([u8; 32]);

impl FingerprintKey {
    pub(crate) fn new(fixed: Option<[u8; 32]>) -> Self {
        Self(fixed.unwrap_or_else(rand::random))
    }

    /// `hmac:` + 8 hex digits of HMAC-SHA256(key, value).
    pub(crate) fn hashed(&self, value: &[u8]) -> String {
        // HMAC accepts keys of any length, so this cannot fail; fall back to
        // an empty marker rather than panic if it ever did.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return "hmac:?".to_owned();
        };
        mac.update(value);
        let tag = mac.finalize().into_bytes();
        format!("hmac:{}", hex::encode(&tag[..4]))
    }
}

impl std::fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FingerprintKey(…)")
    }
}

/// What a recognised secret is, without the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Classified {
    pub kind: String,
    pub category: Category,
    pub severity: Severity,
    pub fingerprint: String,
}

struct Prefix {
    prefix: &'static str,
    kind: &'static str,
    category: Category,
    severity: Severity,
    /// Shortest whole value that counts (guards against `sk-learn` and such).
    min_len: usize,
    /// An identifier rather than a secret: shown as first 4 + last 4.
    identifier: bool,
}

const fn p(prefix: &'static str, kind: &'static str, category: Category, severity: Severity, min_len: usize) -> Prefix {
    Prefix { prefix, kind, category, severity, min_len, identifier: false }
}

/// Known token formats. Longer prefixes come before shorter ones that they
/// extend (`sk-ant-` before `sk-`), because the first match wins.
const PREFIXES: &[Prefix] = &[
    Prefix {
        prefix: "AKIA",
        kind: "AWS access key ID (long-lived)",
        category: Category::Cloud,
        severity: Severity::Critical,
        min_len: 20,
        identifier: true,
    },
    Prefix {
        prefix: "ASIA",
        kind: "AWS access key ID (temporary session)",
        category: Category::Cloud,
        severity: Severity::High,
        min_len: 20,
        identifier: true,
    },
    p("github_pat_", "GitHub fine-grained personal access token", Category::Vcs, Severity::High, 40),
    p("ghp_", "GitHub personal access token", Category::Vcs, Severity::High, 36),
    p("gho_", "GitHub OAuth token", Category::Vcs, Severity::High, 36),
    p("ghu_", "GitHub user-to-server token", Category::Vcs, Severity::High, 36),
    p("ghs_", "GitHub app installation token", Category::Vcs, Severity::High, 36),
    p("ghr_", "GitHub refresh token", Category::Vcs, Severity::High, 36),
    p("glpat-", "GitLab personal access token", Category::Vcs, Severity::High, 20),
    p("sk-ant-", "Anthropic API key or OAuth token", Category::AiAgent, Severity::High, 40),
    p("sk-proj-", "OpenAI project API key", Category::AiAgent, Severity::High, 40),
    p("sk_live_", "Stripe live secret key", Category::Environment, Severity::Critical, 24),
    p("rk_live_", "Stripe live restricted key", Category::Environment, Severity::High, 24),
    p("sk-", "OpenAI-style API key", Category::AiAgent, Severity::High, 40),
    p("xoxb-", "Slack bot token", Category::Environment, Severity::High, 24),
    p("xoxp-", "Slack user token", Category::Environment, Severity::High, 24),
    p("xapp-", "Slack app token", Category::Environment, Severity::High, 24),
    p("npm_", "npm access token", Category::PackageToken, Severity::High, 36),
    p("pypi-", "PyPI API token", Category::PackageToken, Severity::High, 40),
    p("cio", "crates.io API token", Category::PackageToken, Severity::High, 35),
    p("AIza", "Google API key", Category::Cloud, Severity::High, 39),
    p("ya29.", "Google OAuth access token", Category::Cloud, Severity::High, 40),
    p("hf_", "Hugging Face token", Category::AiAgent, Severity::High, 30),
    p("dop_v1_", "DigitalOcean API token", Category::Cloud, Severity::Critical, 40),
    p("SG.", "SendGrid API key", Category::Environment, Severity::High, 40),
    p("hvs.", "HashiCorp Vault token", Category::Cloud, Severity::High, 24),
];

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '+' | '=')
}

/// First `n` characters (ASCII tokens; falls back to char boundaries).
fn head(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

fn tail(s: &str, n: usize) -> &str {
    let count = s.chars().count();
    if n >= count {
        return s;
    }
    s.char_indices().nth(count - n).map_or(s, |(i, _)| &s[i..])
}

/// A token of a known format, or `None`.
pub(crate) fn known_token(value: &str, key: &FingerprintKey) -> Option<Classified> {
    let value = value.trim();
    if !value.chars().all(is_token_char) {
        return None;
    }
    let known = PREFIXES.iter().find(|k| value.starts_with(k.prefix) && value.len() >= k.min_len)?;
    let fingerprint = if known.identifier {
        format!("{}…{}", head(value, 4), tail(value, 4))
    } else {
        let secret_len = value.len() - known.prefix.len();
        let shown_tail = match secret_len {
            32.. => 4,
            16..=31 => 2,
            _ => 0,
        };
        if shown_tail == 0 {
            key.hashed(value.as_bytes())
        } else {
            format!("{}…{}", head(known.prefix, 4), tail(value, shown_tail))
        }
    };
    Some(Classified { kind: known.kind.to_owned(), category: known.category, severity: known.severity, fingerprint })
}

/// Fingerprint for a secret of unknown format (never for passwords).
pub(crate) fn opaque_token_fingerprint(value: &str, key: &FingerprintKey) -> String {
    let n = value.chars().count();
    match n {
        40.. => format!("{}…{}", head(value, 4), tail(value, 4)),
        24..=39 => format!("{}…{}", head(value, 2), tail(value, 2)),
        _ => key.hashed(value.as_bytes()),
    }
}

/// Shannon entropy in bits per character.
pub(crate) fn entropy(value: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut total = 0usize;
    for c in value.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / total as f64;
            -p * p.log2()
        })
        .sum()
}

/// Looks like a random credential: long, token charset, several character
/// classes, high entropy.
pub(crate) fn looks_random(value: &str) -> bool {
    let classes = [
        value.chars().any(|c| c.is_ascii_lowercase()),
        value.chars().any(|c| c.is_ascii_uppercase()),
        value.chars().any(|c| c.is_ascii_digit()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    value.len() >= 20 && value.chars().all(is_token_char) && classes >= 2 && entropy(value) >= 3.5
}

/// What a variable or key name says about its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameHint {
    /// PASSWORD, PASSWD: any value is a password.
    Password,
    /// TOKEN, SECRET, API_KEY, …: a random-looking value is a credential.
    Secret,
    None,
}

pub(crate) fn name_hint(name: &str) -> NameHint {
    let upper = name.to_ascii_uppercase().replace(['-', '.'], "_");
    // Names that hold locations or flags about secrets, not secrets.
    const NOT_SECRETS: &[&str] = &["_FILE", "_PATH", "_DIR", "_SOCK", "_HOST", "_CMD", "_COMMAND", "_HELPER", "_ID"];
    if NOT_SECRETS.iter().any(|s| upper.ends_with(s)) || upper == "PWD" || upper == "OLDPWD" {
        return NameHint::None;
    }
    if upper.contains("PASSWORD") || upper.contains("PASSWD") || upper.ends_with("_PASS") {
        return NameHint::Password;
    }
    let parts: Vec<&str> = upper.split('_').filter(|s| !s.is_empty()).collect();
    let secretish = parts.iter().enumerate().any(|(i, part)| {
        matches!(*part, "TOKEN" | "SECRET" | "APIKEY" | "CREDENTIALS" | "CREDENTIAL" | "AUTH" | "AUTHTOKEN" | "PAT")
            || part.ends_with("TOKEN")
            || part.ends_with("SECRET")
            || (*part == "KEY"
                && i > 0
                && matches!(
                    parts[i - 1],
                    "API" | "ACCESS" | "PRIVATE" | "SECRET" | "SIGNING" | "ENCRYPTION" | "MASTER" | "LICENSE" | "SERVICE"
                ))
    }) || upper == "KEY";
    if secretish { NameHint::Secret } else { NameHint::None }
}

/// A URL with a password in its user-info (`scheme://user:pass@host`): the
/// host, or `None`.
pub(crate) fn url_with_password(value: &str) -> Option<String> {
    let (_, rest) = value.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (userinfo, host) = authority.rsplit_once('@')?;
    let (_, password) = userinfo.split_once(':')?;
    if password.is_empty() || password.starts_with('$') {
        return None;
    }
    Some(host.to_owned())
}

/// Classifies one `name = value` pair (an environment variable, a `.env`
/// line, a JSON config entry). `None` when it holds nothing secret-looking.
pub(crate) fn classify(name: &str, value: &str, key: &FingerprintKey) -> Option<Classified> {
    let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
    if value.is_empty() || is_reference(value) {
        return None;
    }
    if let Some(known) = known_token(value, key) {
        return Some(known);
    }
    if let Some(host) = url_with_password(value) {
        return Some(Classified {
            kind: format!("connection string with a password (host {host})"),
            category: Category::Environment,
            severity: Severity::High,
            fingerprint: key.hashed(value.as_bytes()),
        });
    }
    // A path names where a secret is, and is reported there if found.
    let is_path = value.starts_with('/') || value.starts_with("~/") || value.starts_with("./");
    match name_hint(name) {
        _ if is_path => None,
        NameHint::Password if value.len() >= 4 => Some(Classified {
            kind: "password".to_owned(),
            category: Category::Environment,
            severity: Severity::High,
            fingerprint: key.hashed(value.as_bytes()),
        }),
        NameHint::Secret if looks_random(value) => Some(Classified {
            kind: "secret-looking value (high entropy under a secret-looking name)".to_owned(),
            category: Category::Environment,
            severity: Severity::High,
            fingerprint: opaque_token_fingerprint(value, key),
        }),
        _ => None,
    }
}

/// `${VAR}`, `$VAR`, `op://…` (1Password reference), `<placeholder>`,
/// `changeme`-style values: pointers to secrets, not secrets.
fn is_reference(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    value.starts_with('$')
        || value.starts_with("op://")
        || (value.starts_with('<') && value.ends_with('>'))
        || ["changeme", "change-me", "xxx", "your-", "your_", "example", "placeholder", "todo"]
            .iter()
            .any(|p| lower.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> FingerprintKey {
        FingerprintKey::new(Some([7; 32]))
    }

    #[test]
    fn aws_key_id_shows_four_and_four() {
        let c = known_token("AKIAIOSFODNN7EXAMPLE", &key()).unwrap();
        assert_eq!(c.fingerprint, "AKIA…MPLE");
        assert_eq!(c.severity, Severity::Critical);
    }

    #[test]
    fn long_prefixed_token_shows_prefix_cut_to_four_and_last_four() {
        let token = format!("ghp_{}", "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fGh");
        let c = known_token(&token, &key()).unwrap();
        assert_eq!(c.fingerprint, "ghp_…3fGh");
        let ant = format!("sk-ant-api03-{}", "x".repeat(20) + "Q1w2E3r4T5y6U7i8");
        assert_eq!(known_token(&ant, &key()).unwrap().fingerprint, "sk-a…U7i8");
    }

    #[test]
    fn short_secret_part_shows_fewer_characters() {
        // 16..31 secret characters after the prefix: two shown.
        let c = known_token("glpat-abcdefghij0123456789", &key()).unwrap();
        assert_eq!(c.fingerprint, "glpa…89");
    }

    #[test]
    fn passwords_get_only_a_keyed_hash() {
        let c = classify("DB_PASSWORD", "hunter2hunter2", &key()).unwrap();
        assert!(c.fingerprint.starts_with("hmac:"), "{}", c.fingerprint);
        assert!(!c.fingerprint.contains("hunt"));
        // Same value, different key: different fingerprint (not brute-forceable without the key).
        let other = FingerprintKey::new(Some([8; 32])).hashed(b"hunter2hunter2");
        assert_ne!(c.fingerprint, other);
    }

    #[test]
    fn names_that_point_at_secrets_are_not_secrets() {
        assert_eq!(name_hint("SSH_AUTH_SOCK"), NameHint::None);
        assert_eq!(name_hint("GOOGLE_APPLICATION_CREDENTIALS_FILE"), NameHint::None);
        assert_eq!(name_hint("PWD"), NameHint::None);
        assert_eq!(name_hint("GITHUB_TOKEN"), NameHint::Secret);
        assert_eq!(name_hint("OPENAI_API_KEY"), NameHint::Secret);
        assert_eq!(name_hint("PGPASSWORD"), NameHint::Password);
        assert_eq!(name_hint("MONKEY"), NameHint::None);
    }

    #[test]
    fn low_entropy_or_reference_values_are_not_flagged() {
        assert!(classify("GITHUB_TOKEN", "${GITHUB_TOKEN}", &key()).is_none());
        assert!(classify("API_KEY", "aaaaaaaaaaaaaaaaaaaaaaaa", &key()).is_none());
        assert!(classify("EDITOR", "Zx9Qw8Er7Ty6Ui5Op4As3Df2", &key()).is_none());
        assert!(classify("SECRET", "op://vault/item/field", &key()).is_none());
        assert!(classify("API_KEY", "Zx9Qw8Er7Ty6Ui5Op4As3Df2", &key()).is_some());
        assert!(classify("GOOGLE_APPLICATION_CREDENTIALS", "/tmp/.tmpZx9Qw8/keys/sa.json", &key()).is_none());
    }

    #[test]
    fn url_passwords_are_found() {
        assert_eq!(url_with_password("postgres://app:s3cr3t@db.internal:5432/app").as_deref(), Some("db.internal:5432"));
        assert_eq!(url_with_password("https://github.com/org/repo"), None);
        assert_eq!(url_with_password("https://user@github.com/org/repo"), None);
    }
}

#[cfg(test)]
mod corpus {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Cases {
        case: Vec<Case>,
    }

    #[derive(serde::Deserialize)]
    struct Case {
        name: String,
        var: String,
        value: String,
        kind: String,
        #[serde(default)]
        fingerprint: String,
        #[serde(default)]
        severity: Option<Severity>,
    }

    #[test]
    fn token_corpus() {
        let cases: Cases = toml::from_str(include_str!("../tests/data/tokens.toml")).unwrap();
        let key = FingerprintKey::new(Some([3; 32]));
        for c in cases.case {
            let got = classify(&c.var, &c.value, &key);
            if c.kind.is_empty() {
                assert!(got.is_none(), "case {:?}: expected nothing, got {got:?}", c.name);
                continue;
            }
            let got = got.unwrap_or_else(|| panic!("case {:?}: nothing found", c.name));
            assert!(got.kind.contains(&c.kind), "case {:?}: kind {:?}", c.name, got.kind);
            if c.fingerprint == "hmac" {
                assert!(got.fingerprint.starts_with("hmac:") && got.fingerprint.len() == 13, "case {:?}: {}", c.name, got.fingerprint);
            } else {
                assert_eq!(got.fingerprint, c.fingerprint, "case {:?}", c.name);
            }
            // Never more than 4+4 characters of the value, whatever the rule.
            let shown: usize = got.fingerprint.split('…').map(|p| p.chars().count()).sum();
            assert!(got.fingerprint.starts_with("hmac:") || shown <= 8, "case {:?}: {} shows {shown}", c.name, got.fingerprint);
            if let Some(sev) = c.severity {
                assert_eq!(got.severity, sev, "case {:?}", c.name);
            }
        }
    }
}
