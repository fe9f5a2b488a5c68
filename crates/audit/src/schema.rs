//! Tables, the triggers that make `events` and `checkpoints` append-only, and the derived
//! search index.
//!
//! Two files, two kinds of table:
//! - **Evidence**, in the log file itself: `events` and `checkpoints`, plus `meta`.
//!   Append-only (triggers), hash-chained and signed; `verify` reads only these. An
//!   append writes one `events` row and nothing else, so a commit dirties as few pages
//!   as SQLite allows: `events` has no secondary index at all.
//! - **Derived**, in `<db>.index` ([`INDEX_DDL`]), attached as `idx`: `search` (FTS5),
//!   `counts`, `tasks` and their watermark. Rebuilt from `events` in batches
//!   ([`crate::index`]); wiped and rebuilt when the watermark no longer matches the
//!   events, or when the file is missing or from another version. Never evidence:
//!   editing it can hide an event from a query, never from `verify`. Being another file,
//!   it has its own write lock, so indexing never holds up an append.

pub const SCHEMA_VERSION: &str = "3";

/// `PRAGMA user_version` once [`DDL`] and the one-time fills have run. Opening a
/// file already at this version skips them, so a one-shot writer (the gate hook,
/// once per tool call) opens with reads only.
pub const USER_VERSION: i64 = 3;

/// `PRAGMA user_version` of the index file. Any other value (a new, empty file
/// included) makes the next indexer drop whatever is there and start afresh.
/// Version 2 indexes the detail's values, not its keys (version 1 indexed both).
pub const INDEX_VERSION: i64 = 2;

/// How many triggers [`DDL`] creates (two per append-only table).
pub const TRIGGERS: i64 = 4;

/// Version 1 kept five secondary indexes on `events` and a four-column full-text index,
/// all written by every append; version 2 kept the derived tables in the log file. Run
/// before [`DDL`], only on files older than [`USER_VERSION`]: the derived tables now
/// live in the index file and are rebuilt there by the first query or indexing append.
pub const DROP_OLD_DERIVED: &str = r#"
DROP INDEX IF EXISTS events_id;
DROP INDEX IF EXISTS events_task;
DROP INDEX IF EXISTS events_kind;
DROP INDEX IF EXISTS events_actor;
DROP INDEX IF EXISTS events_outcome;
DROP TABLE IF EXISTS events_fts;
DROP TABLE IF EXISTS counts;
DROP TABLE IF EXISTS search;
DROP TABLE IF EXISTS tasks;
"#;

/// Run after [`DDL`] on files older than [`USER_VERSION`]: watermarks of the derived
/// tables that used to live in the log file.
pub const DROP_OLD_WATERMARKS: &str =
    "DELETE FROM meta WHERE key IN ('index_through', 'index_hash', 'fts_through');";

pub const DDL: &str = r#"
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq       INTEGER PRIMARY KEY,
    id        TEXT NOT NULL,
    ts        TEXT NOT NULL,
    task_id   TEXT,
    actor     TEXT NOT NULL,
    kind      TEXT NOT NULL,
    action    TEXT NOT NULL,
    resource  TEXT NOT NULL,
    outcome   TEXT,
    detail    TEXT NOT NULL,
    hash      BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (
    seq        INTEGER PRIMARY KEY,
    hash       TEXT NOT NULL,
    ts         TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature  TEXT NOT NULL
);

CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only: DELETE refused'); END;

"#;

/// The index file's tables, created through a connection that has it attached as `idx`.
pub const INDEX_DDL: &str = r#"
-- Derived. One contentless full-text index serves every filter: `body` holds the words of
-- action, resource, outcome and detail; `tags` one token per structured value (kind,
-- actor, outcome, task; see index::tag), so "word AND kind AND outcome" is one FTS5
-- expression whose doclists FTS5 intersects itself, skipping instead of reading rows.
CREATE VIRTUAL TABLE IF NOT EXISTS idx.search USING fts5(
    body, tags, content='', columnsize=0, tokenize='unicode61'
);
-- Running totals for the summary strip.
CREATE TABLE IF NOT EXISTS idx.counts (
    kind    TEXT NOT NULL,
    outcome TEXT NOT NULL,
    actor   TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (kind, outcome, actor)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS idx.tasks (
    task_id   TEXT PRIMARY KEY,
    first_seq INTEGER NOT NULL,
    last_seq  INTEGER NOT NULL,
    n         INTEGER NOT NULL
) WITHOUT ROWID;
-- The watermark: events up to `index_through` (whose hash is `index_hash`) are in
-- every table above. Written in the same transaction as the rows it covers.
CREATE TABLE IF NOT EXISTS idx.index_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"#;

/// Drops whatever an index file of another version holds.
pub const DROP_INDEX_TABLES: &str = r#"
DROP TABLE IF EXISTS idx.search;
DROP TABLE IF EXISTS idx.counts;
DROP TABLE IF EXISTS idx.tasks;
DROP TABLE IF EXISTS idx.index_meta;
"#;

pub const EVENT_COLUMNS: &str =
    "seq, id, ts, task_id, actor, kind, action, resource, outcome, detail, hash";
