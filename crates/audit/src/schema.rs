//! Tables, indexes and the triggers that make `events` and `checkpoints` append-only.

pub const SCHEMA_VERSION: &str = "1";

/// `PRAGMA user_version` once [`DDL`] and the one-time fills have run. Opening a
/// file already at this version skips them, so a one-shot writer (the gate hook,
/// once per tool call) opens with reads only.
pub const USER_VERSION: i64 = 1;

/// How many triggers [`DDL`] creates (two per append-only table).
pub const TRIGGERS: i64 = 4;

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
CREATE UNIQUE INDEX IF NOT EXISTS events_id ON events(id);
CREATE INDEX IF NOT EXISTS events_task ON events(task_id, seq) WHERE task_id IS NOT NULL;
-- Each structured index also carries the other filter columns, so a walk in seq order
-- rejects non-matching rows without reading the table row.
CREATE INDEX IF NOT EXISTS events_kind ON events(kind, seq, actor, outcome);
CREATE INDEX IF NOT EXISTS events_actor ON events(actor, seq, kind, outcome);
CREATE INDEX IF NOT EXISTS events_outcome ON events(outcome, seq, kind, actor) WHERE outcome IS NOT NULL;

-- Contentless: only the inverted index, written in the same transaction as the row.
CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(
    action, resource, outcome, detail, content='', tokenize='unicode61'
);

-- Running totals for the summary strip, kept by the append transaction. A cache, not
-- evidence: verify never relies on it.
CREATE TABLE IF NOT EXISTS counts (
    kind    TEXT NOT NULL,
    outcome TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (kind, outcome)
) WITHOUT ROWID;

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

pub const EVENT_COLUMNS: &str =
    "seq, id, ts, task_id, actor, kind, action, resource, outcome, detail, hash";
