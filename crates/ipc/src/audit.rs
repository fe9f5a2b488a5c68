//! The Audit screen's transport types. They mirror `paddock-audit`'s model;
//! the shell converts between the two (src-tauri/src/convert.rs).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AuditActor {
    User,
    Agent,
    SubAgent,
    System,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
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

/// Which events. Empty lists and nulls mean "any". Times are typed as people
/// type them: RFC 3339, a date (`2026-11-23`), or an age (`2h`, `7d`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct AuditFilter {
    pub since: Option<String>,
    pub until: Option<String>,
    pub task_id: Option<String>,
    pub actors: Vec<AuditActor>,
    pub kinds: Vec<AuditKind>,
    pub outcomes: Vec<String>,
    /// Free text; every word must occur. `word*` matches a prefix.
    pub text: Option<String>,
}

/// Where a page starts: keyset pagination on the sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "at", content = "seq", rename_all = "snake_case")]
pub enum AuditCursor {
    Newest,
    Oldest,
    Before(u64),
    After(u64),
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AuditQuery {
    pub filter: AuditFilter,
    pub cursor: AuditCursor,
    pub limit: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AuditEvent {
    pub seq: u64,
    pub id: String,
    /// RFC 3339, UTC.
    pub ts: String,
    pub task_id: Option<String>,
    pub actor: AuditActor,
    pub kind: AuditKind,
    pub action: String,
    pub resource: String,
    pub outcome: Option<String>,
    /// Already redacted when it was written.
    #[ts(type = "unknown")]
    pub detail: serde_json::Value,
    pub hash: String,
}

/// Events in ascending sequence order.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub has_older: bool,
    pub has_newer: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CountEntry {
    pub key: String,
    pub count: u64,
}

/// The summary strip: totals by kind and by decision under a filter.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AuditCounts {
    pub total: u64,
    pub by_kind: Vec<CountEntry>,
    /// Events without an outcome are counted under `""`.
    pub by_outcome: Vec<CountEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct VerifyProblem {
    pub seq: Option<u64>,
    pub message: String,
}

/// The chain-integrity badge.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AuditVerify {
    pub ok: bool,
    pub events: u64,
    pub head_seq: u64,
    pub checkpoints_verified: u64,
    /// Events after this sequence are chained but not yet sealed by a signed checkpoint.
    pub sealed_through: u64,
    pub first_broken: Option<u64>,
    pub problems: Vec<VerifyProblem>,
    /// When the check ran (RFC 3339, UTC).
    pub checked_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AuditTask {
    pub task_id: String,
    pub first_seq: u64,
    pub last_seq: u64,
    pub events: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ExportDone {
    pub path: String,
    pub events: u64,
}
