//! The Cedar layer: the embedded policies validate against the schema, bad policies are
//! refused at load, the scope check holds even under a permit-everything policy, and the
//! system actor's bypass is the only one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

mod common;

use std::str::FromStr;

use chrono::Duration;
use paddock_authz::{
    Action, Actor, Authorizer, Claims, EMBEDDED_POLICIES, EMBEDDED_SCHEMA, ErrorKind, Policies,
    SetupError, SigningKeys,
};

#[test]
fn embedded_policies_validate_strictly_against_the_schema() {
    let (schema, warnings) = cedar_policy::Schema::from_cedarschema_str(EMBEDDED_SCHEMA).unwrap();
    let warnings: Vec<String> = warnings.map(|w| w.to_string()).collect();
    assert!(warnings.is_empty(), "schema warnings: {warnings:?}");
    let set = cedar_policy::PolicySet::from_str(EMBEDDED_POLICIES).unwrap();
    let result =
        cedar_policy::Validator::new(schema).validate(&set, cedar_policy::ValidationMode::Strict);
    let errors: Vec<String> = result.validation_errors().map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(result.validation_passed_without_warnings());
    // Every action the code knows is declared in the schema, and nothing else is.
    let declared: Vec<String> = cedar_policy::Schema::from_cedarschema_str(EMBEDDED_SCHEMA)
        .unwrap()
        .0
        .actions()
        .map(|a| a.id().unescaped().to_owned())
        .collect();
    let mut declared = declared;
    declared.sort();
    let mut known: Vec<String> = Action::ALL.iter().map(|a| a.as_str().to_owned()).collect();
    known.sort();
    assert_eq!(declared, known);
    Policies::embedded().unwrap();
}

#[test]
fn policies_that_do_not_fit_the_schema_are_refused_at_load() {
    // (what, policy text, a word the refusal must contain): each fails for its own reason.
    let bad = [
        (
            "unknown attribute",
            r#"@id("x") permit(principal is Paddock::Agent, action, resource) when { principal.admin };"#,
            "admin",
        ),
        (
            "unknown action",
            r#"@id("x") permit(principal, action == Paddock::Action::"tasks.delete_all", resource);"#,
            "tasks.delete_all",
        ),
        (
            "unknown entity type",
            r#"@id("x") permit(principal is Paddock::Root, action, resource);"#,
            "Root",
        ),
        (
            "syntax error",
            r#"@id("x") permit(principal, action, resource"#,
            "syntax",
        ),
        (
            "no @id",
            "permit(principal is Paddock::User, action, resource is Paddock::TaskList);",
            "@id",
        ),
        (
            "duplicate @id",
            "@id(\"a\") permit(principal, action, resource is Paddock::TaskList);\n@id(\"a\") permit(principal, action, resource is Paddock::AuditTrail);",
            "\"a\"",
        ),
    ];
    for (what, text, expect) in bad {
        match Policies::from_text(EMBEDDED_SCHEMA, text) {
            Err(SetupError::Policy(msg)) => assert!(msg.contains(expect), "{what}: {msg}"),
            other => panic!("{what}: {other:?}"),
        }
    }
    // Control: a well-typed policy loads.
    Policies::from_text(
        EMBEDDED_SCHEMA,
        "@id(\"ok\") permit(principal is Paddock::User, action, resource is Paddock::TaskList);",
    )
    .unwrap();
}

#[test]
fn scope_still_binds_under_a_permit_everything_policy() {
    let policies = Policies::from_text(
        EMBEDDED_SCHEMA,
        "@id(\"all\") permit(principal, action, resource);",
    )
    .unwrap();
    let s = common::setup();
    let authz =
        Authorizer::new(SigningKeys::generate().unwrap(), policies).with_clock(s.clock.clone());
    let token = authz
        .mint(Claims {
            actor: common::actor("agent:t1"),
            scope: common::scope(&["gate.append_decision".into()], &["task:t1".into()]),
            ttl: Duration::seconds(600),
            not_before: None,
        })
        .unwrap();
    let allowed = authz.authorize(
        token.expose(),
        Action::GateAppendDecision,
        &common::resource("task:t1@alice"),
    );
    assert!(allowed.is_ok(), "{allowed:?}");
    for (action, resource) in [
        (Action::CredsRevoke, "creds:t1/l1@alice"),
        (Action::GateAppendDecision, "task:t2@alice"),
        (Action::ApprovalsDecide, "approval:t1/a1@alice"),
    ] {
        let err = authz
            .authorize(token.expose(), action, &common::resource(resource))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::OutOfScope, "{action} on {resource}");
    }
}

#[test]
fn system_actor_bypasses_without_a_token() {
    let s = common::setup();
    for action in Action::ALL {
        for resource in [
            "task:t9@bob",
            "approval:t9/a1@bob",
            "creds:t9/l1@bob",
            "audit:t9@bob",
            "audit:*",
            "tasks",
        ] {
            let (principal, decision) = s
                .authz
                .authorize_system(*action, &common::resource(resource));
            assert_eq!(principal.actor, Actor::System);
            assert_eq!(principal.token_id, None);
            assert!(decision.allowed);
            assert_eq!(decision.actor, Some(Actor::System));
            assert_eq!(decision.reason, "system actor bypass");
            assert_eq!(decision.resource, resource.split('@').next().unwrap());
        }
    }
}

#[test]
fn no_token_can_reach_the_system_bypass() {
    // The one way to be `system` is the in-process call: minting refuses it, and a token
    // claiming it (even properly signed) is malformed — see forgery.rs for the signed case.
    let s = common::setup();
    let err = s
        .authz
        .mint(Claims {
            actor: Actor::System,
            scope: common::scope(&common::all_actions(), &["task:*".into()]),
            ttl: Duration::seconds(60),
            not_before: None,
        })
        .unwrap_err();
    assert_eq!(err, paddock_authz::MintError::SystemActor);
}

#[test]
fn decision_record_shape_for_the_audit_trail() {
    let s = common::setup();
    let token = s
        .authz
        .mint(Claims {
            actor: common::actor("agent:t1"),
            scope: common::scope(&["gate.append_decision".into()], &["task:t1".into()]),
            ttl: Duration::seconds(600),
            not_before: None,
        })
        .unwrap();
    let (result, decision) = s.authz.decide(
        token.expose(),
        Action::CredsRevoke,
        &common::resource("creds:t1/l1@alice"),
    );
    assert!(result.is_err());
    let json = serde_json::to_value(&decision).unwrap();
    assert_eq!(json["allowed"], false);
    assert_eq!(json["error_kind"], "out_of_scope");
    assert_eq!(json["action"], "creds.revoke");
    assert_eq!(json["resource"], "creds:t1/l1");
    assert_eq!(json["token_id"], token.id().to_string());
    assert_eq!(json["actor"]["kind"], "agent");
    assert_eq!(json["actor"]["task"], "t1");
    assert_eq!(json["at"], "2026-11-23T22:00:00Z");
    assert!(
        json["reason"]
            .as_str()
            .unwrap()
            .contains("does not grant creds.revoke")
    );
    assert!(!json.to_string().contains(token.expose()));
    assert!(
        !format!("{token:?}").contains(token.expose()),
        "Debug redacts the bearer"
    );
}

#[test]
fn policy_denial_reason_names_the_forbidding_policy() {
    let s = common::setup();
    let token = s
        .authz
        .mint(Claims {
            actor: common::actor("agent:t1"),
            scope: common::scope(&common::all_actions(), &["task:t1".into()]),
            ttl: Duration::seconds(600),
            not_before: None,
        })
        .unwrap();
    let (_, decision) = s.authz.decide(
        token.expose(),
        Action::TasksStop,
        &common::resource("task:t1@alice"),
    );
    assert_eq!(decision.error_kind, Some(ErrorKind::PolicyDenied));
    assert!(
        decision.reason.contains("agent-nothing-else"),
        "{}",
        decision.reason
    );
}
