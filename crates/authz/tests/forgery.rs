//! Forged, tampered and malformed tokens: each refused with its own error kind, none ever
//! allowed, none echoed in an error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::Duration;
use paddock_authz::{Action, Actor, AuthError, Claims, ErrorKind, SigningKeys, TaskId, Token};
use pasetors::keys::AsymmetricSecretKey;
use pasetors::version4::{PublicToken, V4};
use serde::Deserialize;

fn agent_token(s: &common::Setup) -> Token {
    s.authz
        .mint(Claims {
            actor: Actor::Agent {
                task: TaskId::new("t1").unwrap(),
            },
            scope: common::scope(&["gate.append_decision".into()], &["task:t1".into()]),
            ttl: Duration::seconds(600),
            not_before: None,
        })
        .unwrap()
}

fn try_token(s: &common::Setup, token: &str) -> Result<(), AuthError> {
    s.authz
        .authorize(
            token,
            Action::GateAppendDecision,
            &common::resource("task:t1@alice"),
        )
        .map(drop)
}

/// (payload bytes, signature bytes) of a v4.public token.
fn split(token: &str) -> (Vec<u8>, Vec<u8>) {
    let body = B64
        .decode(token.strip_prefix("v4.public.").unwrap())
        .unwrap();
    let (m, sig) = body.split_at(body.len() - 64);
    (m.to_vec(), sig.to_vec())
}

fn join(payload: &[u8], sig: &[u8]) -> String {
    format!("v4.public.{}", B64.encode([payload, sig].concat()))
}

#[test]
fn the_untouched_token_is_allowed() {
    // The control for every test below: without the tampering, the token works.
    let s = common::setup();
    assert_eq!(try_token(&s, agent_token(&s).expose()), Ok(()));
}

#[test]
fn flipped_signature_byte_is_forged() {
    let s = common::setup();
    let token = agent_token(&s);
    let (payload, sig) = split(token.expose());
    for i in [0, 31, 63] {
        let mut bad = sig.clone();
        bad[i] ^= 0x01;
        let err = try_token(&s, &join(&payload, &bad)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Forged, "signature byte {i}");
        assert_eq!(
            err.token_id(),
            None,
            "a forged token's claimed id is not shown"
        );
    }
}

#[test]
fn tampered_payload_is_forged() {
    let s = common::setup();
    let token = agent_token(&s);
    let (payload, sig) = split(token.expose());
    let text = String::from_utf8(payload).unwrap();
    // Widen the scope, extend the expiry, change the task: all break the signature.
    let widened = text.replace("\"task:t1\"", "\"task:*\"");
    let other_task = text.replace("\"t1\"", "\"t2\"");
    let longer = text.replace("\"exp\":\"2026-11-23T22", "\"exp\":\"2027-11-23T22");
    for (what, tampered) in [("scope", widened), ("task", other_task), ("expiry", longer)] {
        assert_ne!(
            tampered, text,
            "{what}: tampering changed nothing; fix the test"
        );
        let err = try_token(&s, &join(tampered.as_bytes(), &sig)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Forged, "{what}");
    }
}

#[test]
fn every_single_character_change_is_refused() {
    let s = common::setup();
    let token = agent_token(&s);
    let text = token.expose();
    for (i, c) in text.char_indices().skip("v4.public.".len()) {
        let replacement = if c == 'A' { 'B' } else { 'A' };
        let mut bad = text.to_owned();
        bad.replace_range(i..i + 1, &replacement.to_string());
        let err = try_token(&s, &bad).expect_err("a changed token was accepted");
        assert!(
            matches!(err.kind(), ErrorKind::Forged | ErrorKind::Malformed),
            "position {i}: {err:?}"
        );
    }
}

#[test]
fn token_signed_by_another_key_is_forged() {
    let ours = common::setup();
    let theirs = common::setup(); // another install, its own key
    let foreign = agent_token(&theirs);
    assert_eq!(try_token(&theirs, foreign.expose()), Ok(()));
    let err = try_token(&ours, foreign.expose()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forged);
    assert!(!err.to_string().contains(foreign.expose()));
}

#[derive(Deserialize)]
struct MalformedTable {
    case: Vec<MalformedCase>,
}

#[derive(Deserialize)]
struct MalformedCase {
    name: String,
    token: String,
    repeat: Option<usize>,
}

#[test]
fn malformed_tokens_table() {
    let s = common::setup();
    let table: MalformedTable = toml::from_str(include_str!("data/malformed_tokens.toml")).unwrap();
    for case in table.case {
        let token = case.token.repeat(case.repeat.unwrap_or(1));
        let err = try_token(&s, &token).unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Malformed,
            "case {:?}: {err:?}",
            case.name
        );
        let msg = err.to_string();
        if token.len() > 4 {
            assert!(!msg.contains(&token), "case {:?}: token echoed", case.name);
        }
    }
}

#[test]
fn footer_added_to_a_valid_token_is_refused() {
    let s = common::setup();
    let token = agent_token(&s);
    let with_footer = format!("{}.{}", token.expose(), B64.encode(b"{\"kid\":\"x\"}"));
    assert_eq!(
        try_token(&s, &with_footer).unwrap_err().kind(),
        ErrorKind::Malformed
    );
}

/// Signs `payload` with the install's real key, as only someone holding the key file could.
fn sign_with_real_key(
    key_path: &std::path::Path,
    payload: &str,
    implicit: Option<&[u8]>,
) -> String {
    let hex_key = std::fs::read_to_string(key_path).unwrap();
    let sk = AsymmetricSecretKey::<V4>::from(&hex::decode(hex_key.trim()).unwrap()).unwrap();
    PublicToken::sign(&sk, payload.as_bytes(), None, implicit).unwrap()
}

#[test]
fn signed_payloads_outside_the_token_language_are_malformed() {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("authz.key");
    let s = common::setup_with_keys(SigningKeys::load_or_create(&key_path).unwrap());
    let ok = r#"{"iss":"paddock","aud":"paddock-engine","jti":"0193a000-0000-7000-8000-000000000001","iat":"2026-11-23T22:00:00Z","nbf":"2026-11-23T22:00:00Z","exp":"2026-11-23T23:00:00Z","actor":{"kind":"agent","task":"t1"},"scope":{"actions":["gate.append_decision"],"resources":["task:t1"]}}"#;
    let implicit = Some(&b"paddock-authz-token-v1"[..]);
    // Control: the hand-written payload is a valid token when signed properly.
    assert_eq!(
        try_token(&s, &sign_with_real_key(&key_path, ok, implicit)),
        Ok(())
    );

    // Without the implicit assertion the signature does not cover this purpose.
    let err = try_token(&s, &sign_with_real_key(&key_path, ok, None)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forged);

    let variants = [
        (
            "system actor",
            ok.replace(r#"{"kind":"agent","task":"t1"}"#, r#"{"kind":"system"}"#),
        ),
        (
            "unknown action",
            ok.replace("gate.append_decision", "gate.append_anything"),
        ),
        (
            "path in a task id",
            ok.replace(r#""task:t1""#, r#""task:t1/../*""#),
        ),
        (
            "wildcard task id",
            ok.replace(r#""task":"t1""#, r#""task":"*""#),
        ),
        (
            "extra field",
            ok.replace(r#""iss":"paddock","#, r#""iss":"paddock","admin":true,"#),
        ),
        (
            "foreign issuer",
            ok.replace(r#""iss":"paddock""#, r#""iss":"someone-else""#),
        ),
        (
            "missing expiry",
            ok.replace(r#""exp":"2026-11-23T23:00:00Z","#, ""),
        ),
        ("not json", "definitely not json".to_owned()),
    ];
    for (what, payload) in variants {
        assert_ne!(
            payload, ok,
            "{what}: variant equals the control; fix the test"
        );
        let err = try_token(&s, &sign_with_real_key(&key_path, &payload, implicit)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Malformed, "{what}: {err:?}");
    }
}
