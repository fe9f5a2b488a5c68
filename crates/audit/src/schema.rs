//! Tables, the triggers that make `events` and `checkpoints` append-only, and the derived
//! search index.
//!
//! Two kinds of table live in the file:
//! - **Evidence**: `events` and `checkpoints`. Append-only (triggers), hash-chained and
//!   signed; `verify` reads only these. An append writes one `events` row and nothing
//!   else, so a commit dirties as few pages as SQLite allows: `events` has no secondary
//!   index at all.
//! - **Derived**: `search` (FTS5), `counts`, `tasks`. Rebuilt from `events`
//!   in batches ([`crate::index`]) up to the watermark in `meta`; wiped and rebuilt when
//!   the watermark no longer matches the events. Never evidence: editing them can hide an
//!   event from a query, never from `verify`.

pub const SCHEMA_VERSION: &str = "2";

/// `PRAGMA user_version` once [`DDL`] and the one-time fills have run. Opening a
/// file already at this version skips them, so a one-shot writer (the gate hook,
/// once per tool call) opens with reads only.
pub const USER_VERSION: i64 = 2;

/// How many triggers [`DDL`] creates (two per append-only table).
pub const TRIGGERS: i64 = 4;

/// Version 1 kept five secondary indexes on `events` and a four-column full-text index,
/// all written by every append. They are replaced by the derived tables below. Run
/// before [`DDL`], only on files older than [`USER_VERSION`] (its `counts` had other
/// columns).
pub const DROP_V1_INDEXES: &str = r#"
DROP INDEX IF EXISTS events_id;
DROP INDEX IF EXISTS events_task;
DROP INDEX IF EXISTS events_kind;
DROP INDEX IF EXISTS events_actor;
DROP INDEX IF EXISTS events_outcome;
DROP TABLE IF EXISTS events_fts;
DROP TABLE IF EXISTS counts;
"#;

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

-- Derived. One contentless full-text index serves every filter: `body` holds the words of
-- action, resource, outcome and detail; `tags` one token per structured value (kind,
-- actor, outcome, task; see index::tag), so "word AND kind AND outcome" is one FTS5
-- expression whose doclists FTS5 intersects itself, skipping instead of reading rows.
CREATE VIRTUAL TABLE IF NOT EXISTS search USING fts5(
    body, tags, content='', columnsize=0, tokenize='unicode61'
);
-- Running totals for the summary strip.
CREATE TABLE IF NOT EXISTS counts (
    kind    TEXT NOT NULL,
    outcome TEXT NOT NULL,
    actor   TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (kind, outcome, actor)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tasks (
    task_id   TEXT PRIMARY KEY,
    first_seq INTEGER NOT NULL,
    last_seq  INTEGER NOT NULL,
    n         INTEGER NOT NULL
) WITHOUT ROWID;
"#;

pub const EVENT_COLUMNS: &str =
    "seq, id, ts, task_id, actor, kind, action, resource, outcome, detail, hash";
