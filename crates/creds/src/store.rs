//! The lease database (`<data>/leases.db`): one row per lease, plus a write-ahead journal of
//! every cloud mutation — the intent is committed before the call, the outcome after it. After a
//! crash the journal says what *may* exist in the cloud, which is what the reaper must undo.
//!
//! Its own file rather than a table in `audit.db`: leases are mutable state (rows change state),
//! the audit log is append-only and hash-chained; keeping them apart keeps both simple and lets
//! the reaper write without contending with the audit writer.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use uuid::Uuid;

use crate::error::CredsError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaseState {
    Provisioning,
    Active,
    Revoking,
    Revoked,
    Failed,
}

impl LeaseState {
    pub fn as_str(self) -> &'static str {
        match self {
            LeaseState::Provisioning => "provisioning",
            LeaseState::Active => "active",
            LeaseState::Revoking => "revoking",
            LeaseState::Revoked => "revoked",
            LeaseState::Failed => "failed",
        }
    }
    fn parse(s: &str) -> Result<Self, CredsError> {
        Ok(match s {
            "provisioning" => LeaseState::Provisioning,
            "active" => LeaseState::Active,
            "revoking" => LeaseState::Revoking,
            "revoked" => LeaseState::Revoked,
            "failed" => LeaseState::Failed,
            other => return Err(CredsError::Corrupt(format!("unknown lease state `{other}`"))),
        })
    }
    /// Whether cloud resources of this lease may legitimately exist.
    pub fn is_live(self) -> bool {
        matches!(self, LeaseState::Provisioning | LeaseState::Active | LeaseState::Revoking)
    }
}

/// One lease as stored. `config` is the provider's own (secret-free) configuration, so the reaper
/// can revoke it in another process without being told anything.
#[derive(Debug, Clone, Serialize)]
pub struct Lease {
    pub id: Uuid,
    pub task: String,
    /// `aws` or `gcp`.
    pub provider: String,
    /// Provider-specific mode, e.g. `assumed_role` or `iam_user`.
    pub mode: String,
    pub state: LeaseState,
    /// Why the lease failed (set when provisioning failed or was interrupted).
    pub failure: Option<String>,
    /// The principal handed out (an ARN, or a service account's email), once known.
    pub principal: Option<String>,
    /// The grants, in their readable form.
    pub scope: Vec<String>,
    #[serde(skip)]
    pub config: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// A revoked lease that still owns a cloud object until this time (an assumed-role session's
    /// revocation Deny, which must outlive the session).
    pub cleanup_after: Option<DateTime<Utc>>,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub owner_pid: Option<u32>,
}

/// One journal row: the history shown on the Credentials screen.
#[derive(Debug, Clone, Serialize)]
pub struct JournalEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub step: String,
    /// `intent`, `done`, `failed` or `state`.
    pub phase: String,
    pub detail: String,
}

pub struct LeaseStore {
    path: PathBuf,
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS leases (
    id TEXT PRIMARY KEY,
    task TEXT NOT NULL,
    provider TEXT NOT NULL,
    mode TEXT NOT NULL,
    state TEXT NOT NULL,
    failure TEXT,
    principal TEXT,
    scope TEXT NOT NULL,
    config TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    cleanup_after TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error TEXT,
    owner_pid INTEGER
);
CREATE INDEX IF NOT EXISTS leases_state ON leases(state);
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    -- No foreign key: orphan removals are journaled under the lease id found in the name,
    -- which may belong to a lease this database never had.
    lease_id TEXT NOT NULL,
    at TEXT NOT NULL,
    step TEXT NOT NULL,
    phase TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS journal_lease ON journal(lease_id, seq);
";

const COLUMNS: &str = "id, task, provider, mode, state, failure, principal, scope, config, created_at, expires_at, \
                       revoked_at, cleanup_after, attempts, next_attempt_at, last_error, owner_pid";

fn ts(t: DateTime<Utc>) -> String {
    crate::policy::rfc3339(t)
}

fn parse_ts(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

fn opt_ts(s: Option<String>) -> rusqlite::Result<Option<DateTime<Utc>>> {
    s.as_deref().map(parse_ts).transpose()
}

impl LeaseStore {
    /// `<data>/leases.db`, where `<data>` is `PADDOCK_DATA_DIR` or the platform data dir + `paddock`.
    pub fn default_path() -> Result<PathBuf, CredsError> {
        if let Some(dir) = std::env::var_os("PADDOCK_DATA_DIR") {
            return Ok(PathBuf::from(dir).join("leases.db"));
        }
        dirs::data_dir()
            .map(|d| d.join("paddock").join("leases.db"))
            .ok_or_else(|| CredsError::Config("no data directory; set PADDOCK_DATA_DIR".into()))
    }

    pub fn open(path: &Path) -> Result<Self, CredsError> {
        let err = |source| CredsError::Store { path: path.display().to_string(), source };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                CredsError::Config(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        let conn = Connection::open(path).map_err(err)?;
        // WAL + synchronous=FULL: an intent that returned is on disk before the cloud call starts.
        paddock_sqlite::enable_wal(&conn, "main", std::time::Duration::from_secs(10)).map_err(err)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(Self { path: path.to_path_buf(), conn: Mutex::new(conn) })
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, CredsError> {
        let conn = self.conn.lock().map_err(|_| CredsError::Corrupt("lease store lock poisoned".into()))?;
        f(&conn).map_err(|source| CredsError::Store { path: self.path.display().to_string(), source })
    }

    pub fn insert(&self, l: &Lease) -> Result<(), CredsError> {
        let scope = serde_json::to_string(&l.scope).map_err(|e| CredsError::Corrupt(e.to_string()))?;
        self.with(|c| {
            c.execute(
                &format!("INSERT INTO leases ({COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)"),
                params![
                    l.id.to_string(), l.task, l.provider, l.mode, l.state.as_str(), l.failure, l.principal, scope,
                    l.config.to_string(), ts(l.created_at), ts(l.expires_at), l.revoked_at.map(ts),
                    l.cleanup_after.map(ts), l.attempts, l.next_attempt_at.map(ts), l.last_error, l.owner_pid,
                ],
            )
        })?;
        Ok(())
    }

    /// Appends one journal row. Returns only once it is durable.
    pub fn record(&self, lease: Uuid, step: &str, phase: &str, detail: &str) -> Result<(), CredsError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO journal (lease_id, at, step, phase, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![lease.to_string(), ts(Utc::now()), step, phase, detail],
            )
        })?;
        Ok(())
    }

    pub fn get(&self, id: Uuid) -> Result<Lease, CredsError> {
        self.with(|c| {
            c.query_row(&format!("SELECT {COLUMNS} FROM leases WHERE id = ?1"), [id.to_string()], row_to_lease)
                .optional()
        })?
        .ok_or(CredsError::NoSuchLease(id))
    }

    /// Every lease, newest first.
    pub fn list(&self) -> Result<Vec<Lease>, CredsError> {
        self.with(|c| {
            let mut st = c.prepare(&format!("SELECT {COLUMNS} FROM leases ORDER BY created_at DESC, id DESC"))?;
            st.query_map([], row_to_lease)?.collect()
        })
    }

    pub fn history(&self, id: Uuid) -> Result<Vec<JournalEntry>, CredsError> {
        self.with(|c| {
            let mut st =
                c.prepare("SELECT seq, at, step, phase, detail FROM journal WHERE lease_id = ?1 ORDER BY seq")?;
            st.query_map([id.to_string()], |r| {
                Ok(JournalEntry {
                    seq: r.get(0)?,
                    at: parse_ts(&r.get::<_, String>(1)?)?,
                    step: r.get(2)?,
                    phase: r.get(3)?,
                    detail: r.get(4)?,
                })
            })?
            .collect()
        })
    }

    /// When the first intent of `step` was journaled for this lease, if ever: "may this exist?".
    pub fn first_intent(&self, id: Uuid, step: &str) -> Result<Option<DateTime<Utc>>, CredsError> {
        let at: Option<String> = self.with(|c| {
            c.query_row(
                "SELECT at FROM journal WHERE lease_id = ?1 AND step = ?2 AND phase = 'intent' ORDER BY seq LIMIT 1",
                params![id.to_string(), step],
                |r| r.get(0),
            )
            .optional()
        })?;
        at.map(|s| parse_ts(&s).map_err(|e| CredsError::Corrupt(e.to_string()))).transpose()
    }

    /// Every journal row of `step` for this lease, oldest first, as `(phase, detail)`.
    pub fn step_rows(&self, id: Uuid, step: &str) -> Result<Vec<(String, String)>, CredsError> {
        self.with(|c| {
            let mut st = c.prepare("SELECT phase, detail FROM journal WHERE lease_id = ?1 AND step = ?2 ORDER BY seq")?;
            st.query_map(params![id.to_string(), step], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
        })
    }

    pub fn set_expires_at(&self, id: Uuid, t: DateTime<Utc>) -> Result<(), CredsError> {
        self.with(|c| c.execute("UPDATE leases SET expires_at = ?2 WHERE id = ?1", params![id.to_string(), ts(t)]))?;
        Ok(())
    }

    /// Writes the mutable fields of a lease back (state, principal, times, retry bookkeeping).
    pub fn update(&self, l: &Lease) -> Result<(), CredsError> {
        self.with(|c| {
            c.execute(
                "UPDATE leases SET state=?2, failure=?3, principal=?4, expires_at=?5, revoked_at=?6, cleanup_after=?7,
                 attempts=?8, next_attempt_at=?9, last_error=?10, owner_pid=?11 WHERE id=?1",
                params![
                    l.id.to_string(), l.state.as_str(), l.failure, l.principal, ts(l.expires_at), l.revoked_at.map(ts),
                    l.cleanup_after.map(ts), l.attempts, l.next_attempt_at.map(ts), l.last_error, l.owner_pid,
                ],
            )
        })?;
        Ok(())
    }
}

fn row_to_lease(r: &rusqlite::Row<'_>) -> rusqlite::Result<Lease> {
    let conv = |e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e)
    };
    let id: String = r.get(0)?;
    let state: String = r.get(4)?;
    let scope: String = r.get(7)?;
    let config: String = r.get(8)?;
    Ok(Lease {
        id: Uuid::parse_str(&id).map_err(|e| conv(Box::new(e)))?,
        task: r.get(1)?,
        provider: r.get(2)?,
        mode: r.get(3)?,
        state: LeaseState::parse(&state).map_err(|e| conv(e.to_string().into()))?,
        failure: r.get(5)?,
        principal: r.get(6)?,
        scope: serde_json::from_str(&scope).map_err(|e| conv(Box::new(e)))?,
        config: serde_json::from_str(&config).map_err(|e| conv(Box::new(e)))?,
        created_at: parse_ts(&r.get::<_, String>(9)?)?,
        expires_at: parse_ts(&r.get::<_, String>(10)?)?,
        revoked_at: opt_ts(r.get(11)?)?,
        cleanup_after: opt_ts(r.get(12)?)?,
        attempts: r.get(13)?,
        next_attempt_at: opt_ts(r.get(14)?)?,
        last_error: r.get(15)?,
        owner_pid: r.get(16)?,
    })
}
