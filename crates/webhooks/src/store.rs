//! The proposals database (SQLite): proposals, the delivery log, and the
//! replay cache's persistent half.

use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension as _, params};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Source;
use crate::delivery::{Delivery, Verdict};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("proposals database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("proposals database: a row is corrupt: {0}")]
    Corrupt(String),
    #[error("no proposal {0}")]
    NotFound(Uuid),
    #[error("proposal {id} was already {state}")]
    AlreadyDecided { id: Uuid, state: ProposalState },
    #[error("proposals database lock poisoned")]
    Poisoned,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProposalState {
    Pending,
    Approved,
    Rejected,
    /// Claimed by one `paddock serve --webhooks` process, which is starting
    /// its task right now. Nobody else may launch it.
    Launching,
    /// Its task was started: [`Proposal::task_id`] names it.
    Launched,
    /// Approved but not launched, and never will be: [`Proposal::launch_error`]
    /// says why (no local checkout mapped for its repo, the engine refused…).
    Failed,
}

impl ProposalState {
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalState::Pending => "pending",
            ProposalState::Approved => "approved",
            ProposalState::Rejected => "rejected",
            ProposalState::Launching => "launching",
            ProposalState::Launched => "launched",
            ProposalState::Failed => "failed",
        }
    }
}

impl std::fmt::Display for ProposalState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ProposalState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "pending" => Ok(ProposalState::Pending),
            "approved" => Ok(ProposalState::Approved),
            "rejected" => Ok(ProposalState::Rejected),
            "launching" => Ok(ProposalState::Launching),
            "launched" => Ok(ProposalState::Launched),
            "failed" => Ok(ProposalState::Failed),
            other => Err(format!(
                "{other:?} is not pending, approved, rejected, launching, launched or failed"
            )),
        }
    }
}

/// What became of a claimed launch ([`Store::finish_launch`]).
#[derive(Debug, Clone, Copy)]
pub enum LaunchOutcome<'a> {
    Launched { task_id: &'a str },
    Failed { reason: &'a str },
}

/// A task someone asked for from outside, waiting for (or past) a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub source: Source,
    pub repo: String,
    pub prompt: String,
    pub sender: String,
    pub labels: Vec<String>,
    pub reference: Option<String>,
    /// The [`Delivery`] it came from.
    pub delivery: Uuid,
    pub state: ProposalState,
    pub decided_at: Option<DateTime<Utc>>,
    /// `user`, or `rule:<id>` for an auto-run rule.
    pub decided_by: Option<String>,
    /// The engine task it became (state `launched`).
    #[serde(default)]
    pub task_id: Option<String>,
    /// Why it was not launched (state `failed`), for a person to read.
    #[serde(default)]
    pub launch_error: Option<String>,
}

/// The proposals table as it is now (the migration rebuilds older ones into it).
macro_rules! proposals_table {
    () => {
        "CREATE TABLE IF NOT EXISTS proposals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    source TEXT NOT NULL,
    repo TEXT NOT NULL,
    prompt TEXT NOT NULL,
    sender TEXT NOT NULL,
    labels TEXT NOT NULL,
    reference TEXT,
    delivery TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'launching', 'launched', 'failed')),
    decided_at TEXT,
    decided_by TEXT,
    task_id TEXT,
    launch_error TEXT,
    -- Who holds the launch claim: `<pid>:<process start time>` of the serve process.
    claimed_by TEXT
);"
    };
}

const SCHEMA: &str = concat!("
CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    received_at TEXT NOT NULL,
    source TEXT,
    endpoint TEXT NOT NULL,
    delivery_id TEXT,
    event TEXT,
    status INTEGER NOT NULL,
    verdict TEXT NOT NULL,
    reason TEXT NOT NULL,
    body_bytes INTEGER,
    body_sha256 TEXT,
    proposal_id TEXT,
    peer TEXT
);
", proposals_table!(), "
CREATE INDEX IF NOT EXISTS proposals_state ON proposals(state);
-- Replay cache: a key (a Slack signature, a GitHub delivery id, a Slack
-- event id) is accepted once until it expires (unix seconds).
CREATE TABLE IF NOT EXISTS seen (
    key TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_expiry ON seen(expires_at);
");

/// Deliveries kept by default. Unauthenticated requests are recorded too,
/// so the log is a ring: older rows go, the disk does not fill.
pub const DEFAULT_DELIVERY_RETENTION: u64 = 10_000;

pub struct Store {
    conn: Mutex<Connection>,
    delivery_retention: u64,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn parse_ts(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt(format!("time {s:?}")))
}

fn parse_uuid(s: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(s).map_err(|_| StoreError::Corrupt(format!("id {s:?}")))
}

impl Store {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with_retention(path, DEFAULT_DELIVERY_RETENTION)
    }

    /// Like [`Store::open`], keeping only the latest `delivery_retention`
    /// deliveries (proposals are never pruned).
    pub fn open_with_retention(path: &Path, delivery_retention: u64) -> Result<Store, StoreError> {
        let conn = Connection::open(path)?;
        paddock_sqlite::enable_wal(&conn, "main", std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(SCHEMA)?;
        migrate(&conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
            delivery_retention: delivery_retention.max(1),
        })
    }

    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        self.conn.lock().map_err(|_| StoreError::Poisoned)
    }

    pub fn record_delivery(&self, d: &Delivery) -> Result<(), StoreError> {
        let conn = self.conn()?;
        conn.execute(
            "INSERT INTO deliveries (id, received_at, source, endpoint, delivery_id, event, status, verdict, reason,
                                     body_bytes, body_sha256, proposal_id, peer)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                d.id.to_string(),
                ts(d.received_at),
                d.source.map(|s| s.as_str()),
                d.endpoint,
                d.delivery_id,
                d.event,
                d.status,
                d.verdict.as_str(),
                d.reason,
                d.body_bytes.map(|n| n as i64),
                d.body_sha256,
                d.proposal_id.map(|id| id.to_string()),
                d.peer,
            ],
        )?;
        let keep_after = conn.last_insert_rowid() - self.delivery_retention as i64;
        if keep_after > 0 {
            conn.execute("DELETE FROM deliveries WHERE seq <= ?1", [keep_after])?;
        }
        Ok(())
    }

    /// How many deliveries are stored.
    pub fn delivery_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn()?
            .query_row("SELECT count(*) FROM deliveries", [], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// The most recent deliveries, newest first.
    pub fn list_deliveries(&self, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT id, received_at, source, endpoint, delivery_id, event, status, verdict, reason,
                    body_bytes, body_sha256, proposal_id, peer
             FROM deliveries ORDER BY seq DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, u16>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, Option<i64>>(9)?,
                r.get::<_, Option<String>>(10)?,
                r.get::<_, Option<String>>(11)?,
                r.get::<_, Option<String>>(12)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (
                id,
                at,
                source,
                endpoint,
                delivery_id,
                event,
                status,
                verdict,
                reason,
                bytes,
                sha,
                proposal,
                peer,
            ) = row?;
            out.push(Delivery {
                id: parse_uuid(&id)?,
                received_at: parse_ts(&at)?,
                source: source
                    .map(|s| s.parse().map_err(StoreError::Corrupt))
                    .transpose()?,
                endpoint,
                delivery_id,
                event,
                status,
                verdict: Verdict::parse(&verdict)
                    .ok_or_else(|| StoreError::Corrupt(format!("verdict {verdict:?}")))?,
                reason,
                body_bytes: bytes.map(|n| n.max(0) as u64),
                body_sha256: sha,
                proposal_id: proposal.as_deref().map(parse_uuid).transpose()?,
                peer,
            });
        }
        Ok(out)
    }

    pub fn insert_proposal(&self, p: &Proposal) -> Result<(), StoreError> {
        let labels =
            serde_json::to_string(&p.labels).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.conn()?.execute(
            "INSERT INTO proposals (id, created_at, source, repo, prompt, sender, labels, reference, delivery, state,
                                    decided_at, decided_by, task_id, launch_error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                p.id.to_string(),
                ts(p.created_at),
                p.source.as_str(),
                p.repo,
                p.prompt,
                p.sender,
                labels,
                p.reference,
                p.delivery.to_string(),
                p.state.as_str(),
                p.decided_at.map(ts),
                p.decided_by,
                p.task_id,
                p.launch_error,
            ],
        )?;
        Ok(())
    }

    /// Proposals, newest first; all of them when `state` is `None`.
    pub fn list_proposals(
        &self,
        state: Option<ProposalState>,
    ) -> Result<Vec<Proposal>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT id, created_at, source, repo, prompt, sender, labels, reference, delivery, state, decided_at,
                    decided_by, task_id, launch_error
             FROM proposals WHERE ?1 IS NULL OR state = ?1 ORDER BY seq DESC",
        )?;
        let rows = stmt.query_map([state.map(|s| s.as_str())], row_strings)?;
        rows.map(|row| proposal_from(row?)).collect()
    }

    pub fn get_proposal(&self, id: Uuid) -> Result<Proposal, StoreError> {
        let conn = self.conn()?;
        let row = conn
            .query_row(
                "SELECT id, created_at, source, repo, prompt, sender, labels, reference, delivery, state, decided_at,
                        decided_by, task_id, launch_error
                 FROM proposals WHERE id = ?1",
                [id.to_string()],
                row_strings,
            )
            .optional()?
            .ok_or(StoreError::NotFound(id))?;
        proposal_from(row)
    }

    /// A person's decision on a pending proposal. A decided proposal stays
    /// decided: approving twice, or approving a rejected one, is an error.
    pub fn decide_proposal(
        &self,
        id: Uuid,
        approve: bool,
        now: DateTime<Utc>,
    ) -> Result<Proposal, StoreError> {
        let state = if approve {
            ProposalState::Approved
        } else {
            ProposalState::Rejected
        };
        let changed = self.conn()?.execute(
            "UPDATE proposals SET state = ?1, decided_at = ?2, decided_by = 'user' WHERE id = ?3 AND state = 'pending'",
            params![state.as_str(), ts(now), id.to_string()],
        )?;
        let proposal = self.get_proposal(id)?;
        if changed == 0 {
            return Err(StoreError::AlreadyDecided {
                id,
                state: proposal.state,
            });
        }
        Ok(proposal)
    }

    /// Approved proposals nobody has claimed for launching yet, oldest first.
    pub fn approved_unlaunched(&self) -> Result<Vec<Proposal>, StoreError> {
        let mut list = self.list_proposals(Some(ProposalState::Approved))?;
        list.reverse();
        Ok(list)
    }

    /// Claims an approved proposal for launching. Exactly one caller, in
    /// any process, ever gets `true` for a proposal: the UPDATE only
    /// matches while the state is still `approved`.
    pub fn claim_launch(&self, id: Uuid, claimant: &str) -> Result<bool, StoreError> {
        let changed = self.conn()?.execute(
            "UPDATE proposals SET state = 'launching', claimed_by = ?2 WHERE id = ?1 AND state = 'approved'",
            params![id.to_string(), claimant],
        )?;
        Ok(changed == 1)
    }

    /// Records what became of a launch `claimant` holds: the task started,
    /// or why it was not. A launch held by someone else is left alone
    /// ([`StoreError::AlreadyDecided`]).
    pub fn finish_launch(
        &self,
        id: Uuid,
        claimant: &str,
        outcome: LaunchOutcome<'_>,
    ) -> Result<Proposal, StoreError> {
        let (state, task_id, error) = match outcome {
            LaunchOutcome::Launched { task_id } => (ProposalState::Launched, Some(task_id), None),
            LaunchOutcome::Failed { reason } => (ProposalState::Failed, None, Some(reason)),
        };
        let changed = self.conn()?.execute(
            "UPDATE proposals SET state = ?3, task_id = ?4, launch_error = ?5
             WHERE id = ?1 AND state = 'launching' AND claimed_by = ?2",
            params![id.to_string(), claimant, state.as_str(), task_id, error],
        )?;
        let proposal = self.get_proposal(id)?;
        if changed == 0 {
            return Err(StoreError::AlreadyDecided {
                id,
                state: proposal.state,
            });
        }
        Ok(proposal)
    }

    /// Proposals being launched and who claimed each: `(id, claimant)`.
    pub fn launch_claims(&self) -> Result<Vec<(Uuid, String)>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT id, coalesce(claimed_by, '') FROM proposals WHERE state = 'launching' ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|row| {
            let (id, by) = row?;
            Ok((parse_uuid(&id)?, by))
        })
        .collect()
    }

    /// Records `key` as seen until `expires_at`; `false` when it already
    /// was (a replay). Expired keys are dropped on the way.
    pub fn claim_once(&self, key: &str, expires_at: i64, now: i64) -> Result<bool, StoreError> {
        let conn = self.conn()?;
        conn.execute("DELETE FROM seen WHERE expires_at < ?1", [now])?;
        let inserted = conn.execute(
            "INSERT OR IGNORE INTO seen (key, expires_at) VALUES (?1, ?2)",
            params![key, expires_at],
        )?;
        Ok(inserted == 1)
    }
}

/// Rebuilds a proposals table from before launches (its CHECK allowed only
/// pending, approved and rejected, and SQLite cannot alter a CHECK) into the
/// current one, keeping every row. In one IMMEDIATE transaction, so two
/// processes opening an old database at once migrate it once.
fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let has_launch_columns = |conn: &Connection| -> rusqlite::Result<bool> {
        let n: i64 = conn.query_row(
            "SELECT count(*) FROM pragma_table_info('proposals') WHERE name = 'claimed_by'",
            [],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    };
    if has_launch_columns(conn)? {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let rebuilt = (|| -> rusqlite::Result<()> {
        if has_launch_columns(conn)? {
            return Ok(());
        }
        conn.execute_batch(concat!(
            "ALTER TABLE proposals RENAME TO proposals_before_launches;\n",
            proposals_table!(),
            "
            INSERT INTO proposals (seq, id, created_at, source, repo, prompt, sender, labels, reference, delivery,
                                   state, decided_at, decided_by)
            SELECT seq, id, created_at, source, repo, prompt, sender, labels, reference, delivery,
                   state, decided_at, decided_by
            FROM proposals_before_launches;
            DROP TABLE proposals_before_launches;
            CREATE INDEX IF NOT EXISTS proposals_state ON proposals(state);
            "
        ))
    })();
    match rebuilt {
        Ok(()) => conn.execute_batch("COMMIT")?,
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e.into());
        }
    }
    Ok(())
}

type ProposalRow = [Option<String>; 14];

fn row_strings(r: &rusqlite::Row<'_>) -> rusqlite::Result<ProposalRow> {
    let mut out: ProposalRow = Default::default();
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = r.get(i)?;
    }
    Ok(out)
}

fn proposal_from(row: ProposalRow) -> Result<Proposal, StoreError> {
    let [
        id,
        created,
        source,
        repo,
        prompt,
        sender,
        labels,
        reference,
        delivery,
        state,
        decided_at,
        decided_by,
        task_id,
        launch_error,
    ] = row;
    let need = |v: Option<String>, what: &str| {
        v.ok_or_else(|| StoreError::Corrupt(format!("proposal without {what}")))
    };
    let labels: Vec<String> = serde_json::from_str(&need(labels, "labels")?)
        .map_err(|_| StoreError::Corrupt("labels".into()))?;
    Ok(Proposal {
        id: parse_uuid(&need(id, "id")?)?,
        created_at: parse_ts(&need(created, "created_at")?)?,
        source: need(source, "source")?
            .parse()
            .map_err(StoreError::Corrupt)?,
        repo: need(repo, "repo")?,
        prompt: need(prompt, "prompt")?,
        sender: need(sender, "sender")?,
        labels,
        reference,
        delivery: parse_uuid(&need(delivery, "delivery")?)?,
        state: need(state, "state")?.parse().map_err(StoreError::Corrupt)?,
        decided_at: decided_at.as_deref().map(parse_ts).transpose()?,
        decided_by,
        task_id,
        launch_error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proposal(state: ProposalState) -> Proposal {
        Proposal {
            id: Uuid::now_v7(),
            created_at: Utc::now(),
            source: Source::Github,
            repo: "acme/shop".into(),
            prompt: "fix it".into(),
            sender: "octocat".into(),
            labels: vec!["paddock".into()],
            reference: None,
            delivery: Uuid::now_v7(),
            state,
            decided_at: None,
            decided_by: None,
            task_id: None,
            launch_error: None,
        }
    }

    #[test]
    fn a_launch_is_claimed_once_and_finished_only_by_its_claimant() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("webhooks.db");
        let a = Store::open(&path).unwrap();
        let b = Store::open(&path).unwrap();
        let pending = proposal(ProposalState::Pending);
        let approved = proposal(ProposalState::Approved);
        a.insert_proposal(&pending).unwrap();
        a.insert_proposal(&approved).unwrap();
        assert!(!a.claim_launch(pending.id, "1:1").unwrap(), "a pending proposal was claimed");
        let waiting: Vec<Uuid> = b.approved_unlaunched().unwrap().iter().map(|p| p.id).collect();
        assert_eq!(waiting, vec![approved.id]);
        assert!(a.claim_launch(approved.id, "1:1").unwrap());
        assert!(!b.claim_launch(approved.id, "2:2").unwrap(), "claimed twice");
        assert!(b.approved_unlaunched().unwrap().is_empty());
        assert_eq!(b.launch_claims().unwrap(), vec![(approved.id, "1:1".to_string())]);
        let err = b
            .finish_launch(approved.id, "2:2", LaunchOutcome::Launched { task_id: "t2" })
            .unwrap_err();
        assert!(matches!(err, StoreError::AlreadyDecided { state: ProposalState::Launching, .. }), "{err}");
        let done = a
            .finish_launch(approved.id, "1:1", LaunchOutcome::Launched { task_id: "t1" })
            .unwrap();
        assert_eq!((done.state, done.task_id.as_deref()), (ProposalState::Launched, Some("t1")));
        assert!(a.finish_launch(approved.id, "1:1", LaunchOutcome::Failed { reason: "x" }).is_err());
        assert!(b.launch_claims().unwrap().is_empty());
        // A decision on a launched proposal is refused.
        assert!(b.decide_proposal(approved.id, false, Utc::now()).is_err());
    }

    #[test]
    fn a_database_from_before_launches_is_migrated_with_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("webhooks.db");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE proposals (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,
                source TEXT NOT NULL, repo TEXT NOT NULL, prompt TEXT NOT NULL, sender TEXT NOT NULL,
                labels TEXT NOT NULL, reference TEXT, delivery TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
                decided_at TEXT, decided_by TEXT);
             CREATE INDEX proposals_state ON proposals(state);",
        )
        .unwrap();
        let id = Uuid::now_v7();
        old.execute(
            "INSERT INTO proposals (id, created_at, source, repo, prompt, sender, labels, delivery, state, decided_by)
             VALUES (?1, '2026-01-02T03:04:05.000000Z', 'github', 'acme/shop', 'p', 'octocat', '[]', ?2, 'approved', 'user')",
            params![id.to_string(), Uuid::now_v7().to_string()],
        )
        .unwrap();
        drop(old);
        let store = Store::open(&path).unwrap();
        let p = store.get_proposal(id).unwrap();
        assert_eq!((p.state, p.decided_by.as_deref(), p.task_id), (ProposalState::Approved, Some("user"), None));
        assert!(store.claim_launch(id, "1:1").unwrap(), "the migrated table refuses the new states");
        store.finish_launch(id, "1:1", LaunchOutcome::Failed { reason: "no checkout" }).unwrap();
        drop(store);
        let again = Store::open(&path).unwrap();
        assert_eq!(again.get_proposal(id).unwrap().launch_error.as_deref(), Some("no checkout"));
    }
}
