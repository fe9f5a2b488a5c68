//! Redaction: a data-driven corpus for the functions, and an end-to-end check that
//! secrets handed to `append` never reach the bytes of the database files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

use std::path::Path;

use paddock_audit::redact::{redact_json, redact_str};
use paddock_audit::{Actor, AuditLog, Kind, NewEvent};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    name: String,
    input: String,
    secret: Vec<String>,
    keep: Vec<String>,
    marker: String,
}

#[derive(Deserialize)]
struct Corpus {
    string: Vec<Case>,
    json: Vec<Case>,
}

fn corpus() -> Corpus {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/redact_corpus.toml");
    toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn check(case: &Case, unchanged: &str, out: &str, failures: &mut Vec<String>) {
    for s in &case.secret {
        if out.contains(s.as_str()) {
            failures.push(format!("{}: secret {s:?} survived in {out:?}", case.name));
        }
    }
    for k in &case.keep {
        if !out.contains(k.as_str()) {
            failures.push(format!("{}: lost {k:?}, got {out:?}", case.name));
        }
    }
    if !case.marker.is_empty() && !out.contains(&case.marker) {
        failures.push(format!(
            "{}: no marker {:?} in {out:?}",
            case.name, case.marker
        ));
    }
    if case.secret.is_empty() && case.marker.is_empty() && out != unchanged {
        failures.push(format!("{}: clean input was changed to {out:?}", case.name));
    }
}

#[test]
fn string_corpus() {
    let mut failures = Vec::new();
    let cases = corpus().string;
    assert!(cases.len() >= 15);
    for case in &cases {
        check(case, &case.input, &redact_str(&case.input), &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn json_corpus() {
    let mut failures = Vec::new();
    for case in &corpus().json {
        let mut v: serde_json::Value =
            serde_json::from_str(&case.input).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let unchanged = v.to_string();
        redact_json(&mut v);
        check(case, &unchanged, &v.to_string(), &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn raw_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        all.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn planted_secrets_never_reach_the_database_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let log = AuditLog::open(&db).unwrap();
    let corpus = corpus();
    let mut planted = Vec::new();
    for case in corpus.string.iter().chain(&corpus.json) {
        planted.extend(case.secret.iter().filter(|s| s.len() >= 6).cloned());
        let detail = serde_json::from_str(&case.input)
            .unwrap_or_else(|_| serde_json::json!({ "command": case.input }));
        log.append(
            NewEvent::new(Actor::Agent, Kind::ToolCall, format!("Bash {}", case.input))
                .resource(case.input.clone())
                .outcome("allow")
                .detail(detail),
        )
        .unwrap();
    }
    log.checkpoint().unwrap();
    // Read the files while the log is open (WAL not yet merged) and after closing.
    let open_bytes = raw_bytes(dir.path());
    drop(log);
    let closed_bytes = raw_bytes(dir.path());
    assert!(!planted.is_empty());
    // Sanity: the check can see text that was written.
    assert!(
        contains(&closed_bytes, "REDACTED"),
        "no marker in the files: the scan is broken"
    );
    for s in &planted {
        assert!(
            !contains(&open_bytes, s),
            "secret {s:?} is in the database files (open)"
        );
        assert!(
            !contains(&closed_bytes, s),
            "secret {s:?} is in the database files (closed)"
        );
    }
}
