//! Verification: walks every row recomputing the chain, then holds the result against
//! the signed checkpoints in the database and in the sidecar file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::chain::{self, RowBytes};
use crate::checkpoint::{self, Checkpoint};
use crate::{AuditError, AuditLog};

/// What went wrong where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The first sequence number affected, when there is one.
    pub seq: Option<u64>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub events: u64,
    /// Last sequence number and hash in the database.
    pub head_seq: u64,
    pub head_hash: Option<String>,
    /// Checkpoints whose signature and head hash both checked out.
    pub checkpoints_verified: u64,
    /// Sequence number of the last verified checkpoint: events after it are chained but
    /// not yet sealed, so cutting them off would not be detected.
    pub sealed_through: u64,
    /// The public key checkpoints were checked against.
    pub trusted_key: String,
    /// Smallest sequence number at which something is wrong.
    pub first_broken: Option<u64>,
    pub problems: Vec<Problem>,
}

/// Stop collecting after this many problems: a rewritten file would list every row.
const MAX_PROBLEMS: usize = 50;

impl AuditLog {
    /// Verifies against this machine's signing key.
    pub fn verify(&self) -> Result<VerifyReport, AuditError> {
        self.verify_with_key(&self.key.public_hex())
    }

    /// Verifies against `trusted_key` (hex Ed25519 public key), e.g. one recorded elsewhere.
    pub fn verify_with_key(&self, trusted_key: &str) -> Result<VerifyReport, AuditError> {
        let trusted = trusted_key.trim().to_ascii_lowercase();
        let mut problems: Vec<Problem> = Vec::new();
        let push = |problems: &mut Vec<Problem>, seq: Option<u64>, message: String| {
            if problems.len() < MAX_PROBLEMS {
                problems.push(Problem { seq, message });
            }
        };

        // 1. Collect the checkpoints that signatures vouch for; seq -> hash.
        let db_cps = self.db_checkpoints()?;
        let side = self.sidecar.read()?;
        let mut expected: BTreeMap<u64, (String, &'static str)> = BTreeMap::new();
        let mut consider = |problems: &mut Vec<Problem>, cp: &Checkpoint, source: &'static str| {
            if let Err(m) = checkpoint::check_signature(cp, &trusted) {
                push(problems, Some(cp.seq), format!("{m} (in {source})"));
                return;
            }
            match expected.get(&cp.seq) {
                Some((h, other)) if *h != cp.hash => push(
                    problems,
                    Some(cp.seq),
                    format!(
                        "checkpoints at #{} in {other} and {source} name different head hashes",
                        cp.seq
                    ),
                ),
                Some(_) => {}
                None => {
                    expected.insert(cp.seq, (cp.hash.clone(), source));
                }
            }
        };
        let side_name = "the checkpoint file";
        for cp in &db_cps {
            consider(&mut problems, cp, "the database");
        }
        match &side {
            None if !db_cps.is_empty() => push(
                &mut problems,
                db_cps.first().map(|c| c.seq),
                format!("checkpoint file {} is missing", self.sidecar.path.display()),
            ),
            None => {}
            Some(lines) => {
                let mut in_file = std::collections::BTreeSet::new();
                for line in lines {
                    match line {
                        Ok(cp) => {
                            in_file.insert(cp.seq);
                            consider(&mut problems, cp, side_name);
                        }
                        Err(m) => push(&mut problems, None, format!("checkpoint file: {m}")),
                    }
                }
                for cp in &db_cps {
                    if !in_file.contains(&cp.seq) {
                        push(
                            &mut problems,
                            Some(cp.seq),
                            format!(
                                "checkpoint at #{} is in the database but not in the checkpoint file",
                                cp.seq
                            ),
                        );
                    }
                }
            }
        }

        // 2. Walk the chain.
        // Its own read-only connection: a full walk takes seconds, and queries from the
        // UI must not queue behind it. WAL gives it one consistent snapshot.
        let conn = rusqlite::Connection::open_with_flags(
            &self.path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        let mut stmt = conn.prepare(
            "SELECT seq, id, ts, task_id, actor, kind, action, resource, outcome, detail, hash FROM events ORDER BY seq",
        )?;
        let mut rows = stmt.query([])?;
        let mut prev = chain::GENESIS;
        let mut expect_seq = 1u64;
        let mut last_ts: Vec<u8> = Vec::new();
        let mut events = 0u64;
        let mut checkpoints_verified = 0u64;
        let mut sealed_through = 0u64;
        let mut head_hash: Vec<u8> = Vec::new();
        let mut chain_broken = false;
        let mut encoding = Vec::with_capacity(1024);
        while let Some(r) = rows.next()? {
            events += 1;
            let seq = r.get::<_, i64>(0)? as u64;
            if seq != expect_seq {
                let msg = if seq > expect_seq {
                    format!("events #{expect_seq}..#{} are missing", seq - 1)
                } else {
                    format!("event #{seq} is out of order")
                };
                push(&mut problems, Some(expect_seq.min(seq)), msg);
                chain_broken = true;
            }
            let text = |i: usize| -> rusqlite::Result<&[u8]> {
                r.get_ref(i)?.as_bytes().map_err(Into::into)
            };
            let opt = |i: usize| -> rusqlite::Result<Option<&[u8]>> {
                r.get_ref(i)?.as_bytes_or_null().map_err(Into::into)
            };
            let ts = text(2)?;
            let computed = chain::row_hash_bytes(
                &mut encoding,
                &prev,
                &RowBytes {
                    seq,
                    id: text(1)?,
                    ts,
                    task_id: opt(3)?,
                    actor: text(4)?,
                    kind: text(5)?,
                    action: text(6)?,
                    resource: text(7)?,
                    outcome: opt(8)?,
                    detail: text(9)?,
                },
            );
            let stored = r.get_ref(10)?.as_blob().map_err(rusqlite::Error::from)?;
            if stored != computed {
                if !chain_broken {
                    push(
                        &mut problems,
                        Some(seq),
                        format!(
                            "event #{seq} does not match its hash: it was altered, or an earlier event was"
                        ),
                    );
                }
                chain_broken = true;
            }
            if ts < last_ts.as_slice() && !chain_broken {
                push(
                    &mut problems,
                    Some(seq),
                    format!("event #{seq} is older than the event before it"),
                );
            }
            if let Some((want, source)) = expected.get(&seq) {
                let stored_hex = hex::encode(stored);
                let computed_hex = hex::encode(computed);
                if *want != computed_hex || *want != stored_hex {
                    push(
                        &mut problems,
                        Some(seq),
                        format!(
                            "event #{seq} differs from the signed checkpoint in {source}: the log was rewritten"
                        ),
                    );
                } else if !chain_broken {
                    checkpoints_verified += 1;
                    sealed_through = seq;
                }
            }
            last_ts.clear();
            last_ts.extend_from_slice(ts);
            prev = computed;
            head_hash.clear();
            head_hash.extend_from_slice(stored);
            expect_seq = seq + 1;
        }
        let head_seq = expect_seq - 1;
        let head_hash = (events > 0).then(|| hex::encode(&head_hash));
        for (seq, (_, source)) in expected.range(head_seq + 1..) {
            push(
                &mut problems,
                Some(head_seq + 1),
                format!(
                    "the log ends at #{head_seq} but {source} has a signed checkpoint at #{seq}: events were cut off"
                ),
            );
        }
        let first_broken = problems.iter().filter_map(|p| p.seq).min();
        let ok = problems.is_empty();
        Ok(VerifyReport {
            ok,
            events,
            head_seq,
            head_hash,
            checkpoints_verified,
            sealed_through,
            trusted_key: trusted,
            first_broken,
            problems,
        })
    }
}
