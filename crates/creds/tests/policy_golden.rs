#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report
//! The IAM documents Paddock writes, checked exactly (moto ignores session policies and
//! boundaries, and evaluates only StringEquals conditions, so their semantics are proven here):
//! data-driven grant cases (tests/data/grants.json), tag rules (tests/data/tags.json), golden
//! documents (tests/data/golden/*.json; regenerate with UPDATE_GOLDEN=1 and review the diff),
//! and the size limits at their exact edges.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use paddock_creds::policy::{self, SESSION_POLICY_MAX_CHARS};
use paddock_creds::{CredsError, Grant, parse_grants};
use serde_json::{Value, json};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn load(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(data(name)).unwrap()).unwrap()
}

#[test]
fn grant_corpus() {
    let corpus = load("grants.json");
    for case in corpus["ok"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let g: Grant = case["grant"].as_str().unwrap().parse().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(g.to_string(), case["canonical"].as_str().unwrap(), "{name}: canonical form");
        assert_eq!(Value::Array(g.statements()), case["statements"], "{name}: statements");
        // The canonical form parses back to the same grant.
        let again: Grant = g.to_string().parse().unwrap();
        assert_eq!(again, g, "{name}: round trip");
    }
    for case in corpus["err"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let text = case["grant"].as_str().unwrap();
        match text.parse::<Grant>() {
            Ok(g) => panic!("{name}: `{text}` was accepted as {g}"),
            Err(e) => {
                assert!(matches!(e, CredsError::InvalidGrant { .. }), "{name}: {e:?}");
                let msg = e.to_string();
                assert!(msg.contains(case["error"].as_str().unwrap()), "{name}: message was `{msg}`");
            }
        }
    }
}

#[test]
fn no_grants_is_an_error() {
    let err = parse_grants::<&str>(&[]).unwrap_err();
    assert!(err.to_string().contains("no grants given"), "{err}");
}

#[test]
fn tag_corpus() {
    let expand = |s: &str| match s {
        "K128" => "k".repeat(128),
        "K129" => "k".repeat(129),
        "V256" => "v".repeat(256),
        "V257" => "v".repeat(257),
        other => other.to_string(),
    };
    let tags_of = |v: &Value| -> Vec<(String, String)> {
        match v {
            Value::String(n) => (0..n.parse::<usize>().unwrap()).map(|i| (format!("k{i}"), "v".into())).collect(),
            _ => v
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (expand(p[0].as_str().unwrap()), expand(p[1].as_str().unwrap())))
                .collect(),
        }
    };
    let corpus = load("tags.json");
    for case in corpus["ok"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        policy::check_tags(&tags_of(&case["tags"])).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for case in corpus["err"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let err = policy::check_tags(&tags_of(&case["tags"])).expect_err(name).to_string();
        assert!(err.contains(case["error"].as_str().unwrap()), "{name}: `{err}`");
    }
}

fn deadline() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z").unwrap().with_timezone(&Utc)
}

fn golden(name: &str, doc: &Value) {
    let path = data(&format!("golden/{name}.json"));
    let pretty = serde_json::to_string_pretty(&policy::canonical(doc)).unwrap() + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &pretty).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} missing; run with UPDATE_GOLDEN=1", path.display()));
    assert_eq!(pretty, want, "{name} differs from its golden file");
}

fn sample_grants() -> Vec<Grant> {
    parse_grants(&["s3:read paddock-data/reports", "s3:write paddock-data/out", "dynamodb:read Orders"]).unwrap()
}

#[test]
fn golden_documents() {
    let g = sample_grants();
    golden("session_policy", &policy::session_policy(&g));
    golden("user_inline_policy", &policy::user_inline_policy(&g));
    golden("user_boundary_policy", &policy::user_boundary_policy(&g, deadline()));
    golden("revoked_session_deny", &policy::revoked_session_deny("paddock-task-42", deadline()));
}

#[test]
fn boundary_ends_with_a_deny_everything_after_the_deadline() {
    let doc = policy::user_boundary_policy(&sample_grants(), deadline());
    let last = doc["Statement"].as_array().unwrap().last().unwrap();
    assert_eq!(
        last,
        &json!({"Sid": "PaddockDeadline", "Effect": "Deny", "Action": "*", "Resource": "*",
                "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2026-11-23T10:00:00Z"}}})
    );
    // The inline policy has no such Deny (it would make moto refuse everything: moto treats
    // conditions other than StringEquals as always true), but it never grants more than the boundary.
    let inline = policy::user_inline_policy(&sample_grants());
    let boundary_allows: Vec<&Value> =
        doc["Statement"].as_array().unwrap().iter().filter(|s| s["Effect"] == "Allow").collect();
    let inline_allows: Vec<&Value> = inline["Statement"].as_array().unwrap().iter().collect();
    assert_eq!(boundary_allows, inline_allows);
}

#[test]
fn revocation_deny_targets_one_source_identity_issued_before_revocation() {
    let doc = policy::revoked_session_deny("paddock-t1", deadline());
    let cond = &doc["Statement"][0]["Condition"];
    assert_eq!(cond["StringEquals"]["aws:SourceIdentity"], "paddock-t1");
    assert_eq!(cond["DateLessThan"]["aws:TokenIssueTime"], "2026-11-23T10:00:00Z");
    assert_eq!(doc["Statement"][0]["Effect"], "Deny");
    assert_eq!(doc["Statement"][0]["Action"], "*");
}

#[test]
fn session_policy_limit_is_enforced_at_its_exact_edge() {
    // Grow a raw statement until the packed document is exactly at the limit, then one past it.
    let doc_for = |pad: usize| {
        let stmt = json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::b/{}", "x".repeat(pad))});
        let g: Grant = format!("raw {stmt}").parse().unwrap();
        policy::session_policy(&[g])
    };
    let base = policy::packed(&doc_for(0)).1;
    let at = doc_for(SESSION_POLICY_MAX_CHARS - base);
    assert_eq!(policy::packed(&at).1, SESSION_POLICY_MAX_CHARS);
    policy::check_size("session policy", &at, SESSION_POLICY_MAX_CHARS).unwrap();
    let over = doc_for(SESSION_POLICY_MAX_CHARS - base + 1);
    let err = policy::check_size("session policy", &over, SESSION_POLICY_MAX_CHARS).unwrap_err();
    assert_eq!(err.to_string().split(';').next().unwrap(), "the session policy would be 2049 characters, over AWS's limit of 2048");
}

#[test]
fn task_ids_fit_session_name_rules() {
    for ok in ["t", "task-42", "a.b_c+d=e,f@g", &"x".repeat(56)] {
        policy::check_task_id(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    for bad in ["", "has space", "slash/no", "colon:no", &"x".repeat(57)] {
        assert!(policy::check_task_id(bad).is_err(), "`{bad}` accepted");
    }
}
