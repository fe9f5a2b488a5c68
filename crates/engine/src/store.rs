//! The task store: `<data>/engine.db` (SQLite), one row per task and per
//! approval. Times are RFC 3339 UTC text. The engine process that runs a task
//! records its pid and start time, so a later engine can tell a task whose
//! runner died (kill -9, crash, reboot) from one still running.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::error::EngineError;

/// Where a task is in its life. `created → running → stopping →
/// finished | failed | cancelled`; `failed` also covers a TTL expiry and a
/// runner that died (the `error` column says which).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Created,
    Running,
    Stopping,
    Finished,
    Failed,
    Cancelled,
}

impl TaskState {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Created => "created",
            TaskState::Running => "running",
            TaskState::Stopping => "stopping",
            TaskState::Finished => "finished",
            TaskState::Failed => "failed",
            TaskState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<TaskState> {
        Some(match s {
            "created" => TaskState::Created,
            "running" => TaskState::Running,
            "stopping" => TaskState::Stopping,
            "finished" => TaskState::Finished,
            "failed" => TaskState::Failed,
            "cancelled" => TaskState::Cancelled,
            _ => return None,
        })
    }

    /// True once nothing runs for the task any more.
    pub fn is_final(self) -> bool {
        matches!(self, TaskState::Finished | TaskState::Failed | TaskState::Cancelled)
    }
}

/// One task as stored (and as the API and CLI show it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    pub id: String,
    /// The person the task belongs to (an OS account name, as `paddock-authz` names users).
    pub owner: String,
    pub agent: String,
    pub repo: PathBuf,
    pub worktree: PathBuf,
    pub branch: String,
    pub prompt: String,
    pub state: TaskState,
    pub exit_code: Option<i32>,
    /// Why the task failed or was stopped, for a person.
    pub error: Option<String>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub ttl_secs: u64,
    pub bypass: bool,
    pub allow_hosts: Vec<String>,
    /// The commit Paddock made on `branch`, if there were changes.
    pub commit: Option<String>,
    /// The task's API socket (served by the engine process running it).
    pub api_socket: Option<PathBuf>,
    /// The engine process running the task: pid and its start time (clock
    /// ticks since boot, from /proc), so a reused pid is not mistaken for it.
    pub runner_pid: Option<u32>,
    pub runner_start: Option<u64>,
}

/// The wire types of approvals (they cross the API socket to the hook).
pub use paddock_engine_api::{ApprovalRecord, ApprovalState};

/// A stored state; anything unknown reads as still pending.
fn approval_state(s: &str) -> ApprovalState {
    match s {
        "approved" => ApprovalState::Approved,
        "denied" => ApprovalState::Denied,
        "expired" => ApprovalState::Expired,
        _ => ApprovalState::Pending,
    }
}

pub(crate) fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Bumped on every incompatible change of [`SCHEMA`].
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    agent TEXT NOT NULL,
    repo TEXT NOT NULL,
    worktree TEXT NOT NULL,
    branch TEXT NOT NULL,
    prompt TEXT NOT NULL,
    state TEXT NOT NULL,
    exit_code INTEGER,
    error TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    ttl_secs INTEGER NOT NULL,
    bypass INTEGER NOT NULL,
    allow_hosts TEXT NOT NULL,
    commit_sha TEXT,
    api_socket TEXT,
    runner_pid INTEGER,
    runner_start INTEGER
);
CREATE TABLE IF NOT EXISTS approvals (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL REFERENCES tasks(id),
    tool TEXT NOT NULL,
    resource TEXT NOT NULL,
    rule_id TEXT,
    reason TEXT NOT NULL,
    state TEXT NOT NULL,
    decided_by TEXT,
    created_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE TABLE IF NOT EXISTS always_allow (
    task_id TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    PRIMARY KEY (task_id, rule_id)
);
";

/// The SQLite task store. `Send + Sync`; every call takes the connection
/// briefly (SQLite serialises writers across processes).
pub struct Store {
    path: PathBuf,
    conn: Mutex<Connection>,
}

const TASK_COLUMNS: &str = "id, owner, agent, repo, worktree, branch, prompt, state, exit_code, error, created_at, started_at, \
     finished_at, ttl_secs, bypass, allow_hosts, commit_sha, api_socket, runner_pid, runner_start";

fn task_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<TaskRecord> {
    let state: String = row.get(7)?;
    let hosts: String = row.get(15)?;
    Ok(TaskRecord {
        id: row.get(0)?,
        owner: row.get(1)?,
        agent: row.get(2)?,
        repo: PathBuf::from(row.get::<_, String>(3)?),
        worktree: PathBuf::from(row.get::<_, String>(4)?),
        branch: row.get(5)?,
        prompt: row.get(6)?,
        state: TaskState::parse(&state).unwrap_or(TaskState::Failed),
        exit_code: row.get(8)?,
        error: row.get(9)?,
        created_at: row.get(10)?,
        started_at: row.get(11)?,
        finished_at: row.get(12)?,
        ttl_secs: row.get::<_, i64>(13)?.max(0) as u64,
        bypass: row.get(14)?,
        allow_hosts: serde_json::from_str(&hosts).unwrap_or_default(),
        commit: row.get(16)?,
        api_socket: row.get::<_, Option<String>>(17)?.map(PathBuf::from),
        runner_pid: row.get(18)?,
        runner_start: row.get::<_, Option<i64>>(19)?.map(|v| v.max(0) as u64),
    })
}

fn approval_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ApprovalRecord> {
    let state: String = row.get(6)?;
    Ok(ApprovalRecord {
        id: row.get(0)?,
        task_id: row.get(1)?,
        tool: row.get(2)?,
        resource: row.get(3)?,
        rule_id: row.get(4)?,
        reason: row.get(5)?,
        state: approval_state(&state),
        decided_by: row.get(7)?,
        created_at: row.get(8)?,
        decided_at: row.get(9)?,
    })
}

const APPROVAL_COLUMNS: &str = "id, task_id, tool, resource, rule_id, reason, state, decided_by, created_at, decided_at";

impl Store {
    pub fn open(path: &Path) -> Result<Store, EngineError> {
        let err = |source| EngineError::Store { path: path.to_path_buf(), source };
        let mut conn = Connection::open(path).map_err(err)?;
        paddock_sqlite::enable_wal(&conn, "main", std::time::Duration::from_secs(30)).map_err(err)?;
        // One transaction, taken for writing at once: several processes (the
        // CLI, the app, a task's engine) may open a fresh store at the same time.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(err)?;
        let has_tasks: bool = tx
            .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'tasks'", [], |r| r.get::<_, i64>(0))
            .map_err(err)?
            > 0;
        if version != SCHEMA_VERSION && (has_tasks || version != 0) {
            return Err(EngineError::Refused(format!(
                "{} has task store schema {version}, this Paddock knows schema {SCHEMA_VERSION}; \
                 move the file away (its tasks are in the audit trail) and start again",
                path.display()
            )));
        }
        tx.execute_batch(SCHEMA).map_err(err)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(Store { path: path.to_path_buf(), conn: Mutex::new(conn) })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> EngineError + '_ {
        move |source| EngineError::Store { path: self.path.clone(), source }
    }

    pub fn insert_task(&self, t: &TaskRecord) -> Result<(), EngineError> {
        let hosts = serde_json::to_string(&t.allow_hosts).unwrap_or_else(|_| "[]".into());
        self.conn()
            .execute(
                &format!("INSERT INTO tasks ({TASK_COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)"),
                params![
                    t.id,
                    t.owner,
                    t.agent,
                    t.repo.to_string_lossy(),
                    t.worktree.to_string_lossy(),
                    t.branch,
                    t.prompt,
                    t.state.as_str(),
                    t.exit_code,
                    t.error,
                    t.created_at,
                    t.started_at,
                    t.finished_at,
                    t.ttl_secs as i64,
                    t.bypass,
                    hosts,
                    t.commit,
                    t.api_socket.as_ref().map(|p| p.to_string_lossy().into_owned()),
                    t.runner_pid,
                    t.runner_start.map(|v| v as i64),
                ],
            )
            .map_err(self.err())?;
        Ok(())
    }

    pub fn task(&self, id: &str) -> Result<Option<TaskRecord>, EngineError> {
        self.conn()
            .query_row(&format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = ?1"), [id], task_from_row)
            .optional()
            .map_err(self.err())
    }

    /// Newest first.
    pub fn tasks(&self) -> Result<Vec<TaskRecord>, EngineError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!("SELECT {TASK_COLUMNS} FROM tasks ORDER BY created_at DESC, id DESC"))
            .map_err(self.err())?;
        let rows = stmt.query_map([], task_from_row).map_err(self.err())?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.err())
    }

    /// Tasks not in a final state (a live or a dead runner).
    pub fn unfinished(&self) -> Result<Vec<TaskRecord>, EngineError> {
        Ok(self.tasks()?.into_iter().filter(|t| !t.state.is_final()).collect())
    }

    pub fn mark_running(&self, id: &str, api_socket: &Path, pid: u32, start: Option<u64>) -> Result<(), EngineError> {
        self.conn()
            .execute(
                "UPDATE tasks SET state = 'running', started_at = ?2, api_socket = ?3, runner_pid = ?4, runner_start = ?5 WHERE id = ?1",
                params![id, now(), api_socket.to_string_lossy(), pid, start.map(|v| v as i64)],
            )
            .map_err(self.err())?;
        Ok(())
    }

    pub fn mark_stopping(&self, id: &str) -> Result<(), EngineError> {
        self.conn()
            .execute("UPDATE tasks SET state = 'stopping' WHERE id = ?1 AND state IN ('created','running')", [id])
            .map_err(self.err())?;
        Ok(())
    }

    pub fn finish(
        &self,
        id: &str,
        state: TaskState,
        exit_code: Option<i32>,
        error: Option<&str>,
        commit: Option<&str>,
    ) -> Result<(), EngineError> {
        self.conn()
            .execute(
                "UPDATE tasks SET state = ?2, exit_code = ?3, error = ?4, commit_sha = ?5, finished_at = ?6 WHERE id = ?1",
                params![id, state.as_str(), exit_code, error, commit, now()],
            )
            .map_err(self.err())?;
        Ok(())
    }

    pub fn insert_approval(&self, a: &ApprovalRecord) -> Result<(), EngineError> {
        self.conn()
            .execute(
                &format!("INSERT INTO approvals ({APPROVAL_COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)"),
                params![
                    a.id,
                    a.task_id,
                    a.tool,
                    a.resource,
                    a.rule_id,
                    a.reason,
                    a.state.as_str(),
                    a.decided_by,
                    a.created_at,
                    a.decided_at
                ],
            )
            .map_err(self.err())?;
        Ok(())
    }

    pub fn approval(&self, id: &str) -> Result<Option<ApprovalRecord>, EngineError> {
        self.conn()
            .query_row(&format!("SELECT {APPROVAL_COLUMNS} FROM approvals WHERE id = ?1"), [id], approval_from_row)
            .optional()
            .map_err(self.err())
    }

    /// All approvals, newest first; `pending_only` keeps the open ones.
    pub fn approvals(&self, pending_only: bool) -> Result<Vec<ApprovalRecord>, EngineError> {
        let conn = self.conn();
        let filter = if pending_only { "WHERE state = 'pending'" } else { "" };
        let mut stmt = conn
            .prepare(&format!("SELECT {APPROVAL_COLUMNS} FROM approvals {filter} ORDER BY created_at DESC, id DESC"))
            .map_err(self.err())?;
        let rows = stmt.query_map([], approval_from_row).map_err(self.err())?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.err())
    }

    /// Decides a pending approval; returns false if it was already decided.
    pub fn decide_approval(&self, id: &str, state: ApprovalState, by: &str) -> Result<bool, EngineError> {
        let n = self
            .conn()
            .execute(
                "UPDATE approvals SET state = ?2, decided_by = ?3, decided_at = ?4 WHERE id = ?1 AND state = 'pending'",
                params![id, state.as_str(), by, now()],
            )
            .map_err(self.err())?;
        Ok(n == 1)
    }

    pub fn add_always_allow(&self, task_id: &str, rule_id: &str) -> Result<(), EngineError> {
        self.conn()
            .execute("INSERT OR IGNORE INTO always_allow (task_id, rule_id) VALUES (?1, ?2)", params![task_id, rule_id])
            .map_err(self.err())?;
        Ok(())
    }

    pub fn is_always_allowed(&self, task_id: &str, rule_id: &str) -> Result<bool, EngineError> {
        self.conn()
            .query_row("SELECT 1 FROM always_allow WHERE task_id = ?1 AND rule_id = ?2", params![task_id, rule_id], |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
            .map_err(self.err())
    }
}
