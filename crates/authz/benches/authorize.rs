//! `authorize` cost: mint once, verify many. Run:
//! `cargo bench -p paddock-authz --bench authorize -- --warm-up-time 1 --measurement-time 3`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use chrono::Duration;
use criterion::{Criterion, criterion_group, criterion_main};
use paddock_authz::{
    Action, Actor, Authorizer, Claims, ObjectId, Policies, Resource, Scope, ScopeResource,
    SigningKeys, TaskId, TaskRef, UserId,
};

fn bench(c: &mut Criterion) {
    let authz = Authorizer::new(
        SigningKeys::generate().unwrap(),
        Policies::embedded().unwrap(),
    );
    let t1 = TaskId::new("0193a000-0000-7000-8000-000000000001").unwrap();
    let task = TaskRef::new(t1.clone(), UserId::new("alice").unwrap());
    let agent = authz
        .mint(Claims {
            actor: Actor::Agent { task: t1.clone() },
            scope: Scope::new(
                [Action::GateAppendDecision, Action::ApprovalsWait],
                [ScopeResource::Task(t1.clone())],
            ),
            ttl: Duration::hours(8),
            not_before: None,
        })
        .unwrap();
    let user = authz
        .mint(Claims {
            actor: Actor::User {
                user: UserId::new("alice").unwrap(),
            },
            scope: Scope::new(Action::ALL.iter().copied(), [ScopeResource::AllTasks]),
            ttl: Duration::hours(8),
            not_before: None,
        })
        .unwrap();
    let gate = Resource::Task { task: task.clone() };
    let approval = Resource::Approval {
        task,
        approval: ObjectId::new("a1").unwrap(),
    };
    let other = Authorizer::new(
        SigningKeys::generate().unwrap(),
        Policies::embedded().unwrap(),
    );
    let foreign = other
        .mint(Claims {
            actor: Actor::Agent { task: t1.clone() },
            scope: Scope::new([Action::GateAppendDecision], [ScopeResource::Task(t1)]),
            ttl: Duration::hours(8),
            not_before: None,
        })
        .unwrap();

    let mut g = c.benchmark_group("authorize");
    g.bench_function("agent_gate_decision_allowed", |b| {
        b.iter(|| {
            authz
                .authorize(black_box(agent.expose()), Action::GateAppendDecision, &gate)
                .unwrap()
        })
    });
    g.bench_function("user_decides_approval_allowed", |b| {
        b.iter(|| {
            authz
                .authorize(black_box(user.expose()), Action::ApprovalsDecide, &approval)
                .unwrap()
        })
    });
    g.bench_function("agent_out_of_scope_no_cedar", |b| {
        b.iter(|| {
            authz
                .authorize(black_box(agent.expose()), Action::CredsRevoke, &gate)
                .unwrap_err()
        })
    });
    g.bench_function("forged_signature", |b| {
        b.iter(|| {
            authz
                .authorize(
                    black_box(foreign.expose()),
                    Action::GateAppendDecision,
                    &gate,
                )
                .unwrap_err()
        })
    });
    g.bench_function("decide_with_record", |b| {
        b.iter(|| authz.decide(black_box(agent.expose()), Action::GateAppendDecision, &gate))
    });
    g.finish();
    c.bench_function("mint_agent_token", |b| {
        b.iter(|| {
            authz
                .mint(Claims {
                    actor: agent.actor().clone(),
                    scope: agent.scope().clone(),
                    ttl: Duration::hours(8),
                    not_before: None,
                })
                .unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
