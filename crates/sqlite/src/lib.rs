//! How every Paddock store opens its SQLite file.
//!
//! The app, the CLI, a task's engine and the gate hook open the same files
//! (audit log, task store, lease store, webhook store) at the same time, and
//! often a file none of them has created yet. Switching a new file to WAL
//! needs an exclusive lock, and SQLite answers "database is locked" at once
//! instead of calling the busy handler, so a `paddock tasks list` started
//! next to a `paddock run` could fail (seen in CI). Every store switches to
//! WAL through [`enable_wal`], which waits as the busy handler would.

use std::time::{Duration, Instant};

use rusqlite::Connection;

/// Runs `f` until it succeeds, fails with something other than "busy", or
/// `timeout` passes: for statements SQLite does not call the busy handler for.
fn retry_busy<T>(timeout: Duration, mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let deadline = Instant::now() + timeout;
    loop {
        match f() {
            Err(e) if is_busy(&e) && Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            other => return other,
        }
    }
}

/// "Database is busy" or "database is locked": another connection holds the lock.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

/// Puts `schema` (`main`, or an attached database's name) in WAL mode,
/// waiting up to `timeout` for other processes that are creating or opening
/// the same file. Sets the connection's busy timeout to `timeout` as well.
pub fn enable_wal(conn: &Connection, schema: &str, timeout: Duration) -> rusqlite::Result<()> {
    conn.busy_timeout(timeout)?;
    let mode: String =
        retry_busy(timeout, || conn.query_row(&format!("PRAGMA {schema}.journal_mode=WAL"), [], |r| r.get(0)))?;
    if mode.eq_ignore_ascii_case("wal") {
        Ok(())
    } else {
        // An in-memory database, or a file system without shared memory.
        Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
            Some(format!("the database stays in {mode} journal mode, not WAL")),
        ))
    }
}
