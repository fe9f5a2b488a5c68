//! The event types: what callers hand to [`crate::AuditLog::append`] and what they get back.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::AuditError;

/// Who caused an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    User,
    Agent,
    SubAgent,
    System,
}

/// What sort of thing happened. Stored as its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    ToolCall,
    GateDecision,
    Approval,
    Sandbox,
    Egress,
    Credential,
    Task,
    Webhook,
    Config,
    Warning,
}

impl Actor {
    pub const ALL: [Actor; 4] = [Actor::User, Actor::Agent, Actor::SubAgent, Actor::System];

    pub fn as_str(self) -> &'static str {
        match self {
            Actor::User => "user",
            Actor::Agent => "agent",
            Actor::SubAgent => "sub_agent",
            Actor::System => "system",
        }
    }
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::ToolCall,
        Kind::GateDecision,
        Kind::Approval,
        Kind::Sandbox,
        Kind::Egress,
        Kind::Credential,
        Kind::Task,
        Kind::Webhook,
        Kind::Config,
        Kind::Warning,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ToolCall => "tool_call",
            Kind::GateDecision => "gate_decision",
            Kind::Approval => "approval",
            Kind::Sandbox => "sandbox",
            Kind::Egress => "egress",
            Kind::Credential => "credential",
            Kind::Task => "task",
            Kind::Webhook => "webhook",
            Kind::Config => "config",
            Kind::Warning => "warning",
        }
    }
}

fn names<T: Copy>(all: &[T], f: impl Fn(T) -> &'static str) -> String {
    all.iter().map(|v| f(*v)).collect::<Vec<_>>().join(", ")
}

impl FromStr for Actor {
    type Err = AuditError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Accept the hyphenated spelling people type ("sub-agent") as well.
        let norm = s.trim().to_ascii_lowercase().replace('-', "_");
        Actor::ALL
            .into_iter()
            .find(|a| a.as_str() == norm)
            .ok_or_else(|| {
                AuditError::InvalidQuery(format!(
                    "unknown actor {s:?}; expected one of: {}",
                    names(&Actor::ALL, Actor::as_str)
                ))
            })
    }
}

impl FromStr for Kind {
    type Err = AuditError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('-', "_");
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == norm)
            .ok_or_else(|| {
                AuditError::InvalidQuery(format!(
                    "unknown kind {s:?}; expected one of: {}",
                    names(&Kind::ALL, Kind::as_str)
                ))
            })
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event as a caller describes it. Time, sequence, id and hash are assigned by the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    pub task_id: Option<String>,
    pub actor: Actor,
    pub kind: Kind,
    pub action: String,
    pub resource: String,
    /// The decision or result: `allow`, `deny`, `ask`, `ok`, `error`, an exit code...
    pub outcome: Option<String>,
    pub detail: serde_json::Value,
}

impl NewEvent {
    pub fn new(actor: Actor, kind: Kind, action: impl Into<String>) -> Self {
        NewEvent {
            task_id: None,
            actor,
            kind,
            action: action.into(),
            resource: String::new(),
            outcome: None,
            detail: serde_json::Value::Null,
        }
    }
    pub fn task(mut self, id: impl Into<String>) -> Self {
        self.task_id = Some(id.into());
        self
    }
    pub fn resource(mut self, r: impl Into<String>) -> Self {
        self.resource = r.into();
        self
    }
    pub fn outcome(mut self, o: impl Into<String>) -> Self {
        self.outcome = Some(o.into());
        self
    }
    pub fn detail(mut self, v: serde_json::Value) -> Self {
        self.detail = v;
        self
    }
}

/// A stored event: what [`NewEvent`] became after redaction, sequencing and chaining.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// 1, 2, 3... with no gaps; the keyset for pagination.
    pub seq: u64,
    /// UUID v7, unique across logs.
    pub id: String,
    /// RFC 3339 UTC with microseconds; never decreases along `seq`.
    pub ts: String,
    pub task_id: Option<String>,
    pub actor: Actor,
    pub kind: Kind,
    pub action: String,
    pub resource: String,
    pub outcome: Option<String>,
    pub detail: serde_json::Value,
    /// Hex SHA-256 of (previous hash || canonical row).
    pub hash: String,
}
