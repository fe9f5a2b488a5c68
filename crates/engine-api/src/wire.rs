//! The JSON bodies of the hook's calls: a gate decision in, its record and
//! approval out, and an approval as the wait endpoint answers it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A gate decision as the hook reports it (`POST /v1/gate/decisions`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GateDecisionIn {
    pub task_id: String,
    pub tool: String,
    pub resource: String,
    /// `allow`, `ask` or `deny`.
    pub verdict: String,
    pub rule_id: Option<String>,
    pub reason: String,
    #[serde(default)]
    pub detail: Value,
}

/// The answer to a gate decision: its audit sequence number and, for an
/// `ask`, the approval it opened.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GateDecisionOut {
    pub seq: u64,
    #[serde(default)]
    pub approval: Option<ApprovalRecord>,
}

/// Decision state of an approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    Pending,
    Approved,
    Denied,
    /// Nobody answered within the timeout: treated as a deny.
    Expired,
}

impl ApprovalState {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalState::Pending => "pending",
            ApprovalState::Approved => "approved",
            ApprovalState::Denied => "denied",
            ApprovalState::Expired => "expired",
        }
    }
}

/// A gate "ask" waiting for (or decided by) a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    pub id: String,
    pub task_id: String,
    pub tool: String,
    /// The command, path or URL the agent wants.
    pub resource: String,
    pub rule_id: Option<String>,
    pub reason: String,
    pub state: ApprovalState,
    /// `user`, `always-allow` (an earlier always-allow for this rule), `timeout`.
    pub decided_by: Option<String>,
    pub created_at: String,
    pub decided_at: Option<String>,
}
