//! Secret redaction, applied to every event before it is hashed and written.
//!
//! Two passes: [`redact_str`] finds secrets by their shape anywhere in a string (provider
//! token formats, `Authorization: Bearer`, `password=...`, private key blocks, URL
//! credentials, JWTs); [`redact_json`] additionally blanks values stored under
//! secret-looking keys (`password`, `api_key`, `client_secret`...) and high-entropy
//! values under weaker hints (`token`, `auth`, `credential`...). The replacement names
//! what was removed — `[REDACTED:github-token]` — so a reader still knows what happened.
//!
//! Redaction is deliberately over-eager: a false positive hides an uninteresting string,
//! a false negative leaks a credential into a file that is never rewritten.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Regex, RegexSet};

/// A secret shape. `keep` is the number of the capture group to preserve in front of the
/// redaction marker (the `password=` or `Bearer ` part), 0 for none.
struct Rule {
    name: &'static str,
    pattern: &'static str,
    keep: usize,
}

const RULES: &[Rule] = &[
    Rule {
        name: "private-key",
        pattern: r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\z)",
        keep: 0,
    },
    Rule {
        name: "anthropic-key",
        pattern: r"sk-ant-[A-Za-z0-9_\-]{8,}",
        keep: 0,
    },
    Rule {
        name: "openai-key",
        pattern: r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}",
        keep: 0,
    },
    Rule {
        name: "github-token",
        pattern: r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})",
        keep: 0,
    },
    Rule {
        name: "gitlab-token",
        pattern: r"\bglpat-[A-Za-z0-9_\-]{20,}",
        keep: 0,
    },
    Rule {
        name: "slack-token",
        pattern: r"\bxox[abposr]-[A-Za-z0-9\-]{10,}",
        keep: 0,
    },
    Rule {
        name: "aws-access-key",
        pattern: r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}\b",
        keep: 0,
    },
    Rule {
        name: "google-api-key",
        pattern: r"\bAIza[0-9A-Za-z_\-]{35}",
        keep: 0,
    },
    Rule {
        name: "stripe-key",
        pattern: r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}",
        keep: 0,
    },
    Rule {
        name: "jwt",
        pattern: r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
        keep: 0,
    },
    // `Authorization: Bearer x`, `Authorization: Basic x`, `-H "Authorization: token x"`.
    Rule {
        name: "authorization",
        pattern: r"(?i)(\b(?:bearer|basic|token)\s+)[A-Za-z0-9._~+/\-]{8,}=*",
        keep: 1,
    },
    // user:password@host in URLs.
    Rule {
        name: "url-credentials",
        pattern: r"([a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@]+:)[^/\s@]+(@)",
        keep: 1,
    },
    // key=value and key: value for secret-sounding keys, optionally quoted (also JSON text).
    Rule {
        name: "secret-assignment",
        pattern: r#"(?i)((?:\b|_)(?:password|passwd|pwd|passphrase|secret|secret[_-]?key|client[_-]?secret|api[_-]?key|apikey|access[_-]?key|access[_-]?token|auth[_-]?token|refresh[_-]?token|session[_-]?token|private[_-]?key|aws_secret_access_key|token)["']?\s*[=:]\s*)("[^"]+"|'[^']+'|[^\s"'&;,}]+)"#,
        keep: 1,
    },
];

struct Compiled {
    any: RegexSet,
    rules: Vec<(&'static str, Regex, usize)>,
}

static COMPILED: LazyLock<Option<Compiled>> = LazyLock::new(|| {
    let any = RegexSet::new(RULES.iter().map(|r| r.pattern)).ok()?;
    let rules = RULES
        .iter()
        .map(|r| Regex::new(r.pattern).ok().map(|re| (r.name, re, r.keep)))
        .collect::<Option<Vec<_>>>()?;
    Some(Compiled { any, rules })
});

/// Returned for every string when the patterns failed to compile — which a unit test
/// rules out — so that a bug can never turn into "write the secret unredacted".
const FAIL_CLOSED: &str = "[REDACTED:redactor-unavailable]";

/// Replaces every secret-shaped substring of `s` with `[REDACTED:<what>]`.
pub fn redact_str(s: &str) -> Cow<'_, str> {
    let Some(c) = COMPILED.as_ref() else {
        return Cow::Owned(FAIL_CLOSED.to_owned());
    };
    let hits = c.any.matches(s);
    if !hits.matched_any() {
        return Cow::Borrowed(s);
    }
    let mut out = s.to_owned();
    for idx in hits.iter() {
        let (name, re, keep) = &c.rules[idx];
        let replaced = re.replace_all(&out, |caps: &regex::Captures<'_>| {
            let prefix = if *keep > 0 {
                caps.get(*keep).map_or("", |m| m.as_str())
            } else {
                ""
            };
            // The URL rule keeps the `@` after the password too.
            let suffix = if *name == "url-credentials" { "@" } else { "" };
            format!("{prefix}[REDACTED:{name}]{suffix}")
        });
        if let Cow::Owned(o) = replaced {
            out = o;
        }
    }
    Cow::Owned(out)
}

/// Keys whose string values are always secrets, whatever they look like.
fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace('-', "_");
    const EXACT: &[&str] = &[
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "apikey",
        "api_key",
    ];
    const SUFFIX: &[&str] = &[
        "_password",
        "_secret",
        "_api_key",
        "_apikey",
        "secret_key",
        "private_key",
        "access_key",
        "client_secret",
        "_passphrase",
    ];
    EXACT.contains(&k.as_str()) || SUFFIX.iter().any(|s| k.ends_with(s)) || k == "authorization"
}

/// Keys that hint at a secret; their values are redacted when they look random.
fn is_hint_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "token",
        "auth",
        "credential",
        "session",
        "cookie",
        "key",
        "signature",
        "sig",
    ]
    .iter()
    .any(|h| k.contains(h))
}

/// Shannon entropy in bits per character.
fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Looks like a generated credential: long, no spaces, and random.
fn looks_random(s: &str) -> bool {
    s.len() >= 16 && !s.contains(char::is_whitespace) && entropy(s) >= 3.5
}

/// Redacts `v` in place: shapes in every string (keys included), and values under
/// secret-looking keys.
pub fn redact_json(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            if let Cow::Owned(o) = redact_str(s) {
                *s = o;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        Value::Object(map) => {
            let needs_key_rename = map.keys().any(|k| matches!(redact_str(k), Cow::Owned(_)));
            if needs_key_rename {
                let old = std::mem::take(map);
                for (k, val) in old {
                    map.insert(redact_str(&k).into_owned(), val);
                }
            }
            for (k, val) in map.iter_mut() {
                let secret = is_secret_key(k);
                match val {
                    Value::String(s)
                        if !s.is_empty() && (secret || (is_hint_key(k) && looks_random(s))) =>
                    {
                        *s = "[REDACTED:secret-field]".to_owned();
                    }
                    // A number or bool under `password` is still a password.
                    Value::Number(_) if secret => {
                        *val = Value::String("[REDACTED:secret-field]".to_owned())
                    }
                    _ => redact_json(val),
                }
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile() {
        assert!(COMPILED.is_some(), "a redaction pattern failed to compile");
    }

    #[test]
    fn clean_strings_are_borrowed_not_copied() {
        assert!(matches!(
            redact_str("cargo test -p paddock-audit"),
            Cow::Borrowed(_)
        ));
    }
}
