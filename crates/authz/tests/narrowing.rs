//! Sub-agent tokens can only be narrower than their parent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

mod common;

use chrono::Duration;
use paddock_authz::{
    Action, Actor, ChildRequest, Claims, ErrorKind, MintError, Scope, ScopeResource, TaskId,
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
    parent_actions: Vec<String>,
    parent_resources: Vec<String>,
    actions: Vec<String>,
    resources: Vec<String>,
    ttl_secs: Option<i64>,
    expect: String,
}

fn expand(a: &[String]) -> Vec<String> {
    if a == ["all"] {
        common::all_actions()
    } else {
        a.to_vec()
    }
}

fn agent(s: &common::Setup, task: &str, scope: Scope, ttl: i64) -> paddock_authz::Token {
    s.authz
        .mint(Claims {
            actor: Actor::Agent {
                task: TaskId::new(task).unwrap(),
            },
            scope,
            ttl: Duration::seconds(ttl),
            not_before: None,
        })
        .unwrap()
}

#[test]
fn narrowing_table() {
    let table: Table = toml::from_str(include_str!("data/narrowing_cases.toml")).unwrap();
    let mut minted = 0;
    for case in &table.case {
        let s = common::setup();
        let parent_scope = common::scope(&expand(&case.parent_actions), &case.parent_resources);
        let parent = agent(&s, "t1", parent_scope.clone(), 3600);
        let actions = expand(&case.actions);
        let requested = match Scope::parse(
            actions.iter().map(String::as_str),
            case.resources.iter().map(String::as_str),
        ) {
            Ok(scope) => scope,
            Err(e) => {
                assert_eq!(
                    case.expect, "invalid",
                    "case {:?}: parse refused: {e}",
                    case.name
                );
                // The error names the expected shape and never echoes the input.
                for r in case.resources.iter().chain(&actions) {
                    let echoed =
                        e.to_string().contains(r.as_str()) && !e.expected.contains(r.as_str());
                    assert!(!echoed, "case {:?}: input echoed in {e}", case.name);
                }
                continue;
            }
        };
        assert_ne!(
            case.expect, "invalid",
            "case {:?}: parsed as {requested:?}",
            case.name
        );
        let request = ChildRequest {
            scope: requested.clone(),
            ttl: Duration::seconds(case.ttl_secs.unwrap_or(300)),
        };
        let got = s.authz.mint_child(parent.expose(), request);
        match (case.expect.as_str(), &got) {
            ("ok", Ok(child)) => {
                minted += 1;
                assert!(
                    child.scope().is_subset_of(&parent_scope),
                    "case {:?}",
                    case.name
                );
                assert_eq!(child.scope(), &requested, "case {:?}", case.name);
                assert!(
                    child.expires_at() <= parent.expires_at(),
                    "case {:?}",
                    case.name
                );
                assert_eq!(
                    child.actor(),
                    &Actor::SubAgent {
                        task: TaskId::new("t1").unwrap(),
                        parent_token: parent.id()
                    },
                    "case {:?}",
                    case.name
                );
            }
            ("widening", Err(MintError::Widening { parent: p, .. })) => {
                assert_eq!(*p, parent.id(), "case {:?}", case.name)
            }
            ("empty", Err(MintError::EmptyScope)) => {}
            _ => panic!(
                "case {:?}: expected {}, got {got:?}",
                case.name, case.expect
            ),
        }
    }
    assert!(minted >= 2, "table must include allowed narrowings");
}

#[test]
fn child_of_child_narrows_again_and_cannot_regain_what_was_dropped() {
    let s = common::setup();
    let both = common::scope(
        &["gate.append_decision".into(), "approvals.wait".into()],
        &["task:t1".into()],
    );
    let parent = agent(&s, "t1", both.clone(), 3600);
    let child = s
        .authz
        .mint_child(
            parent.expose(),
            ChildRequest {
                scope: common::scope(&["approvals.wait".into()], &["task:t1".into()]),
                ttl: Duration::seconds(600),
            },
        )
        .unwrap();
    // The grandchild asks for what the grandparent had but the child dropped.
    let err = s
        .authz
        .mint_child(
            child.expose(),
            ChildRequest {
                scope: both,
                ttl: Duration::seconds(60),
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, MintError::Widening { parent, .. } if parent == child.id()),
        "{err:?}"
    );
    // ...and may not outlive the child even though the grandparent lives longer.
    let err = s
        .authz
        .mint_child(
            child.expose(),
            ChildRequest {
                scope: child.scope().clone(),
                ttl: Duration::seconds(601),
            },
        )
        .unwrap_err();
    assert!(matches!(err, MintError::Widening { .. }), "{err:?}");
    let grandchild = s
        .authz
        .mint_child(
            child.expose(),
            ChildRequest {
                scope: child.scope().clone(),
                ttl: Duration::seconds(600),
            },
        )
        .unwrap();
    assert_eq!(
        grandchild.actor(),
        &Actor::SubAgent {
            task: TaskId::new("t1").unwrap(),
            parent_token: child.id()
        }
    );
}

#[test]
fn an_expired_or_forged_parent_cannot_mint() {
    let s = common::setup();
    let scope = common::scope(&["gate.append_decision".into()], &["task:t1".into()]);
    let parent = agent(&s, "t1", scope.clone(), 60);
    let request = ChildRequest {
        scope,
        ttl: Duration::seconds(10),
    };
    s.clock.advance(Duration::seconds(60));
    match s.authz.mint_child(parent.expose(), request.clone()) {
        Err(MintError::Parent(e)) => assert_eq!(e.kind(), ErrorKind::Expired),
        other => panic!("expired parent minted: {other:?}"),
    }
    let other_install = common::setup();
    let foreign = agent(&other_install, "t1", request.scope.clone(), 600);
    match s.authz.mint_child(foreign.expose(), request) {
        Err(MintError::Parent(e)) => assert_eq!(e.kind(), ErrorKind::Forged),
        other => panic!("foreign parent minted: {other:?}"),
    }
}

#[test]
fn user_tokens_do_not_mint_sub_agents() {
    let s = common::setup();
    let user = s
        .authz
        .mint(Claims {
            actor: common::actor("user:alice"),
            scope: common::scope(&common::all_actions(), &["task:*".into()]),
            ttl: Duration::seconds(600),
            not_before: None,
        })
        .unwrap();
    let err = s
        .authz
        .mint_child(
            user.expose(),
            ChildRequest {
                scope: common::scope(&["tasks.read".into()], &["task:t1".into()]),
                ttl: Duration::seconds(60),
            },
        )
        .unwrap_err();
    assert_eq!(err, MintError::ParentNotAnAgent);
}

#[test]
fn mint_refuses_what_no_token_may_say() {
    let s = common::setup();
    let t1 = TaskId::new("t1").unwrap();
    let gate = [Action::GateAppendDecision];
    let claims = |actor: Actor, resources: Vec<ScopeResource>, ttl: i64| Claims {
        actor,
        scope: Scope::new(gate, resources),
        ttl: Duration::seconds(ttl),
        not_before: None,
    };
    let own = vec![ScopeResource::Task(t1.clone())];
    let agent = Actor::Agent { task: t1.clone() };
    assert_eq!(
        s.authz
            .mint(claims(Actor::System, own.clone(), 60))
            .unwrap_err(),
        MintError::SystemActor
    );
    assert!(matches!(
        s.authz
            .mint(claims(agent.clone(), vec![ScopeResource::AllTasks], 60))
            .unwrap_err(),
        MintError::ForeignTask { .. }
    ));
    assert!(matches!(
        s.authz
            .mint(claims(
                agent.clone(),
                vec![ScopeResource::Task(TaskId::new("t2").unwrap())],
                60
            ))
            .unwrap_err(),
        MintError::ForeignTask { .. }
    ));
    let sub = Actor::SubAgent {
        task: t1,
        parent_token: uuid::Uuid::nil(),
    };
    assert_eq!(
        s.authz.mint(claims(sub, own.clone(), 60)).unwrap_err(),
        MintError::SubAgentWithoutParent
    );
    assert!(matches!(
        s.authz
            .mint(claims(agent.clone(), own.clone(), 0))
            .unwrap_err(),
        MintError::BadLifetime { .. }
    ));
    assert!(matches!(
        s.authz
            .mint(claims(agent.clone(), own.clone(), 24 * 3600 + 1))
            .unwrap_err(),
        MintError::BadLifetime { .. }
    ));
    let mut late_start = claims(agent.clone(), own.clone(), 3600);
    late_start.not_before = Some(common::t0() + Duration::days(30));
    assert!(matches!(
        s.authz.mint(late_start).unwrap_err(),
        MintError::BadLifetime { .. }
    ));
    assert!(
        s.authz.mint(claims(agent, own, 24 * 3600)).is_ok(),
        "the maximum itself is fine"
    );
}
