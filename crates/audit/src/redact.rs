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
//!
//! Speed: every rule's match contains one of a few literals ([`ANCHORS`]: `sk-`, `ghp_`,
//! `://`, `token`, `password`...). An ASCII string with none of them, ASCII-case-insensitively,
//! cannot match any rule, so one Aho-Corasick scan clears most strings without running the
//! regexes. Strings with non-ASCII bytes always take the full regex pass: `(?i)` in the rules
//! is Unicode-aware (`ſ` matches `s`, the Kelvin sign matches `k`), which an ASCII prefilter
//! would not see.

use std::borrow::Cow;
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
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

/// Literals of which every match of every rule contains at least one (compared
/// ASCII-case-insensitively). Must not contain `:` or `/` (see may_contain_secret). Adding a rule means adding its literal here; the
/// `prefilter_*` tests fail otherwise.
const ANCHORS: &[&str] = &[
    // private-key
    "-----BEGIN ",
    // anthropic-key, openai-key
    "sk-",
    // github-token
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    // gitlab-token
    "glpat-",
    // slack-token
    "xox",
    // aws-access-key
    "akia",
    "asia",
    "agpa",
    "aida",
    "aroa",
    "aipa",
    "anpa",
    "anva",
    "abia",
    "acca",
    // google-api-key
    "aiza",
    // stripe-key
    "_live_",
    "_test_",
    // jwt
    "eyj",
    // authorization
    "bearer",
    "basic",
    "token",
    // url-credentials (and only with an `@`, see may_contain_secret)
    URL_ANCHOR,
    // secret-assignment (its other keys contain `secret` or `token`)
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "api_key",
    "api-key",
    "apikey",
    "access_key",
    "access-key",
    "accesskey",
    "private_key",
    "private-key",
    "privatekey",
];

/// Fragments of which every key that [`is_secret_key`] or [`is_hint_key`] accepts contains
/// one, compared ASCII-case-insensitively. None contains `-` or `_`, which key
/// normalisation maps onto each other, so a raw key holds the fragment whenever its
/// normalised form does. Adding a key rule means adding its fragment here; the
/// `key_prefilter_*` tests fail otherwise.
const KEY_HINTS: &[&str] = &[
    // is_hint_key
    "token",
    "auth",
    "credential",
    "session",
    "cookie",
    "key",
    "sig",
    // is_secret_key: `passwd`/`password`, `pwd`, `passphrase`, `secret`; the `*key`
    // and `authorization` ones are covered above
    "passw",
    "pwd",
    "passphrase",
    "secret",
];

struct Compiled {
    anchors: AhoCorasick,
    key_hints: AhoCorasick,
    any: RegexSet,
    rules: Vec<(&'static str, Regex, usize)>,
}

static COMPILED: LazyLock<Option<Compiled>> = LazyLock::new(|| {
    // A DFA walked byte by byte: the anchors start with so many different letters that
    // a start-byte prefilter would stop at nearly every position of ordinary text.
    let anchors = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .prefilter(false)
        .build(ANCHORS)
        .ok()?;
    let key_hints = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(KEY_HINTS)
        .ok()?;
    let any = RegexSet::new(RULES.iter().map(|r| r.pattern)).ok()?;
    let rules = RULES
        .iter()
        .map(|r| Regex::new(r.pattern).ok().map(|re| (r.name, re, r.keep)))
        .collect::<Option<Vec<_>>>()?;
    Some(Compiled {
        anchors,
        key_hints,
        any,
        rules,
    })
});

/// The one anchor that is common in clean text (every URL has it): it only counts
/// when the string also has the `@` that URL credentials need.
const URL_ANCHOR: &str = "://";

/// False only when `s` provably matches no rule.
fn may_contain_secret(c: &Compiled, s: &str) -> bool {
    if !s.is_ascii() {
        return true;
    }
    // No other anchor contains `:` or `/`, so none can hide inside a `://` match.
    let mut url = false;
    for m in c.anchors.find_iter(s) {
        if ANCHORS[m.pattern().as_usize()] != URL_ANCHOR {
            return true;
        }
        url = true;
    }
    url && s.contains('@')
}

/// Returned for every string when the patterns failed to compile — which a unit test
/// rules out — so that a bug can never turn into "write the secret unredacted".
const FAIL_CLOSED: &str = "[REDACTED:redactor-unavailable]";

/// Replaces every secret-shaped substring of `s` with `[REDACTED:<what>]`.
pub fn redact_str(s: &str) -> Cow<'_, str> {
    let Some(c) = COMPILED.as_ref() else {
        return Cow::Owned(FAIL_CLOSED.to_owned());
    };
    if !may_contain_secret(c, s) {
        return Cow::Borrowed(s);
    }
    redact_matches(c, s)
}

fn redact_matches<'a>(c: &Compiled, s: &'a str) -> Cow<'a, str> {
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

/// `key` lowercased with `-` as `_`, in `buf` when it fits (keys are short), so the
/// per-key checks below allocate nothing.
fn normalise_key<'a>(key: &str, buf: &'a mut [u8; 64]) -> Cow<'a, str> {
    if key.len() > buf.len() {
        return Cow::Owned(key.to_ascii_lowercase().replace('-', "_"));
    }
    let out = &mut buf[..key.len()];
    for (o, b) in out.iter_mut().zip(key.bytes()) {
        *o = if b == b'-' {
            b'_'
        } else {
            b.to_ascii_lowercase()
        };
    }
    // ASCII-only changes to valid UTF-8 leave it valid UTF-8.
    match std::str::from_utf8(out) {
        Ok(k) => Cow::Borrowed(k),
        Err(_) => Cow::Owned(key.to_ascii_lowercase().replace('-', "_")),
    }
}

/// What a key says about its value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyClass {
    /// Nothing: the value is redacted only for its shape.
    Plain,
    /// A hint (`token`, `auth`, `session`...): the value is redacted when it looks random.
    Hint,
    /// Always a secret (`password`, `api_key`, `client_secret`...).
    Secret,
}

fn classify_key(c: &Compiled, key: &str) -> KeyClass {
    // No hint fragment, no rule below can accept the key (see KEY_HINTS).
    if !c.key_hints.is_match(key) {
        return KeyClass::Plain;
    }
    let mut buf = [0u8; 64];
    let k = normalise_key(key, &mut buf);
    if is_secret_key(&k) {
        KeyClass::Secret
    } else if is_hint_key(&k) {
        KeyClass::Hint
    } else {
        KeyClass::Plain
    }
}

/// Normalised keys whose string values are always secrets, whatever they look like.
fn is_secret_key(k: &str) -> bool {
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
    EXACT.contains(&k) || SUFFIX.iter().any(|s| k.ends_with(s)) || k == "authorization"
}

/// Normalised keys that hint at a secret; their values are redacted when they look random.
fn is_hint_key(k: &str) -> bool {
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
    match COMPILED.as_ref() {
        Some(c) => {
            redact_value(c, v, true);
        }
        None => fail_closed(v),
    }
}

/// The whole value replaced by the fail-closed marker: without the patterns nothing in
/// it can be shown to be safe.
fn fail_closed(v: &mut serde_json::Value) {
    *v = serde_json::Value::String(FAIL_CLOSED.to_owned());
}

/// [`redact_json`], and `v`'s JSON text after it, computed together: the text is
/// serialised first, and one scan of it decides whether any string in `v` can match a
/// shape rule at all. When none can (the usual case), only keys are checked and, unless
/// one hints at a secret, the text is returned as is — one serialisation and one scan
/// instead of a scan per string. Same result as `redact_json` then `to_string`.
pub fn redact_json_text(v: &mut serde_json::Value) -> Result<String, serde_json::Error> {
    let text = serde_json::to_string(v)?;
    let Some(c) = COMPILED.as_ref() else {
        fail_closed(v);
        return serde_json::to_string(v);
    };
    // serde_json escapes only `"`, `\` and control characters, none of which is in an
    // anchor, and writes non-ASCII as it is: every anchor in a string of `v` (key or
    // value) is also in the text, and the text is ASCII only if every string is. So a
    // text the prefilter clears holds no string that could match a rule.
    let shapes = may_contain_secret(c, &text);
    if redact_value(c, v, shapes) {
        serde_json::to_string(v)
    } else {
        Ok(text)
    }
}

/// Redacts `v` in place; returns whether anything changed. `shapes` false promises that
/// no string in `v` can match a shape rule, so only keys are looked at.
fn redact_value(c: &Compiled, v: &mut serde_json::Value, shapes: bool) -> bool {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            if shapes && let Cow::Owned(o) = redact_matches_if_needed(c, s) {
                *s = o;
                return true;
            }
            false
        }
        Value::Array(items) => items.iter_mut().fold(false, |changed, item| {
            redact_value(c, item, shapes) | changed
        }),
        Value::Object(map) => {
            let mut changed = false;
            if shapes
                && map
                    .keys()
                    .any(|k| matches!(redact_matches_if_needed(c, k), Cow::Owned(_)))
            {
                let old = std::mem::take(map);
                for (k, val) in old {
                    map.insert(redact_matches_if_needed(c, &k).into_owned(), val);
                }
                changed = true;
            }
            for (k, val) in map.iter_mut() {
                let class = classify_key(c, k);
                let secret = class == KeyClass::Secret;
                changed |= match val {
                    Value::String(s)
                        if !s.is_empty()
                            && (secret || (class == KeyClass::Hint && looks_random(s))) =>
                    {
                        *s = "[REDACTED:secret-field]".to_owned();
                        true
                    }
                    // A number or bool under `password` is still a password.
                    Value::Number(_) if secret => {
                        *val = Value::String("[REDACTED:secret-field]".to_owned());
                        true
                    }
                    _ => redact_value(c, val, shapes),
                };
            }
            changed
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// [`redact_str`] with the patterns in hand.
fn redact_matches_if_needed<'a>(c: &Compiled, s: &'a str) -> Cow<'a, str> {
    if may_contain_secret(c, s) {
        redact_matches(c, s)
    } else {
        Cow::Borrowed(s)
    }
}

/// [`redact_str`] for a string the caller owns: no copy when nothing is redacted.
pub fn redact_string(s: String) -> String {
    match redact_str(&s) {
        Cow::Borrowed(_) => s,
        Cow::Owned(o) => o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile() {
        assert!(COMPILED.is_some(), "a redaction pattern failed to compile");
    }

    /// Every string some rule matches must get past the prefilter.
    fn assert_prefilter_sound(c: &Compiled, s: &str) {
        if c.any.is_match(s) {
            assert!(
                may_contain_secret(c, s),
                "rule {:?} matches {s:?} but no anchor does: add its literal to ANCHORS",
                c.any
                    .matches(s)
                    .iter()
                    .map(|i| RULES[i].name)
                    .collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn prefilter_lets_every_corpus_secret_through_in_any_case() {
        let c = COMPILED.as_ref().expect("patterns compile");
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/redact_corpus.toml");
        let text = std::fs::read_to_string(path).expect("corpus readable");
        let corpus: toml::Value = toml::from_str(&text).expect("corpus parses");
        let mut inputs = 0;
        for section in ["string", "json"] {
            for case in corpus[section].as_array().expect("section is a list") {
                let input = case["input"].as_str().expect("input is a string");
                for variant in [
                    input.to_owned(),
                    input.to_ascii_uppercase(),
                    input.to_ascii_lowercase(),
                ] {
                    assert_prefilter_sound(c, &variant);
                }
                inputs += 1;
            }
        }
        assert!(inputs >= 20, "corpus went missing: {inputs} inputs");
    }

    #[test]
    fn prefilter_is_sound_on_generated_strings() {
        // Strings stitched from fragments of every rule, in random case, so that many of
        // them match some rule; each match must pass the prefilter. A fixed-seed xorshift
        // keeps failures reproducible.
        const FRAGMENTS: &[&str] = &[
            "sk-",
            "ant-",
            "proj-",
            "ghp_",
            "gho_",
            "ghs_",
            "github_pat_",
            "glpat-",
            "xoxb-",
            "AKIA",
            "ASIA",
            "ACCA",
            "AIza",
            "sk_live_",
            "rk_test_",
            "eyJ",
            ".",
            "Bearer ",
            "basic ",
            "token ",
            "https://",
            "user:",
            "@",
            "password=",
            "passwd: ",
            "pwd=",
            "secret_key=",
            "client-secret: ",
            "api_key=",
            "apikey=",
            "access-token=",
            "refresh_token: ",
            "private_key=",
            "\"",
            "'",
            "=",
            ": ",
            " ",
            "-----BEGIN ",
            "RSA PRIVATE KEY-----",
            "abcdefghij",
            "ABCDEFGHIJKLMNOP",
            "0123456789",
            "Zx9fakefakefake_QQ",
            "-",
            "_",
            "/",
            "+",
        ];
        let c = COMPILED.as_ref().expect("patterns compile");
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut matched = 0;
        for _ in 0..50_000 {
            let mut s = String::new();
            for _ in 0..(next() % 8 + 1) {
                let frag = FRAGMENTS[(next() % FRAGMENTS.len() as u64) as usize];
                match next() % 3 {
                    0 => s.push_str(&frag.to_ascii_uppercase()),
                    1 => s.push_str(&frag.to_ascii_lowercase()),
                    _ => s.push_str(frag),
                }
            }
            if c.any.is_match(&s) {
                matched += 1;
            }
            assert_prefilter_sound(c, &s);
        }
        assert!(matched > 5_000, "generator too weak: {matched} matches");
    }

    /// A fixed-seed xorshift, so generated cases are reproducible.
    fn xorshift(seed: u64) -> impl FnMut() -> u64 {
        let mut state = seed;
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }

    /// Pieces of keys: every word the key rules look for, glue, and plain words.
    const KEY_FRAGMENTS: &[&str] = &[
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "apikey",
        "api",
        "key",
        "private",
        "access",
        "client",
        "authorization",
        "auth",
        "token",
        "credential",
        "session",
        "cookie",
        "signature",
        "sig",
        "_",
        "-",
        "id",
        "name",
        "cwd",
        "command",
        "x",
    ];

    fn generated_key(next: &mut impl FnMut() -> u64) -> String {
        let mut k = String::new();
        for _ in 0..(next() % 4 + 1) {
            let frag = KEY_FRAGMENTS[(next() % KEY_FRAGMENTS.len() as u64) as usize];
            match next() % 3 {
                0 => k.push_str(&frag.to_ascii_uppercase()),
                1 => k.push_str(frag),
                _ => {
                    let mut cs = frag.chars();
                    k.extend(cs.next().map(|c| c.to_ascii_uppercase()));
                    k.extend(cs);
                }
            }
        }
        k
    }

    #[test]
    fn key_prefilter_lets_every_secret_or_hint_key_through() {
        let c = COMPILED.as_ref().expect("patterns compile");
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        let mut flagged = 0;
        for _ in 0..50_000 {
            let key = generated_key(&mut next);
            let mut buf = [0u8; 64];
            let k = normalise_key(&key, &mut buf);
            if is_secret_key(&k) || is_hint_key(&k) {
                flagged += 1;
                assert!(
                    c.key_hints.is_match(&key),
                    "key {key:?} is a secret or hint key but no KEY_HINTS fragment is in it"
                );
            }
        }
        assert!(
            flagged > 10_000,
            "generator too weak: {flagged} flagged keys"
        );
    }

    /// A JSON object from generated keys and values stitched from secret fragments.
    fn generated_json(next: &mut impl FnMut() -> u64, depth: u32) -> serde_json::Value {
        use serde_json::Value;
        const VALUES: &[&str] = &[
            "cargo test",
            "Zx9fakefakefake_QQ8f14e45fceea167a",
            "hunter2",
            "https://bob:hunter2hunter2@example.com/r",
            "https://api.example.com/v1",
            "Bearer 8f14e45fceea167a5a36dedd4bea2543",
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            "password=swordfish123",
            "AKIAIOSFODNN7EXAMPLE",
            "pasſword=hunter2hunter2",
            "line\nbreak \"quoted\"",
            "",
        ];
        let mut map = serde_json::Map::new();
        for _ in 0..(next() % 5 + 1) {
            let key = if next().is_multiple_of(8) {
                VALUES[(next() % VALUES.len() as u64) as usize].to_owned()
            } else {
                generated_key(next)
            };
            let val = match next() % 6 {
                0 if depth < 2 => generated_json(next, depth + 1),
                1 => Value::from(next() % 1_000_000),
                2 => Value::Array(vec![
                    Value::from(VALUES[(next() % VALUES.len() as u64) as usize]),
                    Value::Bool(true),
                ]),
                _ => Value::from(VALUES[(next() % VALUES.len() as u64) as usize]),
            };
            map.insert(key, val);
        }
        Value::Object(map)
    }

    #[test]
    fn redact_json_text_equals_redact_json_then_serialising() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        let mut changed = 0;
        let mut cases: Vec<serde_json::Value> =
            (0..20_000).map(|_| generated_json(&mut next, 0)).collect();
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/redact_corpus.toml");
        let corpus: toml::Value =
            toml::from_str(&std::fs::read_to_string(path).expect("corpus readable"))
                .expect("corpus parses");
        for case in corpus["json"].as_array().expect("json cases") {
            let input = case["input"].as_str().expect("input is a string");
            cases.push(serde_json::from_str(input).expect("corpus json parses"));
        }
        for original in cases {
            let mut slow = original.clone();
            redact_json(&mut slow);
            let mut fast = original.clone();
            let text = redact_json_text(&mut fast).expect("serialises");
            assert_eq!(fast, slow, "redacted values differ for {original}");
            assert_eq!(
                text,
                serde_json::to_string(&slow).expect("serialises"),
                "text differs for {original}"
            );
            changed += usize::from(slow != original);
        }
        assert!(changed > 5_000, "generator too weak: {changed} redacted");
    }

    #[test]
    fn no_anchor_but_the_url_one_contains_colon_or_slash() {
        for a in ANCHORS {
            assert!(
                *a == URL_ANCHOR || !a.contains([':', '/']),
                "{a:?} could overlap a {URL_ANCHOR:?} match"
            );
        }
    }

    #[test]
    fn urls_without_credentials_skip_the_regexes_and_with_them_do_not() {
        let c = COMPILED.as_ref().expect("patterns compile");
        assert!(!may_contain_secret(
            c,
            "curl https://api.example.com/v1/items/5"
        ));
        assert!(may_contain_secret(
            c,
            "git clone https://bob:hunter2@example.com/r"
        ));
        assert_eq!(
            redact_str("git clone https://bob:hunter2hunter2@example.com/r"),
            "git clone https://bob:[REDACTED:url-credentials]@example.com/r"
        );
    }

    #[test]
    fn non_ascii_strings_take_the_full_pass() {
        // `ſ` (long s) case-folds to `s` under the rules' Unicode-aware (?i).
        let out = redact_str("pasſword=hunter2hunter2");
        assert!(!out.contains("hunter2"), "{out}");
    }

    #[test]
    fn clean_strings_are_borrowed_not_copied() {
        assert!(matches!(
            redact_str("cargo test -p paddock-audit"),
            Cow::Borrowed(_)
        ));
    }
}
