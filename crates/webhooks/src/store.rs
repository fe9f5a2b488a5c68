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
}

impl ProposalState {
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalState::Pending => "pending",
            ProposalState::Approved => "approved",
            ProposalState::Rejected => "rejected",
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
            other => Err(format!("{other:?} is not pending, approved or rejected")),
        }
    }
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
}

const SCHEMA: &str = "
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
CREATE TABLE IF NOT EXISTS proposals (
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
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
    decided_at TEXT,
    decided_by TEXT
);
CREATE INDEX IF NOT EXISTS proposals_state ON proposals(state);
-- Replay cache: a key (a Slack signature, a GitHub delivery id, a Slack
-- event id) is accepted once until it expires (unix seconds).
CREATE TABLE IF NOT EXISTS seen (
    key TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_expiry ON seen(expires_at);
";

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
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(SCHEMA)?;
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
                                    decided_at, decided_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
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
                    decided_by
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
                        decided_by
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

type ProposalRow = [Option<String>; 12];

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
    })
}
