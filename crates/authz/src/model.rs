//! The vocabulary of access control: who (actors), what (actions), on what (resources), and
//! the scope a token carries.
//!
//! Identifiers are validated strictly — ASCII letters, digits, `-`, `_` and (for users) `.`,
//! at most 64 characters — so a scope never needs pattern matching: `task:T` covers exactly
//! the task whose id is byte-for-byte `T`, and the only wildcard is the whole `task:*` entry.
//! Unicode look-alikes, separators (`/`, `:`, `*`, whitespace) and empty ids cannot be
//! expressed at all, which is what keeps narrowing (`Scope::is_subset_of`) a plain set test.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why an identifier, action or resource string was refused. Never echoes the input (it may
/// come from an attacker-controlled token); says what shape was expected instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}: expected {expected}")]
pub struct InvalidName {
    pub what: &'static str,
    pub expected: &'static str,
}

const MAX_ID_LEN: usize = 64;

fn valid_id(s: &str, extra: &[u8]) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ID_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || extra.contains(&b))
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $extra:expr, $expected:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn new(s: impl Into<String>) -> Result<Self, InvalidName> {
                let s = s.into();
                if valid_id(&s, $extra) {
                    Ok(Self(s))
                } else {
                    Err(InvalidName { what: $what, expected: $expected })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidName;
            fn try_from(s: String) -> Result<Self, InvalidName> {
                Self::new(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = InvalidName;
            fn from_str(s: &str) -> Result<Self, InvalidName> {
                Self::new(s)
            }
        }
    };
}

id_type!(
    /// A task id as the engine names tasks (e.g. a UUID or `t-20261123-ab12`).
    TaskId,
    "task id",
    &[],
    "1-64 ASCII letters, digits, '-' or '_'"
);
id_type!(
    /// A local user (the OS account name of whoever runs the app or CLI).
    UserId,
    "user id",
    b".",
    "1-64 ASCII letters, digits, '-', '_' or '.'"
);
id_type!(
    /// An approval, a credential lease or another object that belongs to a task.
    ObjectId,
    "object id",
    &[],
    "1-64 ASCII letters, digits, '-' or '_'"
);

/// Who is calling. [`Actor::System`] exists only in process: no token can name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Actor {
    /// A person using the app or CLI.
    User { user: UserId },
    /// The agent running task `task` (its gate hook and tools).
    Agent { task: TaskId },
    /// A sub-agent spawned inside task `task`, holding a token narrowed from `parent_token`.
    SubAgent {
        task: TaskId,
        parent_token: uuid::Uuid,
    },
    /// The engine itself (cleanup, timeouts). Never in a token; see `Authorizer::authorize_system`.
    System,
}

impl Actor {
    /// The task an agent or sub-agent is confined to.
    pub fn task(&self) -> Option<&TaskId> {
        match self {
            Actor::Agent { task } | Actor::SubAgent { task, .. } => Some(task),
            Actor::User { .. } | Actor::System => None,
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::User { user } => write!(f, "user {user}"),
            Actor::Agent { task } => write!(f, "agent of task {task}"),
            Actor::SubAgent { task, parent_token } => {
                write!(f, "sub-agent of task {task} (parent token {parent_token})")
            }
            Actor::System => f.write_str("system"),
        }
    }
}

macro_rules! actions {
    ($($variant:ident => $name:literal),+ $(,)?) => {
        /// Everything the engine API lets a caller do. Closed on purpose: a token or request
        /// naming an action that is not listed here is malformed, not "unknown but allowed".
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Action {
            $(#[serde(rename = $name)] $variant,)+
        }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant),+];

            /// The dotted name used in tokens, Cedar policies and the audit trail.
            pub fn as_str(self) -> &'static str {
                match self { $(Action::$variant => $name,)+ }
            }
        }

        impl FromStr for Action {
            type Err = InvalidName;
            fn from_str(s: &str) -> Result<Self, InvalidName> {
                match s {
                    $($name => Ok(Action::$variant),)+
                    _ => Err(InvalidName { what: "action", expected: "one of the engine API actions, e.g. gate.append_decision" }),
                }
            }
        }
    };
}

actions! {
    GateAppendDecision => "gate.append_decision",
    ApprovalsWait => "approvals.wait",
    ApprovalsDecide => "approvals.decide",
    AuditRead => "audit.read",
    TasksCreate => "tasks.create",
    TasksList => "tasks.list",
    TasksRead => "tasks.read",
    TasksStop => "tasks.stop",
    CredsRevoke => "creds.revoke",
    EgressRead => "egress.read",
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A task together with its owner, as the engine's task table records it. The owner is
/// what lets the Cedar policy say "a user may do everything on *their* tasks".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRef {
    pub id: TaskId,
    pub owner: UserId,
}

impl TaskRef {
    pub fn new(id: TaskId, owner: UserId) -> Self {
        TaskRef { id, owner }
    }
}

/// What an action is applied to. Every resource but the task list and the whole audit trail
/// belongs to exactly one task; that task is what token scopes are checked against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Resource {
    /// A task: its gate decisions, output, egress log, stop button.
    Task { task: TaskRef },
    /// A pending or decided approval raised by a task's gate.
    Approval { task: TaskRef, approval: ObjectId },
    /// The audit trail of one task.
    TaskAudit { task: TaskRef },
    /// A cloud credential lease held by a task.
    Creds { task: TaskRef, lease: ObjectId },
    /// The whole audit trail, every task.
    AuditTrail,
    /// The collection of tasks (create, list).
    TaskList,
}

impl Resource {
    /// The task this resource belongs to, if any.
    pub fn task(&self) -> Option<&TaskRef> {
        match self {
            Resource::Task { task }
            | Resource::Approval { task, .. }
            | Resource::TaskAudit { task }
            | Resource::Creds { task, .. } => Some(task),
            Resource::AuditTrail | Resource::TaskList => None,
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Task { task } => write!(f, "task:{}", task.id),
            Resource::Approval { task, approval } => write!(f, "approval:{}/{approval}", task.id),
            Resource::TaskAudit { task } => write!(f, "audit:{}", task.id),
            Resource::Creds { task, lease } => write!(f, "creds:{}/{lease}", task.id),
            Resource::AuditTrail => f.write_str("audit:*"),
            Resource::TaskList => f.write_str("tasks"),
        }
    }
}

/// One resource entry of a token's scope: `task:<id>` (that task and everything in it) or
/// `task:*` (every task, the task list and the whole audit trail — user tokens only).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ScopeResource {
    Task(TaskId),
    AllTasks,
}

impl ScopeResource {
    pub fn covers(&self, resource: &Resource) -> bool {
        match (self, resource.task()) {
            (ScopeResource::AllTasks, _) => true,
            (ScopeResource::Task(id), Some(task)) => *id == task.id,
            (ScopeResource::Task(_), None) => false,
        }
    }
}

impl FromStr for ScopeResource {
    type Err = InvalidName;
    fn from_str(s: &str) -> Result<Self, InvalidName> {
        let bad = InvalidName {
            what: "scope resource",
            expected: "'task:<id>' or 'task:*'",
        };
        match s.strip_prefix("task:") {
            Some("*") => Ok(ScopeResource::AllTasks),
            Some(id) => TaskId::new(id).map(ScopeResource::Task).map_err(|_| bad),
            None => Err(bad),
        }
    }
}

impl TryFrom<String> for ScopeResource {
    type Error = InvalidName;
    fn try_from(s: String) -> Result<Self, InvalidName> {
        s.parse()
    }
}

impl From<ScopeResource> for String {
    fn from(r: ScopeResource) -> String {
        r.to_string()
    }
}

impl fmt::Display for ScopeResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScopeResource::Task(id) => write!(f, "task:{id}"),
            ScopeResource::AllTasks => f.write_str("task:*"),
        }
    }
}

/// What a token may be used for: the cross product of `actions` and `resources`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    pub actions: BTreeSet<Action>,
    pub resources: BTreeSet<ScopeResource>,
}

impl Scope {
    pub fn new(
        actions: impl IntoIterator<Item = Action>,
        resources: impl IntoIterator<Item = ScopeResource>,
    ) -> Self {
        Scope {
            actions: actions.into_iter().collect(),
            resources: resources.into_iter().collect(),
        }
    }

    /// Parses string names, e.g. from a config file or a sub-agent's request.
    pub fn parse<'a>(
        actions: impl IntoIterator<Item = &'a str>,
        resources: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, InvalidName> {
        Ok(Scope {
            actions: actions
                .into_iter()
                .map(str::parse)
                .collect::<Result<_, _>>()?,
            resources: resources
                .into_iter()
                .map(str::parse)
                .collect::<Result<_, _>>()?,
        })
    }

    pub fn allows(&self, action: Action, resource: &Resource) -> bool {
        self.actions.contains(&action) && self.resources.iter().any(|r| r.covers(resource))
    }

    /// True when every (action, resource) this scope allows, `other` allows too. `task:*` in
    /// `self` is only covered by `task:*` in `other`: wildcards never come from nowhere.
    pub fn is_subset_of(&self, other: &Scope) -> bool {
        self.actions.is_subset(&other.actions)
            && self.resources.iter().all(|r| {
                other.resources.contains(r) || other.resources.contains(&ScopeResource::AllTasks)
            })
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty() || self.resources.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_resources_round_trip_through_their_text() {
        for s in [
            "task:t1",
            "task:*",
            "task:0193a000-0000-7000-8000-000000000001",
        ] {
            let r: ScopeResource = s.parse().unwrap();
            assert_eq!(r.to_string(), s);
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<ScopeResource>(&json).unwrap(), r);
        }
    }

    #[test]
    fn every_action_round_trips_and_unknown_names_are_refused() {
        for a in Action::ALL {
            assert_eq!(a.as_str().parse::<Action>().unwrap(), *a);
            let json = serde_json::to_string(a).unwrap();
            assert_eq!(json, format!("\"{}\"", a.as_str()));
        }
        assert!("gate.append_decision ".parse::<Action>().is_err());
        assert!(serde_json::from_str::<Action>("\"admin\"").is_err());
    }

    #[test]
    fn a_task_scope_covers_its_task_and_nothing_else() {
        let owner = UserId::new("alice").unwrap();
        let task = |id: &str| TaskRef::new(TaskId::new(id).unwrap(), owner.clone());
        let t1 = ScopeResource::Task(TaskId::new("t1").unwrap());
        assert!(t1.covers(&Resource::Task { task: task("t1") }));
        assert!(t1.covers(&Resource::TaskAudit { task: task("t1") }));
        assert!(!t1.covers(&Resource::Task { task: task("t10") }));
        assert!(!t1.covers(&Resource::Task { task: task("T1") }));
        assert!(!t1.covers(&Resource::AuditTrail));
        assert!(!t1.covers(&Resource::TaskList));
        assert!(ScopeResource::AllTasks.covers(&Resource::TaskList));
    }

    #[test]
    fn ids_are_ascii_only_and_bounded() {
        assert!(TaskId::new("a".repeat(64)).is_ok());
        assert!(TaskId::new("a".repeat(65)).is_err());
        assert!(TaskId::new("").is_err());
        assert!(TaskId::new("t.1").is_err(), "dots only in user ids");
        assert!(UserId::new("first.last").is_ok());
        assert!(UserId::new("al\u{0456}ce").is_err(), "cyrillic i");
        assert!(serde_json::from_str::<TaskId>("\"t/1\"").is_err());
    }
}
