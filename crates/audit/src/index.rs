//! The derived search index: filled from `events` in batches, behind a watermark, in a
//! file of its own (`<db>.index`, attached as `idx`).
//!
//! Appends write only the `events` row (see [`crate::schema`]). Everything a query needs
//! besides the row itself — the full-text index, the structured-value tags, running
//! counts, the task list — is derived here, many events per transaction: FTS5
//! writes a new segment per transaction and B-tree inserts share pages, so indexing 2,048
//! events at once costs a fraction of indexing them one commit at a time. Indexing
//! write-locks only the index file and reads the log, so appends (in this process or
//! any other) commit while it runs.
//!
//! Who runs it (see [`crate::maintenance`]): every query that reads derived data first
//! catches the index up to the head, so no committed event is ever missing from a
//! result; and once `index_lag` ([`DEFAULT_LAG`]) events are pending, the log's
//! background thread indexes them, and the appender helps, a chunk per commit, when four
//! times that are (after its own commit and after answering the callers it committed
//! for; all of them when there is no thread), so the lag stays bounded even when
//! nothing queries the log — such as a day of gate-hook processes.
//!
//! The watermark (`index_through`, and the hash of that event, in the index file's
//! `index_meta`) is written in the same transaction as the rows it covers. When it
//! names a sequence the log no longer has, or an event with a different hash (the log
//! was edited or replaced), the derived tables are wiped and rebuilt rather than
//! trusted. A copy of it in the log's `meta` (`index_hint`) lets appenders, whose
//! connection does not attach the index, judge the lag; nothing trusts it further.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::{AuditError, schema};

/// By default an appender indexes the pending events itself once this many are waiting:
/// big enough that FTS5 writes few, large segments, small enough that the append that
/// pays for it takes milliseconds.
pub(crate) const DEFAULT_LAG: u64 = 2048;

/// At most this many events per indexing transaction, so that writers in other
/// processes never wait long for the write lock while a large backlog is indexed.
const CHUNK: u64 = 8192;

/// Structured values up to this many bytes are tagged by their hex; longer ones by a hash.
const TAG_MAX_BYTES: usize = 32;

/// The FTS5 token for one structured value: `prefix` (`k` kind, `a` actor, `o` outcome,
/// `t` task) then the value's bytes in hex, or `h` and 128 bits of its SHA-256 when long
/// (`h` is not a hex digit, so the two forms never collide). Hex keeps any value one
/// ASCII alphanumeric token that no tokenizer splits; tags live in their own column, so
/// no searched word can match one.
pub(crate) fn tag(prefix: char, value: &str) -> String {
    let mut t = String::with_capacity(2 + 2 * TAG_MAX_BYTES);
    push_tag(&mut t, prefix, value);
    t
}

fn push_tag(out: &mut String, prefix: char, value: &str) {
    out.push(prefix);
    if value.len() <= TAG_MAX_BYTES {
        crate::chain::push_hex(out, value.as_bytes());
    } else {
        out.push('h');
        crate::chain::push_hex(out, &Sha256::digest(value.as_bytes())[..16]);
    }
}

/// The `tags` column of one event. No outcome is tagged like an empty outcome: counts
/// report both under `""`.
fn tags(kind: &str, actor: &str, outcome: Option<&str>, task_id: Option<&str>) -> String {
    let mut t = String::with_capacity(8 * TAG_MAX_BYTES);
    push_tag(&mut t, 'k', kind);
    t.push(' ');
    push_tag(&mut t, 'a', actor);
    t.push(' ');
    push_tag(&mut t, 'o', outcome.unwrap_or(""));
    if let Some(task) = task_id {
        t.push(' ');
        push_tag(&mut t, 't', task);
    }
    t
}

/// The searchable text of an event's detail: its values (strings and numbers), in
/// order, not its keys. Every gate decision has `command`, `cwd` and `tool_input` keys
/// and every revocation an `error` key, so with keys indexed a search for "error" or
/// "command" matched thousands of events that had neither. Detail that is not valid
/// JSON (it always is: the store writes it) is indexed as it stands.
fn detail_values(detail: &str) -> String {
    fn walk(v: &serde_json::Value, out: &mut String) {
        use serde_json::Value;
        match v {
            Value::String(s) => {
                out.push_str(s);
                out.push(' ');
            }
            Value::Number(n) => {
                out.push_str(&n.to_string());
                out.push(' ');
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Object(map) => map.values().for_each(|i| walk(i, out)),
            Value::Bool(_) | Value::Null => {}
        }
    }
    match serde_json::from_str::<serde_json::Value>(detail) {
        Ok(v) => {
            let mut out = String::with_capacity(detail.len());
            walk(&v, &mut out);
            out
        }
        Err(_) => detail.to_owned(),
    }
}

/// Registers `audit_tags(kind, actor, outcome, task_id)` and `audit_values(detail)` for
/// the indexing statement.
pub(crate) fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "audit_values",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(detail_values(ctx.get_raw(0).as_str_or_null()?.unwrap_or_default())),
    )?;
    conn.create_scalar_function(
        "audit_tags",
        4,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let text = |i: usize| -> rusqlite::Result<Option<&str>> {
                Ok(ctx.get_raw(i).as_str_or_null()?)
            };
            Ok(tags(
                text(0)?.unwrap_or_default(),
                text(1)?.unwrap_or_default(),
                text(2)?,
                text(3)?,
            ))
        },
    )
}

/// FTS5 settings for the `search` table, applied whenever the schema is (re)created.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    // Merge segments 16 at a time instead of 4: a third less indexing work (measured),
    // at the price of more segments for a query to consult, which it does in microseconds.
    conn.execute(
        "INSERT INTO idx.search(search, rank) VALUES ('automerge', 16)",
        [],
    )?;
    // FTS5 stores each leaf as one blob; keep it within a database page.
    let page_size: i64 = conn.query_row("PRAGMA idx.page_size", [], |r| r.get(0))?;
    if page_size < 4096 {
        conn.execute(
            "INSERT INTO idx.search(search, rank) VALUES ('pgsz', ?1)",
            [page_size - 64],
        )?;
    }
    Ok(())
}

/// Where the derived tables of the log at `db` live: `<db>.index`.
pub(crate) fn index_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".index");
    PathBuf::from(p)
}

/// Attaches the index file to `conn` (a connection to the log) as `idx`, creating the
/// file when missing. With `setup`, also brings its schema to [`schema::INDEX_VERSION`]
/// (dropping what another version left) — only the indexing connection does that.
pub(crate) fn attach(
    conn: &Connection,
    db: &Path,
    busy_timeout: Duration,
    setup: bool,
) -> Result<(), AuditError> {
    let path = index_path(db);
    let open_err = |source| AuditError::Open {
        path: path.clone(),
        source,
    };
    let name = path.to_str().ok_or_else(|| {
        AuditError::Corrupt(format!(
            "the audit index path {} is not valid UTF-8",
            path.display()
        ))
    })?;
    conn.execute("ATTACH DATABASE ?1 AS idx", [name])
        .map_err(open_err)?;
    if !setup {
        return Ok(());
    }
    conn.execute_batch(&format!(
        "PRAGMA idx.page_size={}; PRAGMA idx.synchronous=NORMAL;",
        crate::store::NEW_FILE_PAGE_SIZE
    ))
    .map_err(open_err)?;
    paddock_sqlite::enable_wal(conn, "idx", busy_timeout).map_err(open_err)?;
    let version = |conn: &Connection| -> rusqlite::Result<i64> {
        conn.query_row("PRAGMA idx.user_version", [], |r| r.get(0))
    };
    if version(conn).map_err(open_err)? == schema::INDEX_VERSION {
        return Ok(());
    }
    let tx = IndexTx::begin_setup(conn)?;
    // Re-read under the lock: another process may have just set it up.
    if version(&tx)? != schema::INDEX_VERSION {
        tx.execute_batch(schema::DROP_INDEX_TABLES)?;
        tx.execute_batch(schema::INDEX_DDL)?;
        configure(&tx)?;
        tx.execute_batch(&format!(
            "PRAGMA idx.user_version = {};",
            schema::INDEX_VERSION
        ))?;
    }
    tx.commit()
}

/// A write transaction on the index file only. `BEGIN IMMEDIATE` would take the write
/// lock of every attached file, the log's included, and hold up appends; a deferred
/// transaction whose first statement writes to `idx` locks just the index file (waiting
/// for it like `BEGIN IMMEDIATE` would), and only reads the log. Rolls back when
/// dropped uncommitted.
struct IndexTx<'c> {
    conn: &'c Connection,
    open: bool,
}

impl<'c> IndexTx<'c> {
    fn begin(conn: &'c Connection) -> Result<Self, AuditError> {
        conn.prepare_cached("BEGIN")?.execute([])?;
        let tx = IndexTx { conn, open: true };
        // A write that changes nothing, to take the index file's write lock first (had
        // a read come first, a writer elsewhere would make the upgrade fail, not wait).
        tx.prepare_cached("UPDATE idx.index_meta SET value = value WHERE 0")?
            .execute([])?;
        Ok(tx)
    }

    /// `BEGIN IMMEDIATE`: locks the log file too, for the rare setting up of the
    /// index file, whose tables may not exist yet.
    fn begin_setup(conn: &'c Connection) -> Result<Self, AuditError> {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(IndexTx { conn, open: true })
    }

    fn commit(mut self) -> Result<(), AuditError> {
        self.conn.prepare_cached("COMMIT")?.execute([])?;
        self.open = false;
        Ok(())
    }
}

impl std::ops::Deref for IndexTx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for IndexTx<'_> {
    fn drop(&mut self) {
        if self.open && !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// `(head, indexed_through, consistent)` in one read: whether the index needs work.
/// `conn` has the index attached.
pub(crate) fn state(conn: &Connection) -> Result<(u64, u64, bool), AuditError> {
    let (head, through, ok): (Option<i64>, Option<String>, bool) = conn
        .prepare_cached(
            "SELECT (SELECT max(seq) FROM main.events),
                    (SELECT value FROM idx.index_meta WHERE key = 'index_through'),
                    (SELECT hex(hash) FROM main.events
                      WHERE seq = (SELECT CAST(value AS INTEGER) FROM idx.index_meta
                                    WHERE key = 'index_through'))
                    IS (SELECT value FROM idx.index_meta WHERE key = 'index_hash')",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let through = through.and_then(|t| t.parse::<u64>().ok()).unwrap_or(0);
    let head = head.unwrap_or(0) as u64;
    Ok((head, through, through == 0 || (ok && through <= head)))
}

/// The hint in the log's `meta` of how far the index has got, as last recorded by a
/// process that indexed (in its next append, or when it closed the log). Read by
/// appenders, through their own connection (which does not have the index attached),
/// to decide whether to index; never trusted by queries.
pub(crate) fn hint(conn: &Connection) -> Result<u64, AuditError> {
    let v: Option<String> = conn
        .prepare_cached("SELECT value FROM main.meta WHERE key = 'index_hint'")?
        .query_row([], |r| r.get(0))
        .optional()?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Records `through` as the hint (see [`hint`]); `conn` is the log's writer.
pub(crate) fn write_hint(conn: &Connection, through: u64) -> Result<(), AuditError> {
    conn.prepare_cached("INSERT OR REPLACE INTO main.meta (key, value) VALUES ('index_hint', ?1)")?
        .execute([through.to_string()])?;
    Ok(())
}

/// Indexes one chunk (at most `CHUNK` events, one transaction) of what waits behind
/// the head. Returns how many events were indexed, the watermark reached, and whether
/// that is the head it saw (nothing waited beyond it). `conn` has the index attached
/// (with `setup`). Callers loop (see `maintenance`), taking the connection anew for
/// each chunk, so that indexers in this process (the background thread, an appender
/// over the lag, a query) take turns by the chunk rather than wait for another's
/// whole backlog.
pub(crate) fn index_chunk(conn: &Connection) -> Result<(u64, u64, bool), AuditError> {
    let tx = IndexTx::begin(conn)?;
    let (head, mut through, consistent) = state(&tx)?;
    if !consistent {
        tracing::warn!(
            indexed_through = through,
            head,
            "audit search index does not match the events (file edited or replaced?); rebuilding it"
        );
        reset(&tx)?;
        through = 0;
    }
    if through >= head {
        tx.commit()?;
        return Ok((0, through, true));
    }
    let to = head.min(through + CHUNK);
    index_range(&tx, through, to)?;
    tx.commit()?;
    Ok((to - through, to, to >= head))
}

/// Empties every derived table.
fn reset(tx: &Connection) -> Result<(), AuditError> {
    tx.execute_batch(
        "INSERT INTO idx.search(search) VALUES ('delete-all');
         DELETE FROM idx.counts; DELETE FROM idx.tasks;
         DELETE FROM idx.index_meta WHERE key IN ('index_through', 'index_hash');",
    )?;
    Ok(())
}

fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<&'r str>> {
    r.get_ref(i)?
        .as_str_or_null()
        .map_err(rusqlite::Error::from)
}

/// Adds events (from, to] to every derived table and moves the watermark to `to`.
fn index_range(tx: &Connection, from: u64, to: u64) -> Result<(), AuditError> {
    let range = params![from as i64, to as i64];
    tx.prepare_cached(
        "INSERT INTO idx.search (rowid, body, tags)
         SELECT seq, action || ' ' || resource || ' ' || ifnull(outcome, '') || ' ' || audit_values(detail),
                audit_tags(kind, actor, outcome, task_id)
         FROM main.events WHERE seq > ?1 AND seq <= ?2",
    )?
    .execute(range)?;
    // Counts and the task list from one narrow pass, tallied here rather than by two
    // GROUP BY sorts. A batch holds few distinct (kind, outcome, actor) triples, so a
    // list searched by borrowed strings beats hashing three owned ones per event.
    let mut counts: Vec<(String, String, String, i64)> = Vec::new();
    let mut tasks: HashMap<String, (i64, i64, i64)> = HashMap::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT seq, kind, ifnull(outcome, ''), actor, task_id FROM main.events
             WHERE seq > ?1 AND seq <= ?2",
        )?;
        let mut rows = stmt.query(range)?;
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let (kind, outcome, actor) = (
                text(r, 1)?.unwrap_or_default(),
                text(r, 2)?.unwrap_or_default(),
                text(r, 3)?.unwrap_or_default(),
            );
            match counts
                .iter_mut()
                .find(|c| c.0 == kind && c.1 == outcome && c.2 == actor)
            {
                Some(c) => c.3 += 1,
                None => counts.push((kind.to_owned(), outcome.to_owned(), actor.to_owned(), 1)),
            }
            if let Some(task) = text(r, 4)? {
                match tasks.get_mut(task) {
                    Some(t) => *t = (t.0.min(seq), t.1.max(seq), t.2 + 1),
                    None => {
                        tasks.insert(task.to_owned(), (seq, seq, 1));
                    }
                }
            }
        }
    }
    let mut up = tx.prepare_cached(
        "INSERT INTO idx.counts (kind, outcome, actor, n) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (kind, outcome, actor) DO UPDATE SET n = n + excluded.n",
    )?;
    for (kind, outcome, actor, n) in counts {
        up.execute(params![kind, outcome, actor, n])?;
    }
    let mut up = tx.prepare_cached(
        "INSERT INTO idx.tasks (task_id, first_seq, last_seq, n) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (task_id) DO UPDATE SET
           first_seq = min(first_seq, excluded.first_seq),
           last_seq = max(last_seq, excluded.last_seq),
           n = n + excluded.n",
    )?;
    for (task, (first, last, n)) in tasks {
        up.execute(params![task, first, last, n])?;
    }
    tx.prepare_cached(
        "INSERT OR REPLACE INTO idx.index_meta (key, value) VALUES
           ('index_through', ?1),
           ('index_hash', (SELECT hex(hash) FROM main.events WHERE seq = CAST(?1 AS INTEGER)))",
    )?
    .execute([to.to_string()])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_single_alphanumeric_tokens_and_distinct() {
        let long = "x".repeat(100);
        let long2 = format!("{}y", "x".repeat(99));
        let all = [
            tag('o', ""),
            tag('o', "allow"),
            tag('o', "allow "),
            tag('o', &long),
            tag('o', &long2),
            tag('t', "task-1"),
            tag('o', "ünïcode ✓"),
        ];
        for t in &all {
            assert!(t.chars().all(|c| c.is_ascii_alphanumeric()), "{t}");
        }
        let mut uniq = all.to_vec();
        uniq.sort();
        uniq.dedup();
        assert_eq!(uniq.len(), all.len(), "{all:?}");
    }
}
