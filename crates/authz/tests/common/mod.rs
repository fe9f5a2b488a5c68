//! Shared test helpers: an authorizer on a manual clock, and the short resource notation the
//! data files use (`task:t1@alice`, `approval:t1/a1@alice`, `audit:*`, `tasks`).
#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use paddock_authz::{
    Action, Actor, Authorizer, ManualClock, ObjectId, Policies, Resource, Scope, SigningKeys,
    TaskId, TaskRef, UserId,
};

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 22, 0, 0).unwrap()
}

pub struct Setup {
    pub authz: Authorizer,
    pub clock: Arc<ManualClock>,
}

pub fn setup() -> Setup {
    setup_with_keys(SigningKeys::generate().unwrap())
}

pub fn setup_with_keys(keys: SigningKeys) -> Setup {
    let clock = Arc::new(ManualClock::new(t0()));
    let authz = Authorizer::new(keys, Policies::embedded().unwrap()).with_clock(clock.clone());
    Setup { authz, clock }
}

pub fn actor(s: &str) -> Actor {
    let (kind, id) = s.split_once(':').unwrap_or((s, ""));
    match kind {
        "user" => Actor::User {
            user: UserId::new(id).unwrap(),
        },
        "agent" => Actor::Agent {
            task: TaskId::new(id).unwrap(),
        },
        "system" => Actor::System,
        other => panic!("unknown actor kind {other} in test data"),
    }
}

pub fn resource(s: &str) -> Resource {
    match s {
        "audit:*" => return Resource::AuditTrail,
        "tasks" => return Resource::TaskList,
        _ => {}
    }
    let (body, owner) = s
        .split_once('@')
        .unwrap_or_else(|| panic!("{s}: needs @owner"));
    let (kind, rest) = body.split_once(':').unwrap();
    let (task, object) = match rest.split_once('/') {
        Some((t, o)) => (t, Some(ObjectId::new(o).unwrap())),
        None => (rest, None),
    };
    let task = TaskRef::new(TaskId::new(task).unwrap(), UserId::new(owner).unwrap());
    match (kind, object) {
        ("task", None) => Resource::Task { task },
        ("audit", None) => Resource::TaskAudit { task },
        ("approval", Some(approval)) => Resource::Approval { task, approval },
        ("creds", Some(lease)) => Resource::Creds { task, lease },
        _ => panic!("{s}: unknown resource notation"),
    }
}

pub fn scope(actions: &[String], resources: &[String]) -> Scope {
    Scope::parse(
        actions.iter().map(String::as_str),
        resources.iter().map(String::as_str),
    )
    .unwrap()
}

pub fn all_actions() -> Vec<String> {
    Action::ALL.iter().map(|a| a.as_str().to_owned()).collect()
}
