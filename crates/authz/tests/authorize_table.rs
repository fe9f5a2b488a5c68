//! Runs the authorization table in `data/authorize_cases.toml`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

mod common;

use std::str::FromStr;

use chrono::Duration;
use paddock_authz::{
    Action, Actor, Authorizer, ChildRequest, Claims, Policies, SigningKeys, TaskId,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Table {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    actor: String,
    actions: Vec<String>,
    resources: Vec<String>,
    #[serde(default)]
    parent_actions: Vec<String>,
    #[serde(default)]
    parent_resources: Vec<String>,
    ttl_secs: Option<i64>,
    not_before_secs: Option<i64>,
    audience: Option<String>,
    #[serde(default)]
    advance_secs: i64,
    action: String,
    resource: String,
    expect: String,
}

fn expand(actions: &[String]) -> Vec<String> {
    if actions == ["all"] {
        common::all_actions()
    } else {
        actions.to_vec()
    }
}

#[test]
fn authorization_table() {
    let text = include_str!("data/authorize_cases.toml");
    let table: Table = toml::from_str(text).unwrap();
    assert!(
        table.case.len() >= 30,
        "table lost cases: {}",
        table.case.len()
    );
    let mut allowed = 0;
    let mut failed = Vec::new();
    for case in &table.case {
        match std::panic::catch_unwind(|| run_case(case)) {
            Ok(true) => allowed += 1,
            Ok(false) => {}
            Err(_) => failed.push(case.name.as_str()),
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} cases failed: {failed:#?}",
        failed.len(),
        table.case.len()
    );
    assert!(
        allowed > 0 && allowed < table.case.len(),
        "table must mix allows and denies"
    );
}

/// Runs one case (panicking with the case name on a mismatch); true when it was an allow.
fn run_case(case: &Case) -> bool {
    {
        let key_dir = tempfile::tempdir().unwrap();
        let key_path = key_dir.path().join("authz.key");
        let s = common::setup_with_keys(SigningKeys::load_or_create(&key_path).unwrap());
        let ttl = Duration::seconds(case.ttl_secs.unwrap_or(600));
        let scope = common::scope(&expand(&case.actions), &case.resources);
        let token = if let Some(task) = case.actor.strip_prefix("subagent:") {
            let parent = s
                .authz
                .mint(Claims {
                    actor: Actor::Agent {
                        task: TaskId::new(task).unwrap(),
                    },
                    scope: common::scope(&expand(&case.parent_actions), &case.parent_resources),
                    ttl: Duration::seconds(3600),
                    not_before: None,
                })
                .unwrap_or_else(|e| panic!("{}: minting parent: {e}", case.name));
            s.authz
                .mint_child(parent.expose(), ChildRequest { scope, ttl })
        } else {
            let claims = Claims {
                actor: common::actor(&case.actor),
                scope,
                ttl,
                not_before: case
                    .not_before_secs
                    .map(|n| common::t0() + Duration::seconds(n)),
            };
            match &case.audience {
                // Same key, another service: only the audience differs.
                Some(aud) => Authorizer::new(
                    SigningKeys::load_or_create(&key_path).unwrap(),
                    Policies::embedded().unwrap(),
                )
                .with_clock(s.clock.clone())
                .with_audience(aud.clone())
                .mint(claims),
                None => s.authz.mint(claims),
            }
        }
        .unwrap_or_else(|e| panic!("{}: minting: {e}", case.name));
        s.clock.advance(Duration::seconds(case.advance_secs));

        let action = Action::from_str(&case.action).unwrap();
        let resource = common::resource(&case.resource);
        let (result, decision) = s.authz.decide(token.expose(), action, &resource);
        let got = match &result {
            Ok(_) => "allow".to_owned(),
            Err(e) => e.kind().as_str().to_owned(),
        };
        assert_eq!(got, case.expect, "case {:?}: {:?}", case.name, result);
        // The audit record agrees with the result and never carries the token.
        assert_eq!(decision.allowed, result.is_ok(), "case {:?}", case.name);
        assert_eq!(
            decision.error_kind,
            result.as_ref().err().map(|e| e.kind()),
            "case {:?}",
            case.name
        );
        assert_eq!(
            decision.resource,
            resource.to_string(),
            "case {:?}",
            case.name
        );
        let record = serde_json::to_string(&decision).unwrap();
        assert!(
            !record.contains(token.expose()),
            "case {:?}: token in decision",
            case.name
        );
        if let Err(e) = &result {
            assert!(
                !e.to_string().contains(token.expose()),
                "case {:?}",
                case.name
            );
            assert_eq!(
                e.token_id(),
                Some(token.id()),
                "case {:?}: verified id shown",
                case.name
            );
            assert_eq!(
                decision.actor.as_ref(),
                match e.kind() {
                    paddock_authz::ErrorKind::OutOfScope
                    | paddock_authz::ErrorKind::PolicyDenied => Some(token.actor()),
                    _ => None,
                },
                "case {:?}: actor in the record",
                case.name
            );
        } else {
            assert_eq!(result.as_ref().unwrap().token_id, Some(token.id()));
            assert_eq!(
                &result.as_ref().unwrap().actor,
                token.actor(),
                "case {:?}",
                case.name
            );
        }
        result.is_ok()
    }
}
