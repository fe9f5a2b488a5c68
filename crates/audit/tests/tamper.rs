//! Attacks on the file itself: open it with plain rusqlite, drop the triggers, tamper,
//! and check that `verify` finds it and names the first broken sequence number.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

use std::path::{Path, PathBuf};

use paddock_audit::chain::{self, RowRef};
use paddock_audit::{Actor, AuditLog, Kind, NewEvent, OpenOptions, VerifyReport};
use rusqlite::Connection;

const EVENTS: u64 = 25;
const EVERY: u64 = 10;

fn opts() -> OpenOptions {
    OpenOptions {
        checkpoint_every: EVERY,
        ..OpenOptions::default()
    }
}

/// A closed log of 25 events with checkpoints at 10 and 20.
fn fixture(dir: &Path) -> PathBuf {
    let db = dir.join("audit.db");
    let log = AuditLog::open_with(&db, opts()).unwrap();
    for i in 0..EVENTS {
        log.append(
            NewEvent::new(Actor::Agent, Kind::ToolCall, "Bash")
                .task("t1")
                .resource(format!("cargo test {i}"))
                .outcome("allow")
                .detail(serde_json::json!({ "i": i })),
        )
        .unwrap();
    }
    let report = log.verify().unwrap();
    assert!(report.ok, "fixture must start clean: {report:#?}");
    assert_eq!(report.checkpoints_verified, 2);
    db
}

/// Plain SQLite access, protections removed, as an attacker with file access would.
fn tamper(db: &Path, sql: &str) {
    let conn = Connection::open(db).unwrap();
    conn.execute_batch(
        "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;
         DROP TRIGGER checkpoints_no_update; DROP TRIGGER checkpoints_no_delete;",
    )
    .unwrap();
    conn.execute_batch(sql).unwrap();
}

fn verify(db: &Path) -> VerifyReport {
    AuditLog::open_with(db, opts()).unwrap().verify().unwrap()
}

#[test]
fn untouched_log_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let report = verify(&fixture(dir.path()));
    assert!(report.ok, "{report:#?}");
    assert_eq!(report.head_seq, EVENTS);
    assert_eq!(report.first_broken, None);
}

#[test]
fn triggers_refuse_update_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture(dir.path());
    let conn = Connection::open(&db).unwrap();
    for sql in [
        "UPDATE events SET action = 'ls' WHERE seq = 3",
        "DELETE FROM events WHERE seq = 3",
        "UPDATE checkpoints SET hash = 'x'",
        "DELETE FROM checkpoints",
    ] {
        let err = conn.execute(sql, []).unwrap_err().to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
}

#[test]
fn edited_row_is_detected_at_its_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture(dir.path());
    tamper(&db, "UPDATE events SET outcome = 'deny' WHERE seq = 7");
    let r = verify(&db);
    assert!(!r.ok);
    assert_eq!(r.first_broken, Some(7), "{r:#?}");
}

#[test]
fn edited_detail_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture(dir.path());
    tamper(
        &db,
        r#"UPDATE events SET detail = '{"i":99}' WHERE seq = 12"#,
    );
    assert_eq!(verify(&db).first_broken, Some(12));
}

#[test]
fn deleted_row_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture(dir.path());
    tamper(&db, "DELETE FROM events WHERE seq = 5");
    let r = verify(&db);
    assert_eq!(r.first_broken, Some(5), "{r:#?}");
    assert!(r.problems[0].message.contains("missing"), "{r:#?}");
}

#[test]
fn reordered_rows_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture(dir.path());
    // Swap the sequence numbers of #4 and #6, hashes and all.
    tamper(
        &db,
        "UPDATE events SET seq = -4 WHERE seq = 4;
         UPDATE events SET seq = 4 WHERE seq = 6;
         UPDATE events SET seq = 6 WHERE seq = -4;",
    );
    assert_eq!(verify(&db).first_broken, Some(4));
}

#[test]
fn truncated_tail_is_detected_by_the_checkpoint_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture(dir.path());
    // Cut after #15, including the checkpoint at #20 inside the database.
    tamper(
        &db,
        "DELETE FROM events WHERE seq > 15; DELETE FROM checkpoints WHERE seq > 15;",
    );
    let r = verify(&db);
    assert!(!r.ok);
    assert_eq!(r.first_broken, Some(16), "{r:#?}");
    assert!(
        r.problems.iter().any(|p| p.message.contains("cut off")),
        "{r:#?}"
    );
}

#[test]
fn rechained_rewrite_without_the_key_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture(dir.path());
    // The attacker edits #5 and recomputes every later hash with the public algorithm.
    tamper(&db, "UPDATE events SET resource = 'innocent' WHERE seq = 5");
    let conn = Connection::open(&db).unwrap();
    let mut prev = chain::GENESIS;
    for seq in 1..=EVENTS {
        let row: (String, String, Option<String>, String, String, String, String, Option<String>, String) = conn
            .query_row(
                "SELECT id, ts, task_id, actor, kind, action, resource, outcome, detail FROM events WHERE seq = ?1",
                [seq as i64],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?)),
            )
            .unwrap();
        let h = chain::row_hash(
            &prev,
            &RowRef {
                seq,
                id: &row.0,
                ts: &row.1,
                task_id: row.2.as_deref(),
                actor: &row.3,
                kind: &row.4,
                action: &row.5,
                resource: &row.6,
                outcome: row.7.as_deref(),
                detail: &row.8,
            },
        );
        conn.execute(
            "UPDATE events SET hash = ?1 WHERE seq = ?2",
            rusqlite::params![&h[..], seq as i64],
        )
        .unwrap();
        prev = h;
    }
    drop(conn);
    let r = verify(&db);
    assert!(!r.ok, "{r:#?}");
    // The chain itself is consistent again; the first signed head after the edit is not.
    assert_eq!(r.first_broken, Some(EVERY), "{r:#?}");
    assert!(
        r.problems.iter().any(|p| p.message.contains("rewritten")),
        "{r:#?}"
    );
}

/// Builds a complete, self-consistent log with a different signing key.
fn forged_log(dir: &Path) -> PathBuf {
    let forged_dir = dir.join("forger");
    let forged = fixture(&forged_dir);
    // Merge the WAL into the main file so a plain copy is the whole database.
    Connection::open(&forged)
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    forged
}

#[test]
fn database_rebuilt_with_another_key_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture(dir.path());
    let forged = forged_log(dir.path());
    // Replace both the database and its checkpoint file; the key file stays ours.
    std::fs::copy(&forged, &db).unwrap();
    let _ = std::fs::remove_file(dir.path().join("audit.db-wal"));
    let _ = std::fs::remove_file(dir.path().join("audit.db-shm"));
    std::fs::copy(
        forged.with_extension("db.checkpoints"),
        dir.path().join("audit.db.checkpoints"),
    )
    .unwrap();
    let r = verify(&db);
    assert!(!r.ok, "{r:#?}");
    assert!(
        r.problems
            .iter()
            .any(|p| p.message.contains("not the trusted key")),
        "{r:#?}"
    );
    assert_eq!(r.checkpoints_verified, 0);
}

#[test]
fn database_replaced_but_checkpoint_file_kept_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture(dir.path());
    let forged = forged_log(dir.path());
    std::fs::copy(&forged, &db).unwrap();
    let _ = std::fs::remove_file(dir.path().join("audit.db-wal"));
    let _ = std::fs::remove_file(dir.path().join("audit.db-shm"));
    let r = verify(&db);
    assert!(!r.ok, "{r:#?}");
    assert_eq!(r.first_broken, Some(EVERY), "{r:#?}");
}

#[test]
fn deleted_checkpoint_file_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture(dir.path());
    std::fs::remove_file(dir.path().join("audit.db.checkpoints")).unwrap();
    let r = verify(&db);
    assert!(!r.ok);
    assert!(
        r.problems.iter().any(|p| p.message.contains("is missing")),
        "{r:#?}"
    );
}

#[test]
fn pinned_public_key_catches_a_replaced_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture(dir.path());
    let genuine = AuditLog::open_with(&db, opts()).unwrap().public_key();
    // Replace the key file: every old checkpoint now fails against the new key, and a
    // verify pinned to the genuine key still refuses anything the new key signs.
    std::fs::remove_file(dir.path().join("audit.db.key")).unwrap();
    let log = AuditLog::open_with(&db, opts()).unwrap();
    assert_ne!(log.public_key(), genuine);
    assert!(!log.verify().unwrap().ok);
    assert!(log.verify_with_key(&genuine).unwrap().ok);
    log.append(NewEvent::new(Actor::User, Kind::Config, "x"))
        .unwrap();
    log.checkpoint().unwrap();
    assert!(!log.verify_with_key(&genuine).unwrap().ok);
}

#[test]
fn key_file_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = fixture(dir.path());
    let key = dir.path().join("audit.db.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = AuditLog::open_with(&db, opts()).err().unwrap().to_string();
    assert!(err.contains("chmod 600"), "{err}");
}
