//! WAL checkpoints of the log: done by the log's background thread once the WAL holds
//! 8,192 frames (32 MB), so no commit stalls on the copy and its fsyncs; or by the
//! committing thread, as SQLite's autocheckpoint would, without that thread.
//!
//! Observed from outside: until a checkpoint copies the WAL into the log, the log file
//! itself stays as small as a new one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

use std::path::Path;
use std::time::{Duration, Instant};

use paddock_audit::{Actor, AuditLog, Kind, NewEvent, OpenOptions};

/// Single commits write at least one 4 KiB frame each: this many cross 8,192 frames.
const COMMITS: u64 = 8_400;

fn ev(i: u64) -> NewEvent {
    NewEvent::new(Actor::Agent, Kind::ToolCall, "Bash").resource(format!("step {i}"))
}

fn log_file_bytes(db: &Path) -> u64 {
    std::fs::metadata(db).unwrap().len()
}

fn open(db: &Path, background_thread: bool) -> AuditLog {
    AuditLog::open_with(
        db,
        OpenOptions {
            background_thread,
            index_lag: u64::MAX,
            ..OpenOptions::default()
        },
    )
    .unwrap()
}

#[test]
fn the_background_thread_checkpoints_the_wal() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let log = open(&db, true);
    let empty = log_file_bytes(&db);
    for i in 0..COMMITS {
        log.append(ev(i)).unwrap();
    }
    // The committing threads never checkpoint below 32,768 frames; only the
    // background thread can have grown the log file.
    let deadline = Instant::now() + Duration::from_secs(60);
    while log_file_bytes(&db) < empty + 1_000_000 {
        assert!(
            Instant::now() < deadline,
            "no checkpoint: the log file is still {} bytes",
            log_file_bytes(&db)
        );
        std::thread::yield_now();
    }
    assert!(log.verify().unwrap().ok);
}

#[test]
fn without_the_thread_the_committer_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let log = open(&db, false);
    let empty = log_file_bytes(&db);
    for i in 0..COMMITS {
        log.append(ev(i)).unwrap();
    }
    // Done inside the commit that crossed 8,192 frames: no waiting needed.
    assert!(
        log_file_bytes(&db) > empty + 1_000_000,
        "no checkpoint: the log file is still {} bytes",
        log_file_bytes(&db)
    );
    assert!(log.verify().unwrap().ok);
}
