//! Live events an engine publishes for the app: the agent's output as it
//! comes, and every change of a task or an approval. The audit trail has the
//! same facts durably; these are for a window that is open right now.

use serde::{Deserialize, Serialize};

use crate::runner::Stream;
use crate::store::{ApprovalRecord, TaskRecord};

/// How many events a slow receiver may fall behind before it misses some.
pub(crate) const EVENT_BUFFER: usize = 4096;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EngineEvent {
    /// A chunk of the agent's output (lossy UTF-8).
    Output { task_id: String, stream: Stream, text: String },
    /// A task was created or changed state; the row as it is now.
    Task { task: TaskRecord },
    /// An approval was opened or decided (or expired); as it is now.
    Approval { approval: ApprovalRecord },
}
