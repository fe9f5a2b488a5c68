//! Several processes' worth of connections create and open one new file at
//! once, as `paddock run` and a polling `paddock tasks list` do.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

use std::sync::{Arc, Barrier};
use std::time::Duration;

/// Opens `path` from `n` threads released together; each switches to WAL with `open` and
/// reads. Returns the errors.
fn race(path: &std::path::Path, n: usize, open: fn(&rusqlite::Connection) -> rusqlite::Result<()>) -> Vec<String> {
    let barrier = Arc::new(Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let barrier = barrier.clone();
            let path = path.to_path_buf();
            std::thread::spawn(move || -> rusqlite::Result<()> {
                barrier.wait();
                let conn = rusqlite::Connection::open(&path)?;
                open(&conn).map_err(|e| tag("wal", e))?;
                conn.execute_batch("CREATE TABLE IF NOT EXISTS t (x INTEGER); INSERT INTO t VALUES (1);").map_err(|e| tag("write", e))?;
                conn.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0)).map(|_| ()).map_err(|e| tag("read", e))
            })
        })
        .collect();
    threads.into_iter().filter_map(|t| t.join().unwrap().err()).map(|e| e.to_string()).collect()
}

fn tag(step: &str, e: rusqlite::Error) -> rusqlite::Error {
    match e {
        rusqlite::Error::SqliteFailure(f, m) => rusqlite::Error::SqliteFailure(f, Some(format!("{step}: {} ({:?})", m.unwrap_or_default(), f.extended_code))),
        other => other,
    }
}

fn with_retries(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    paddock_sqlite::enable_wal(conn, "main", Duration::from_secs(30))
}

/// What the stores did before: a busy timeout, then the pragma once.
fn without_retries(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(30))?;
    conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)).map(|_| ())
}

/// The premise: without the retries, some of the connections racing to open a new file
/// fail to switch it to WAL with "database is locked" (extended code 5), at once,
/// busy timeout or not (about 2% of openings here). Rounds go on until one fails.
#[test]
fn without_retries_the_switch_to_wal_fails_when_others_open_the_file_too() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..1000 {
        let errors = race(&dir.path().join(format!("{round}.db")), 6, without_retries);
        if let Some(e) = errors.first() {
            assert!(e.starts_with("wal: database is locked"), "{errors:?}");
            return;
        }
    }
    panic!("1,000 rounds of 6 racing openings never failed: the race this crate guards against did not happen");
}

#[test]
fn every_connection_opens_a_new_file_that_others_are_creating_at_the_same_moment() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..40 {
        let path = dir.path().join(format!("{round}.db"));
        let errors = race(&path, 6, with_retries);
        assert!(errors.is_empty(), "round {round}: {errors:?}");
        let mode: String = rusqlite::Connection::open(&path).unwrap().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
    }
}

#[test]
fn a_database_that_cannot_be_wal_is_refused_not_silently_kept() {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let err = paddock_sqlite::enable_wal(&conn, "main", Duration::from_secs(1)).unwrap_err().to_string();
    assert!(err.contains("memory") && err.contains("not WAL"), "{err}");
}

