//! The Tasks and Approvals screens' transport types. They mirror
//! `paddock-engine`'s records; the shell converts (src-tauri/src/convert/tasks.rs).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::audit::AuditEvent;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AgentKind {
    Claude,
    Codex,
    Cmd,
}

/// `created → running → stopping → finished | failed | cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Created,
    Running,
    Stopping,
    Finished,
    Failed,
    Cancelled,
}

/// One task as the list and the task page show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TaskSummary {
    pub id: String,
    pub agent: String,
    pub repo: String,
    pub branch: String,
    pub prompt: String,
    pub state: TaskState,
    pub exit_code: Option<i32>,
    /// Why it failed or was stopped, for a person.
    pub error: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub ttl_secs: u64,
    pub bypass: bool,
    pub allow_hosts: Vec<String>,
    /// The commit Paddock made on `branch`, once there is one.
    pub commit: Option<String>,
    /// Run by this window's engine (Stop works here) or by another process.
    pub run_here: bool,
}

/// What the launch dialog sends. The engine validates everything again.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct TaskLaunch {
    pub agent: AgentKind,
    pub repo: String,
    /// The prompt (claude, codex) or the command line (cmd, split like a shell would).
    pub prompt: String,
    pub allow_hosts: Vec<String>,
    /// Cloud grants, e.g. `s3:read bucket/prefix`.
    pub grants: Vec<String>,
    pub ttl_secs: u64,
    pub bypass: bool,
    /// The sandbox profile: tool caches (`cargo`, `npm`, `pip`, `uv`, `go`) the
    /// agent may write, shared with the user's HOME. Empty: none.
    pub tool_caches: Vec<String>,
}

/// A task page: the task, its timeline so far and its diff.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct TaskDetail {
    pub task: TaskSummary,
    /// The task's audit events, oldest first (output, gate decisions,
    /// approvals, network requests, credentials, the commit).
    pub events: Vec<AuditEvent>,
    /// More events exist after the last one here.
    pub has_more: bool,
    /// Paddock's commit once the task ended, else what changed so far.
    pub diff: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    Pending,
    Approved,
    Denied,
    /// Nobody answered in time: treated as a deny.
    Expired,
}

/// A gate "ask" waiting for, or decided by, a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Approval {
    pub id: String,
    pub task_id: String,
    pub tool: String,
    /// The command, path or URL the agent wants.
    pub resource: String,
    pub rule_id: Option<String>,
    pub reason: String,
    pub state: ApprovalState,
    pub decided_by: Option<String>,
    pub created_at: String,
    pub decided_at: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalChoice {
    Approve,
    Deny,
    /// Approve, and approve this rule for the rest of the task.
    AlwaysAllow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum OutputStream {
    Stdout,
    Stderr,
}

/// What changes while a window is open, streamed over a channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EngineUpdate {
    /// Agent output of a task this window's engine runs.
    Output { task_id: String, stream: OutputStream, text: String },
    /// A task was created or changed; the row as it is now.
    Task { task: TaskSummary },
    /// An approval was opened or decided; as it is now.
    Approval { approval: Approval },
    /// Nothing changed; sent now and then so the shell notices a closed window.
    Heartbeat,
}
