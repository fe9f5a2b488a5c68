//! Appends side by side with their peer, plain SQLite, in the same run: the same rows
//! (same columns and sizes, same pragmas: WAL, synchronous=NORMAL, 4 KiB pages) written
//! by bare `INSERT`s into a table with no index, no chain, no redaction, no search index.
//! Rounds alternate between the two so machine load hits both alike; the ratio is what
//! this machine's load cannot fake.
//!
//! Run: CARGO_TARGET_DIR=/root/.cache/paddock/target cargo bench -p paddock-audit --bench append_vs_sqlite
//! Env: APPEND_ROUNDS (default 7).
//!
//! Reported per case: median wall time per event over the rounds, events/s, and the
//! thread's on-CPU time per event (from /proc/thread-self/schedstat) — wall time minus
//! the time the scheduler gave the CPU to someone else, i.e. roughly what an idle
//! machine would show for work that does not wait on the disk.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // bench harness

use std::path::Path;
use std::time::Instant;

#[path = "support/events.rs"]
mod events;

use events::{cpu_now, event};
use paddock_audit::{AuditLog, NewEvent, OpenOptions};
use rusqlite::{Connection, params};


/// The peer: the same row, as plain SQLite stores it.
struct Raw {
    conn: Connection,
    seq: i64,
}

impl Raw {
    fn open(path: &Path) -> Raw {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(
            "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
             PRAGMA cache_size=-16000; PRAGMA wal_autocheckpoint=8192;
             CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, ts TEXT NOT NULL,
               task_id TEXT, actor TEXT NOT NULL, kind TEXT NOT NULL, action TEXT NOT NULL,
               resource TEXT NOT NULL, outcome TEXT, detail TEXT NOT NULL, hash BLOB NOT NULL);",
        )
        .unwrap();
        Raw { conn, seq: 0 }
    }

    /// One transaction; the caller has already built the events (as `append` callers do).
    fn insert(&mut self, evs: Vec<NewEvent>) {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        {
            let mut st = tx
                .prepare_cached("INSERT INTO events VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)")
                .unwrap();
            for e in evs {
                self.seq += 1;
                st.execute(params![
                    self.seq,
                    "0190c1a2-1234-7abc-8def-0123456789ab",
                    "2026-11-23T02:00:00.000000Z",
                    e.task_id,
                    e.actor.as_str(),
                    e.kind.as_str(),
                    e.action,
                    e.resource,
                    e.outcome,
                    e.detail.to_string(),
                    &[7u8; 32][..],
                ])
                .unwrap();
            }
        }
        tx.commit().unwrap();
    }
}


#[derive(Default)]
struct Samples {
    wall: Vec<f64>,
    cpu: Vec<f64>,
}

impl Samples {
    /// Runs `f` (which writes `events` events) and records per-event times.
    fn time(&mut self, events: u64, f: impl FnOnce()) {
        let (w, c) = (Instant::now(), cpu_now());
        f();
        let (w, c) = (w.elapsed(), cpu_now() - c);
        self.wall.push(w.as_secs_f64() / events as f64);
        self.cpu.push(c.as_secs_f64() / events as f64);
    }
    fn median(v: &[f64]) -> f64 {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }
    fn wall(&self) -> f64 {
        Self::median(&self.wall)
    }
    fn cpu(&self) -> f64 {
        Self::median(&self.cpu)
    }
}

fn report(name: &str, ours: &Samples, peer: &Samples) {
    let us = |s: f64| s * 1e6;
    println!(
        "{name:<44} {:>9.2} µs {:>11.0}/s   cpu {:>7.2} µs",
        us(ours.wall()),
        1.0 / ours.wall(),
        us(ours.cpu())
    );
    println!(
        "{:<44} {:>9.2} µs {:>11.0}/s   cpu {:>7.2} µs",
        "  peer: plain SQLite INSERT, same rows",
        us(peer.wall()),
        1.0 / peer.wall(),
        us(peer.cpu())
    );
    println!(
        "{:<44} {:>9.2}x wall          cpu {:>7.2}x",
        "  ratio paddock-audit / plain SQLite",
        ours.wall() / peer.wall(),
        ours.cpu() / peer.cpu()
    );
}

fn main() {
    let rounds: usize = std::env::var("APPEND_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(&dir.path().join("audit.db")).unwrap();
    let mut raw = Raw::open(&dir.path().join("raw.db"));
    let mut i = 0u64;
    let mut next = |n: u64| -> Vec<NewEvent> {
        let v = (i..i + n).map(event).collect();
        i += n;
        v
    };

    // Single durable appends: one commit each. 4,096 per round spans two index batches
    // and four checkpoints, so their amortised cost is in the number. The clock stops
    // once the background indexer has caught up too (`index_pending` waits for it and
    // does what is left), so its work on the other core is not hidden from the peer's
    // round.
    const SINGLE: u64 = 4096;
    let (mut ours, mut peer) = (Samples::default(), Samples::default());
    for _ in 0..rounds {
        let evs = next(SINGLE);
        ours.time(SINGLE, || {
            for e in evs {
                log.append(e).unwrap();
            }
            log.index_pending().unwrap();
        });
        let evs = next(SINGLE);
        peer.time(SINGLE, || {
            for e in evs {
                raw.insert(vec![e]);
            }
        });
    }
    println!("appends, median of {rounds} rounds, per event (load: see `uptime`)");
    report("append (one durable commit per event)", &ours, &peer);

    // Batches of 1,000 in a row, 50 per round: search indexing (background thread every
    // 2,048 events, and the rest before the clock stops) included, as in any sustained run.
    const BATCH: u64 = 1000;
    const BATCHES: u64 = 50;
    let (mut ours, mut peer) = (Samples::default(), Samples::default());
    for _ in 0..rounds {
        let batches: Vec<Vec<NewEvent>> = (0..BATCHES).map(|_| next(BATCH)).collect();
        ours.time(BATCH * BATCHES, || {
            for b in batches {
                log.append_batch(b).unwrap();
            }
            log.index_pending().unwrap();
        });
        let batches: Vec<Vec<NewEvent>> = (0..BATCHES).map(|_| next(BATCH)).collect();
        peer.time(BATCH * BATCHES, || {
            for b in batches {
                raw.insert(b);
            }
        });
    }
    report("append_batch of 1,000 (sustained, indexed)", &ours, &peer);

    // The same with indexing left to `index_pending` (OpenOptions::index_lag = MAX), as a
    // long-lived process indexing from its own thread would: the append alone, then the
    // indexing of those events, timed apart.
    let deferred = AuditLog::open_with(
        &dir.path().join("deferred.db"),
        OpenOptions {
            index_lag: u64::MAX,
            ..OpenOptions::default()
        },
    )
    .unwrap();
    let (mut ours, mut peer, mut indexing) =
        (Samples::default(), Samples::default(), Samples::default());
    for _ in 0..rounds {
        let batches: Vec<Vec<NewEvent>> = (0..BATCHES).map(|_| next(BATCH)).collect();
        ours.time(BATCH * BATCHES, || {
            for b in batches {
                deferred.append_batch(b).unwrap();
            }
        });
        indexing.time(BATCH * BATCHES, || {
            assert_eq!(deferred.index_pending().unwrap(), BATCH * BATCHES);
        });
        let batches: Vec<Vec<NewEvent>> = (0..BATCHES).map(|_| next(BATCH)).collect();
        peer.time(BATCH * BATCHES, || {
            for b in batches {
                raw.insert(b);
            }
        });
    }
    report("append_batch of 1,000, indexing deferred", &ours, &peer);
    println!(
        "{:<44} {:>9.2} µs {:>11.0}/s   cpu {:>7.2} µs",
        "  then index_pending() for those events",
        indexing.wall() * 1e6,
        1.0 / indexing.wall(),
        indexing.cpu() * 1e6
    );
    for l in [&log, &deferred] {
        let r = l.verify().unwrap();
        assert!(r.ok, "{r:?}");
    }
}
