//! The system check that streams its progress to the UI over a channel.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Ok,
    Warn,
    Missing,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CheckResult {
    /// Stable id, e.g. `bubblewrap`.
    pub id: String,
    /// What was checked, for a person.
    pub title: String,
    pub status: CheckStatus,
    /// What was found (a version, a path, or why it failed).
    pub detail: String,
    /// The exact command that fixes a missing piece, when there is one.
    pub fix: Option<String>,
}

/// One message on the progress channel of `run_system_check`.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CheckEvent {
    Started { total: u32 },
    Checked { index: u32, result: CheckResult },
    Finished { ok: u32, warn: u32, missing: u32 },
}
