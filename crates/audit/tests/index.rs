//! The derived search index: bounded lag without queries, deferred indexing, rebuilding
//! when the events it covered were replaced, migration of version-1 files, and id
//! look-ups without an id index.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

use std::path::Path;
use std::time::{Duration, Instant};

use paddock_audit::chain::{self, RowRef};
use paddock_audit::{
    Actor, AuditLog, Cursor, Filter, INLINE_INDEX_FACTOR, Kind, NewEvent, OpenOptions, Query,
};
use rusqlite::Connection;

fn ev(word: &str, i: u64) -> NewEvent {
    NewEvent::new(Actor::Agent, Kind::ToolCall, "Bash")
        .task(format!("task-{}", i % 3))
        .resource(format!("{word} step {i}"))
        .outcome(if i.is_multiple_of(4) { "deny" } else { "allow" })
}

fn search(log: &AuditLog, text: &str) -> Vec<u64> {
    let page = log
        .query(&Query {
            filter: Filter {
                text: Some(text.into()),
                ..Filter::default()
            },
            cursor: Cursor::Oldest,
            limit: 1000,
        })
        .unwrap();
    page.events.iter().map(|e| e.seq).collect()
}

/// The index file beside the log.
fn index_file(db: &Path) -> std::path::PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".index");
    p.into()
}

/// The index watermark, read from the index file as any SQLite client would.
fn indexed_through(db: &Path) -> u64 {
    let v: Option<String> = Connection::open(index_file(db))
        .unwrap()
        .query_row(
            "SELECT value FROM index_meta WHERE key = 'index_through'",
            [],
            |r| r.get(0),
        )
        .ok();
    v.map_or(0, |v| v.parse().unwrap())
}

/// A log at `db` whose appenders leave indexing to others until `lag` events are pending,
/// with or without the background threads.
fn open_lagging(db: &Path, lag: u64, background_thread: bool) -> AuditLog {
    AuditLog::open_with(
        db,
        OpenOptions {
            index_lag: lag,
            background_thread,
            ..OpenOptions::default()
        },
    )
    .unwrap()
}

#[test]
fn background_indexing_keeps_the_lag_bounded_without_any_query() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let lag = 100;
    let log = open_lagging(&db, lag, true);
    for i in 0..250 {
        log.append(ev("alpha", i)).unwrap();
        let head = i + 1;
        // The thread may be behind; an appender steps in before it is this far behind.
        let behind = head - indexed_through(&db);
        assert!(
            behind <= lag * INLINE_INDEX_FACTOR,
            "after #{head} the index is {behind} events behind"
        );
    }
    // Left alone, the thread catches up (the appenders never had to: 250 < 400).
    let deadline = Instant::now() + Duration::from_secs(60);
    while 250 - indexed_through(&db) >= lag {
        assert!(
            Instant::now() < deadline,
            "the background thread never caught up: indexed through #{}",
            indexed_through(&db)
        );
        std::thread::yield_now();
    }
    // Searches see everything either way.
    assert_eq!(search(&log, "alpha").len(), 250);
}

#[test]
fn appenders_keep_the_index_lag_bounded_without_any_query() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let lag = 100;
    let log = open_lagging(&db, lag, false);
    for i in 0..250 {
        log.append(ev("alpha", i)).unwrap();
        let head = i + 1;
        let behind = head - indexed_through(&db);
        assert!(
            behind < lag,
            "after #{head} the index is {behind} events behind"
        );
    }
    // A batch larger than the lag is indexed by the appender too.
    log.append_batch((0..300).map(|i| ev("beta", i)).collect())
        .unwrap();
    assert_eq!(indexed_through(&db), 550);
}

#[test]
fn deferred_indexing_is_done_by_index_pending_or_the_next_query() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let log = open_lagging(&db, u64::MAX, true);
    log.append_batch((0..5000).map(|i| ev("alpha", i)).collect())
        .unwrap();
    assert_eq!(indexed_through(&db), 0, "index_lag = MAX must not index");
    assert_eq!(log.index_pending().unwrap(), 5000);
    assert_eq!(log.index_pending().unwrap(), 0);
    assert_eq!(indexed_through(&db), 5000);
    // Appended after the last indexing, found all the same: the query catches up.
    log.append(ev("gamma", 0)).unwrap();
    assert_eq!(search(&log, "gamma"), vec![5001]);
    assert_eq!(search(&log, "alpha").len(), 1000, "first page of 5,000");
}

#[test]
fn search_index_is_rebuilt_when_the_events_it_covered_are_replaced() {
    // Cut the log back and append different events under the same sequence numbers:
    // an index trusting its watermark would still answer from the old events.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let opts = || OpenOptions {
        checkpoint_every: 10,
        ..OpenOptions::default()
    };
    {
        let log = AuditLog::open_with(&db, opts()).unwrap();
        for i in 0..50 {
            log.append(ev("alpha", i)).unwrap();
        }
        assert_eq!(search(&log, "alpha").len(), 50);
        assert_eq!(indexed_through(&db), 50);
    }
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch(
        "DROP TRIGGER events_no_delete; DROP TRIGGER checkpoints_no_delete;
         DELETE FROM events WHERE seq > 20; DELETE FROM checkpoints WHERE seq > 20;",
    )
    .unwrap();
    drop(conn);
    let log = AuditLog::open_with(&db, opts()).unwrap();
    for i in 0..30 {
        log.append(ev("beta", i)).unwrap();
    }
    assert_eq!(search(&log, "alpha"), (1..=20).collect::<Vec<u64>>());
    assert_eq!(search(&log, "beta"), (21..=50).collect::<Vec<u64>>());
    let counts = log.counts(&Filter::default()).unwrap();
    assert_eq!(counts.total, 50);
    assert_eq!(
        log.tasks(10).unwrap().iter().map(|t| t.events).sum::<u64>(),
        50
    );
    // The rewrite is still evidence: the checkpoint file remembers the old #30..#50.
    let report = log.verify().unwrap();
    assert_eq!(report.first_broken, Some(30), "{report:#?}");
}

#[test]
fn ids_are_found_without_an_id_index() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(&dir.path().join("audit.db")).unwrap();
    // Batches share one timestamp; singles are spread over many milliseconds.
    let mut all = log
        .append_batch((0..3000).map(|i| ev("alpha", i)).collect())
        .unwrap();
    for i in 0..200 {
        all.push(log.append(ev("beta", i)).unwrap());
    }
    all.extend(
        log.append_batch((0..500).map(|i| ev("gamma", i)).collect())
            .unwrap(),
    );
    for e in all.iter().step_by(37).chain(all.last()) {
        assert_eq!(log.get_by_id(&e.id).unwrap().as_ref(), Some(e), "{}", e.id);
        let upper = e.id.to_ascii_uppercase();
        assert_eq!(log.get_by_id(&upper).unwrap().map(|x| x.seq), Some(e.seq));
        // The id's timestamp is the event's own time.
        let ms = uuid::Uuid::parse_str(&e.id)
            .unwrap()
            .get_timestamp()
            .unwrap()
            .to_unix();
        let ts = chrono::DateTime::parse_from_rfc3339(&e.ts).unwrap();
        assert_eq!(
            (ms.0 as i64) * 1000 + i64::from(ms.1 / 1_000_000),
            ts.timestamp_millis(),
            "{e:?}"
        );
    }
    // A well-formed id that is not in the log, and strings that are not ids at all.
    let absent = uuid::Uuid::now_v7().to_string();
    assert_eq!(log.get_by_id(&absent).unwrap(), None);
    for junk in [
        "",
        "42",
        "not-a-uuid",
        "0190c1a2-1234-7abc-8def-0123456789ab",
    ] {
        assert_eq!(log.get_by_id(junk).unwrap(), None, "{junk:?}");
    }
}

/// The version-1 schema, as `paddock-audit` created it before this change.
const V1_DDL: &str = r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL, ts TEXT NOT NULL, task_id TEXT,
    actor TEXT NOT NULL, kind TEXT NOT NULL, action TEXT NOT NULL, resource TEXT NOT NULL,
    outcome TEXT, detail TEXT NOT NULL, hash BLOB NOT NULL
);
CREATE UNIQUE INDEX events_id ON events(id);
CREATE INDEX events_task ON events(task_id, seq) WHERE task_id IS NOT NULL;
CREATE INDEX events_kind ON events(kind, seq, actor, outcome);
CREATE INDEX events_actor ON events(actor, seq, kind, outcome);
CREATE INDEX events_outcome ON events(outcome, seq, kind, actor) WHERE outcome IS NOT NULL;
CREATE VIRTUAL TABLE events_fts USING fts5(
    action, resource, outcome, detail, content='', tokenize='unicode61'
);
CREATE TABLE counts (
    kind TEXT NOT NULL, outcome TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (kind, outcome)
) WITHOUT ROWID;
CREATE TABLE checkpoints (
    seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, ts TEXT NOT NULL,
    public_key TEXT NOT NULL, signature TEXT NOT NULL
);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only: UPDATE refused'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only: DELETE refused'); END;
PRAGMA user_version = 1;
"#;

#[test]
fn version_1_files_are_migrated_and_their_events_found() {
    // A v1 log written directly: ids from a clock that disagrees with `ts` (as v1's
    // separate clock reads could), so look-ups by id must fall back to scanning.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch(&format!("PRAGMA journal_mode=WAL; {V1_DDL}"))
        .unwrap();
    let mut prev = chain::GENESIS;
    let mut ids = Vec::new();
    for seq in 1..=40u64 {
        let id = uuid::Uuid::now_v7().to_string();
        let ts = format!("2026-01-01T00:00:{:02}.000000Z", seq);
        let task = format!("task-{}", seq % 2);
        let kind = if seq % 5 == 0 { "egress" } else { "tool_call" };
        let resource = format!("legacy step {seq}");
        let hash = chain::row_hash(
            &prev,
            &RowRef {
                seq,
                id: &id,
                ts: &ts,
                task_id: Some(&task),
                actor: "agent",
                kind,
                action: "Bash",
                resource: &resource,
                outcome: Some("allow"),
                detail: "null",
            },
        );
        conn.execute(
            "INSERT INTO events VALUES (?1, ?2, ?3, ?4, 'agent', ?5, 'Bash', ?6, 'allow', 'null', ?7)",
            rusqlite::params![seq as i64, id, ts, task, kind, resource, &hash[..]],
        )
        .unwrap();
        prev = hash;
        ids.push(id);
    }
    drop(conn);

    let log = AuditLog::open(&db).unwrap();
    let objects: Vec<String> = Connection::open(&db)
        .unwrap()
        .prepare("SELECT name FROM sqlite_master WHERE name LIKE 'events_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        objects,
        ["events_no_delete", "events_no_update"],
        "v1 per-append indexes must be gone"
    );
    assert_eq!(search(&log, "legacy").len(), 40);
    let egress = log
        .query(&Query {
            filter: Filter {
                kinds: vec![Kind::Egress],
                ..Filter::default()
            },
            ..Query::default()
        })
        .unwrap();
    assert_eq!(egress.events.len(), 8);
    assert_eq!(
        log.timeline("task-1", Cursor::Oldest, 100)
            .unwrap()
            .events
            .len(),
        20
    );
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(
            log.get_by_id(id).unwrap().map(|e| e.seq),
            Some(i as u64 + 1)
        );
    }
    // New events after the migration carry ts-stamped ids and continue the chain.
    let new = log.append(ev("fresh", 1)).unwrap();
    assert_eq!(new.seq, 41);
    assert_eq!(log.get_by_id(&new.id).unwrap().map(|e| e.seq), Some(41));
    let report = log.verify().unwrap();
    assert!(report.ok, "{report:#?}");
}

/// The log file's schema as version 2 wrote it: derived tables inside the log.
const V2_DERIVED_DDL: &str = r#"
CREATE VIRTUAL TABLE search USING fts5(
    body, tags, content='', columnsize=0, tokenize='unicode61'
);
CREATE TABLE counts (
    kind TEXT NOT NULL, outcome TEXT NOT NULL, actor TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (kind, outcome, actor)
) WITHOUT ROWID;
CREATE TABLE tasks (
    task_id TEXT PRIMARY KEY, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
    n INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('index_through', '30'), ('index_hash', 'stale');
INSERT INTO counts VALUES ('tool_call', 'allow', 'agent', 30);
PRAGMA user_version = 2;
"#;

#[test]
fn version_2_files_move_their_derived_tables_to_the_index_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    {
        let log = open_lagging(&db, u64::MAX, true);
        log.append_batch((0..30).map(|i| ev("legacy", i)).collect())
            .unwrap();
    }
    // Turn it into what version 2 left: derived tables and their watermark in the log.
    Connection::open(&db)
        .unwrap()
        .execute_batch(V2_DERIVED_DDL)
        .unwrap();
    std::fs::remove_file(index_file(&db)).ok();

    let log = AuditLog::open(&db).unwrap();
    let conn = Connection::open(&db).unwrap();
    let derived: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master
             WHERE name IN ('search', 'counts', 'tasks') OR name LIKE 'search_%'",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(derived.is_empty(), "left in the log file: {derived:?}");
    let stale: i64 = conn
        .query_row(
            "SELECT count(*) FROM meta WHERE key IN ('index_through', 'index_hash')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stale, 0, "version 2 watermark left behind");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 3);
    assert_eq!(search(&log, "legacy").len(), 30);
    assert_eq!(log.counts(&Filter::default()).unwrap().total, 30);
    assert_eq!(indexed_through(&db), 30);
    assert!(log.verify().unwrap().ok);
}

#[test]
fn a_deleted_index_file_is_rebuilt_by_the_next_query() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    {
        let log = AuditLog::open(&db).unwrap();
        log.append_batch((0..500).map(|i| ev("alpha", i)).collect())
            .unwrap();
        assert_eq!(search(&log, "alpha").len(), 500);
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut p = index_file(&db).into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    let log = AuditLog::open(&db).unwrap();
    assert_eq!(search(&log, "alpha").len(), 500);
    assert_eq!(log.counts(&Filter::default()).unwrap().total, 500);
    assert!(log.verify().unwrap().ok, "the index is not evidence");
}

#[test]
fn appends_commit_while_another_process_writes_the_index() {
    // Stand-in for a query in another process catching the index up: it holds the
    // index file's write lock. Appends must not need it (in version 2 the index was
    // in the log file and shared its lock, so they would time out here).
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let opts = || OpenOptions {
        busy_timeout: Duration::from_millis(200),
        index_lag: u64::MAX,
        ..OpenOptions::default()
    };
    {
        let log = AuditLog::open_with(&db, opts()).unwrap();
        log.append(ev("alpha", 0)).unwrap();
        assert_eq!(search(&log, "alpha").len(), 1);
    }
    let indexer = Connection::open(index_file(&db)).unwrap();
    indexer
        .execute_batch("BEGIN IMMEDIATE; DELETE FROM counts;")
        .unwrap();
    let log = AuditLog::open_with(&db, opts()).unwrap();
    for i in 1..=100 {
        log.append(ev("beta", i)).unwrap();
    }
    log.append_batch((0..1000).map(|i| ev("gamma", i)).collect())
        .unwrap();
    // Searching does need the index: it waits, then says so.
    let err = log
        .query(&Query {
            filter: Filter {
                text: Some("beta".into()),
                ..Filter::default()
            },
            ..Query::default()
        })
        .unwrap_err();
    assert!(err.to_string().contains("locked"), "{err}");
    indexer.execute_batch("ROLLBACK").unwrap();
    assert_eq!(search(&log, "beta").len(), 100);
    assert!(log.verify().unwrap().ok);
}

#[test]
fn a_closing_log_leaves_the_next_process_a_true_hint_of_the_index() {
    // Appenders in other processes judge the lag from a hint in the log's `meta`; a
    // process that indexed after its last append records it when it closes the log.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let hint = || -> u64 {
        Connection::open(&db)
            .unwrap()
            .query_row("SELECT value FROM meta WHERE key = 'index_hint'", [], |r| {
                r.get::<_, String>(0)
            })
            .map_or(0, |v| v.parse().unwrap())
    };
    {
        let log = open_lagging(&db, 100, true);
        log.append_batch((0..150).map(|i| ev("alpha", i)).collect())
            .unwrap();
    }
    assert_eq!(
        indexed_through(&db),
        150,
        "the background thread finished first"
    );
    assert_eq!(hint(), 150);
    // The hint never runs ahead of the index.
    {
        let log = AuditLog::open(&db).unwrap();
        for i in 0..10 {
            log.append(ev("beta", i)).unwrap();
        }
    }
    assert!(hint() <= indexed_through(&db));
}

#[test]
fn an_index_file_that_is_not_a_database_is_set_aside_and_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    {
        let log = AuditLog::open(&db).unwrap();
        log.append_batch((0..300).map(|i| ev("alpha", i)).collect())
            .unwrap();
        assert_eq!(search(&log, "alpha").len(), 300);
    }
    for suffix in ["-wal", "-shm"] {
        let mut p = index_file(&db).into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    std::fs::write(index_file(&db), vec![0x5a; 8192]).unwrap();
    let log = AuditLog::open(&db).unwrap();
    assert_eq!(search(&log, "alpha").len(), 300);
    assert_eq!(log.counts(&Filter::default()).unwrap().total, 300);
    let mut aside = index_file(&db).into_os_string();
    aside.push(".unreadable");
    assert!(
        Path::new(&aside).exists(),
        "the unreadable file is kept aside"
    );
}
