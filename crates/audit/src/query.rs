//! Filters, keyset pagination in both directions, counts and per-task timelines.
//!
//! Pages are addressed by sequence number, never by offset, so the cost of a page does
//! not grow with how far a virtualised table has scrolled. Time bounds are turned into
//! sequence bounds by binary search (time never decreases along the sequence), so every
//! filter combines with the keyset on one integer.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use crate::model::{Actor, Event, Kind};
use crate::store::TS_FORMAT;
use crate::{AuditError, AuditLog, index, schema};

/// Largest page a query may ask for.
pub const MAX_LIMIT: u32 = 10_000;

/// Which events. Empty vectors and `None` mean "any".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Filter {
    /// Inclusive.
    pub since: Option<DateTime<Utc>>,
    /// Exclusive.
    pub until: Option<DateTime<Utc>>,
    pub task_id: Option<String>,
    pub actors: Vec<Actor>,
    pub kinds: Vec<Kind>,
    /// Decision or outcome values (`allow`, `deny`...), matched exactly.
    pub outcomes: Vec<String>,
    /// Free text: every word must occur (in action, resource, outcome or detail).
    /// A word ending in `*` matches as a prefix.
    pub text: Option<String>,
}

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "at", content = "seq")]
pub enum Cursor {
    /// The newest matching events.
    Newest,
    /// The oldest matching events.
    Oldest,
    /// Matching events with a smaller sequence number (scrolling towards older).
    Before(u64),
    /// Matching events with a larger sequence number (scrolling towards newer, live tail).
    After(u64),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    pub filter: Filter,
    pub cursor: Cursor,
    pub limit: u32,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            filter: Filter::default(),
            cursor: Cursor::Newest,
            limit: 100,
        }
    }
}

/// One page of events, always in ascending sequence order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    pub events: Vec<Event>,
    /// More matching events exist before the first one here.
    pub has_older: bool,
    /// More matching events exist after the last one here.
    pub has_newer: bool,
}

impl Page {
    /// Cursor for the page of older events, if any.
    pub fn older(&self) -> Option<Cursor> {
        self.events
            .first()
            .filter(|_| self.has_older)
            .map(|e| Cursor::Before(e.seq))
    }
    /// Cursor for the page of newer events, if any.
    pub fn newer(&self) -> Option<Cursor> {
        self.events
            .last()
            .filter(|_| self.has_newer)
            .map(|e| Cursor::After(e.seq))
    }
}

/// Counts for the summary strip: totals by kind and by outcome, under a filter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub total: u64,
    pub by_kind: BTreeMap<Kind, u64>,
    /// Events without an outcome are counted under `""`.
    pub by_outcome: BTreeMap<String, u64>,
}

/// Parses a time bound as people type it: RFC 3339 (`2026-11-23T02:00:00Z`), a date
/// (`2026-11-23`, midnight UTC), or an age (`90s`, `15m`, `2h`, `7d`, `2w`) before now.
pub fn parse_time_bound(s: &str) -> Result<DateTime<Utc>, AuditError> {
    let t = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        && let Some(dt) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(dt.and_utc());
    }
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let secs_per = match unit {
        "s" => Some(1),
        "m" => Some(60),
        "h" => Some(3600),
        "d" => Some(86_400),
        "w" => Some(604_800),
        _ => None,
    };
    if let (Ok(n), Some(per)) = (num.parse::<i64>(), secs_per)
        && let Some(delta) = n.checked_mul(per).and_then(chrono::TimeDelta::try_seconds)
        && let Some(at) = Utc::now().checked_sub_signed(delta)
    {
        return Ok(at);
    }
    Err(AuditError::InvalidQuery(format!(
        "cannot read time {s:?}; use RFC 3339 (2026-11-23T02:00:00Z), a date (2026-11-23) or an age (15m, 2h, 7d)"
    )))
}

/// Turns free text into an FTS5 expression of quoted terms, so user input is never FTS5
/// syntax (no injection, no syntax errors deep inside SQLite).
fn fts_expression(text: &str) -> Result<String, AuditError> {
    let mut terms = Vec::new();
    for word in text.split_whitespace() {
        let (body, prefix) = match word.strip_suffix('*') {
            Some(b) => (b, true),
            None => (word, false),
        };
        if !body.chars().any(char::is_alphanumeric) {
            continue;
        }
        let quoted = format!(
            "\"{}\"{}",
            body.replace('"', "\"\""),
            if prefix { "*" } else { "" }
        );
        terms.push(quoted);
    }
    if terms.is_empty() {
        return Err(AuditError::InvalidQuery(format!(
            "search text {text:?} has no letters or digits to search for"
        )));
    }
    Ok(terms.join(" AND "))
}

impl Filter {
    /// Rejects filters that cannot mean what the user intended.
    pub fn validate(&self) -> Result<(), AuditError> {
        if let (Some(s), Some(u)) = (self.since, self.until)
            && s >= u
        {
            {
                return Err(AuditError::InvalidQuery(format!(
                    "empty time range: since {} is not before until {}",
                    s.format(TS_FORMAT),
                    u.format(TS_FORMAT)
                )));
            }
        }
        if self.task_id.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(AuditError::InvalidQuery("task id is empty".into()));
        }
        if self.outcomes.iter().any(|o| o.trim().is_empty()) {
            return Err(AuditError::InvalidQuery(
                "an outcome filter is empty".into(),
            ));
        }
        if let Some(t) = &self.text {
            fts_expression(t)?;
        }
        Ok(())
    }
}

/// A validated filter, in SQL terms.
struct Where {
    task: Option<String>,
    kinds: Vec<String>,
    actors: Vec<String>,
    outcomes: Vec<String>,
    /// The search words as an FTS5 expression over `body`.
    text: Option<String>,
    /// Inclusive sequence range implied by the time bounds; `None` = provably empty.
    seq_range: Option<(u64, u64)>,
}

impl Where {
    /// Whether anything beyond the time range narrows the events down.
    fn needs_index(&self) -> bool {
        self.text.is_some()
            || self.task.is_some()
            || !self.kinds.is_empty()
            || !self.actors.is_empty()
            || !self.outcomes.is_empty()
    }

    /// Everything but the time range as one FTS5 expression over the search index:
    /// the words in `body`, each structured filter as tags (see [`index::tag`]). FTS5
    /// intersects the doclists itself, skipping ahead instead of reading rows, so a
    /// common word with a filter that matches nothing costs as little as a rare word.
    fn fts(&self) -> Option<String> {
        let any = |prefix: char, vals: &[String]| {
            let alts: Vec<String> = vals
                .iter()
                .map(|v| format!("\"{}\"", index::tag(prefix, v)))
                .collect();
            format!("tags : ({})", alts.join(" OR "))
        };
        let mut parts = Vec::new();
        if let Some(t) = &self.text {
            parts.push(format!("body : ({t})"));
        }
        for (prefix, vals) in [
            ('k', &self.kinds),
            ('a', &self.actors),
            ('o', &self.outcomes),
        ] {
            if !vals.is_empty() {
                parts.push(any(prefix, vals));
            }
        }
        if let Some(t) = &self.task {
            parts.push(any('t', std::slice::from_ref(t)));
        }
        (!parts.is_empty()).then(|| parts.join(" AND "))
    }

    /// The structured conditions again, on the event row itself: the index is derived
    /// data, so a returned row is checked against what the log actually says.
    fn conds(&self) -> (Vec<String>, Vec<SqlValue>) {
        let mut conds = Vec::new();
        let mut params = Vec::new();
        if let Some(t) = &self.task {
            conds.push("e.task_id = ?".to_owned());
            params.push(SqlValue::Text(t.clone()));
        }
        for (col, vals) in [
            ("kind", &self.kinds),
            ("actor", &self.actors),
            ("outcome", &self.outcomes),
        ] {
            if vals.is_empty() {
                continue;
            }
            conds.push(format!("e.{col} IN ({})", vec!["?"; vals.len()].join(", ")));
            params.extend(vals.iter().cloned().map(SqlValue::Text));
        }
        (conds, params)
    }
}

/// Smallest seq whose ts >= `t` (head+1 when none), by binary search on the rowid.
pub(crate) fn first_seq_at_or_after(
    conn: &Connection,
    t: &str,
    head: u64,
) -> Result<u64, AuditError> {
    let mut stmt =
        conn.prepare_cached("SELECT ts FROM events WHERE seq >= ?1 ORDER BY seq LIMIT 1")?;
    let (mut lo, mut hi) = (1u64, head + 1);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let ts: Option<String> = stmt.query_row([mid as i64], |r| r.get(0)).optional()?;
        match ts {
            Some(ts) if ts.as_str() >= t => hi = mid,
            Some(_) => lo = mid + 1,
            None => hi = mid,
        }
    }
    Ok(lo)
}

fn head_seq(conn: &Connection) -> Result<u64, AuditError> {
    let s: Option<i64> = conn.query_row("SELECT max(seq) FROM events", [], |r| r.get(0))?;
    Ok(s.unwrap_or(0) as u64)
}

fn build_where(conn: &Connection, f: &Filter) -> Result<Where, AuditError> {
    f.validate()?;
    let mut head = head_seq(conn)?;
    let lo = match f.since {
        Some(s) => first_seq_at_or_after(conn, &s.format(TS_FORMAT).to_string(), head)?,
        None => 1,
    };
    let hi_excl = match f.until {
        Some(u) => first_seq_at_or_after(conn, &u.format(TS_FORMAT).to_string(), head)?,
        None => head + 1,
    };
    let dedup = |v: Vec<String>| {
        let mut v = v;
        v.sort();
        v.dedup();
        v
    };
    let mut w = Where {
        task: f.task_id.clone(),
        kinds: dedup(f.kinds.iter().map(|k| k.as_str().to_owned()).collect()),
        actors: dedup(f.actors.iter().map(|a| a.as_str().to_owned()).collect()),
        outcomes: dedup(f.outcomes.clone()),
        text: f.text.as_deref().map(fts_expression).transpose()?,
        seq_range: None,
    };
    if w.needs_index() {
        // Events appended since the caller synced the index are left to the next
        // query, so that "nothing newer" is never claimed from an index that lags.
        head = head.min(index::state(conn)?.1);
    }
    let hi_excl = hi_excl.min(head + 1);
    w.seq_range = (lo < hi_excl).then_some((lo, hi_excl - 1));
    Ok(w)
}

pub(crate) fn event_from_row(r: &Row<'_>) -> rusqlite::Result<Event> {
    let bad = |i: usize, what: String| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, what.into())
    };
    let actor: String = r.get(4)?;
    let kind: String = r.get(5)?;
    let detail: String = r.get(9)?;
    let hash: Vec<u8> = r.get(10)?;
    Ok(Event {
        seq: r.get::<_, i64>(0)? as u64,
        id: r.get(1)?,
        ts: r.get(2)?,
        task_id: r.get(3)?,
        actor: actor
            .parse()
            .map_err(|e: AuditError| bad(4, e.to_string()))?,
        kind: kind
            .parse()
            .map_err(|e: AuditError| bad(5, e.to_string()))?,
        action: r.get(6)?,
        resource: r.get(7)?,
        outcome: r.get(8)?,
        detail: serde_json::from_str(&detail).map_err(|e| bad(9, e.to_string()))?,
        hash: crate::chain::to_hex(&hash),
    })
}

/// Runs `SELECT <cols> ... WHERE <filter> AND seq in [lo, hi] ORDER BY seq <dir> LIMIT n`.
///
/// Without filters (a time range at most) it walks the table by rowid. Otherwise the
/// search index drives: FTS5 yields matching rowids in order, LIMIT stops it early, and
/// only the rows returned are read from the table.
fn select(
    conn: &Connection,
    w: &Where,
    cols: &str,
    lo: u64,
    hi: u64,
    desc: bool,
    limit: u32,
) -> Result<Vec<Event>, AuditError> {
    let dir = if desc { "DESC" } else { "ASC" };
    let mut all: Vec<SqlValue> = Vec::new();
    let sql = match w.fts() {
        None => format!(
            "SELECT {cols} FROM events e WHERE e.seq BETWEEN ? AND ? ORDER BY e.seq {dir} LIMIT ?"
        ),
        Some(expr) => {
            // CROSS JOIN keeps the full-text index as the outer loop.
            let (conds, params) = w.conds();
            all.push(SqlValue::Text(expr));
            all.extend(params);
            let extra: String = conds.iter().map(|c| format!(" AND {c}")).collect();
            format!(
                "SELECT {cols} FROM idx.search f CROSS JOIN main.events e ON e.seq = f.rowid \
                 WHERE search MATCH ?{extra} AND f.rowid BETWEEN ? AND ? ORDER BY f.rowid {dir} LIMIT ?"
            )
        }
    };
    all.push(SqlValue::Integer(lo as i64));
    all.push(SqlValue::Integer(hi as i64));
    all.push(SqlValue::Integer(i64::from(limit)));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(all), event_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn prefixed_columns() -> String {
    schema::EVENT_COLUMNS
        .split(", ")
        .map(|c| format!("e.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl AuditLog {
    /// One page of events matching `q.filter`, starting at `q.cursor`.
    pub fn query(&self, q: &Query) -> Result<Page, AuditError> {
        if q.limit == 0 || q.limit > MAX_LIMIT {
            return Err(AuditError::InvalidQuery(format!(
                "page size {} is out of range; use 1 to {MAX_LIMIT}",
                q.limit
            )));
        }
        let indexed = q.filter.text.is_some()
            || q.filter.task_id.is_some()
            || !q.filter.kinds.is_empty()
            || !q.filter.actors.is_empty()
            || !q.filter.outcomes.is_empty();
        if indexed {
            q.filter.validate()?;
            self.sync_index()?;
        }
        let conn = if indexed {
            self.lock_reader_indexed()?
        } else {
            self.lock_reader()
        };
        let w = build_where(&conn, &q.filter)?;
        let Some((lo, hi)) = w.seq_range else {
            return Ok(Page {
                events: Vec::new(),
                has_older: false,
                has_newer: false,
            });
        };
        let (lo, hi, desc) = match q.cursor {
            Cursor::Newest => (lo, hi, true),
            Cursor::Oldest => (lo, hi, false),
            Cursor::Before(s) => (lo, hi.min(s.saturating_sub(1)), true),
            Cursor::After(s) => (lo.max(s.saturating_add(1)), hi, false),
        };
        let mut events = if lo > hi {
            Vec::new()
        } else {
            select(&conn, &w, &prefixed_columns(), lo, hi, desc, q.limit + 1)?
        };
        let more = events.len() > q.limit as usize;
        events.truncate(q.limit as usize);
        if desc {
            events.reverse();
        }
        let (all_lo, all_hi) = (lo_of(&w), hi_of(&w));
        // "More on the far side": beyond the page in the direction we were not scanning.
        let (has_older, has_newer) = match (events.first(), events.last()) {
            (Some(_), Some(last)) if desc => (more, exists(&conn, &w, last.seq + 1, all_hi)?),
            (Some(first), Some(_)) => (
                exists(&conn, &w, all_lo, first.seq.saturating_sub(1))?,
                more,
            ),
            _ => match q.cursor {
                Cursor::Before(s) => (false, exists(&conn, &w, s.max(all_lo), all_hi)?),
                Cursor::After(s) => (exists(&conn, &w, all_lo, s.min(all_hi))?, false),
                Cursor::Newest | Cursor::Oldest => (false, false),
            },
        };
        Ok(Page {
            events,
            has_older,
            has_newer,
        })
    }

    /// Every event of one task, oldest first, a page at a time (`cursor` `Oldest` / `After`).
    pub fn timeline(&self, task_id: &str, cursor: Cursor, limit: u32) -> Result<Page, AuditError> {
        let filter = Filter {
            task_id: Some(task_id.to_owned()),
            ..Filter::default()
        };
        self.query(&Query {
            filter,
            cursor,
            limit,
        })
    }

    /// Counts by kind and by outcome of the events matching `filter`.
    pub fn counts(&self, filter: &Filter) -> Result<Counts, AuditError> {
        filter.validate()?;
        self.sync_index()?;
        let conn = self.lock_reader_indexed()?;
        let w = build_where(&conn, filter)?;
        let mut counts = Counts::default();
        let Some((lo, hi)) = w.seq_range else {
            return Ok(counts);
        };
        let whole_log = filter.since.is_none() && filter.until.is_none();
        let wanted = |vals: &[String], v: &str| vals.is_empty() || vals.iter().any(|x| x == v);
        if whole_log && w.text.is_none() && w.task.is_none() {
            // The running totals answer it in microseconds.
            let mut stmt = conn.prepare_cached("SELECT kind, outcome, actor, n FROM idx.counts")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let kind: String = r.get(0)?;
                let outcome: String = r.get(1)?;
                let actor: String = r.get(2)?;
                let n = r.get::<_, i64>(3)? as u64;
                if wanted(&w.kinds, &kind)
                    && wanted(&w.outcomes, &outcome)
                    && wanted(&w.actors, &actor)
                {
                    add(&mut counts, &kind, Some(outcome), n)?;
                }
            }
            return Ok(counts);
        }
        // Otherwise count in the search index, one kind (then one outcome) at a time:
        // FTS5 counts matching rowids without reading a single event row.
        let base = w.fts();
        let mut stmt = conn.prepare_cached(
            "SELECT count(*) FROM idx.search WHERE search MATCH ?1 AND rowid BETWEEN ?2 AND ?3",
        )?;
        let mut count_with = |prefix: char, value: &str| -> Result<u64, AuditError> {
            let tag = format!("tags : \"{}\"", index::tag(prefix, value));
            let expr = match &base {
                Some(b) => format!("({b}) AND {tag}"),
                None => tag,
            };
            let n: i64 = stmt.query_row(params![expr, lo as i64, hi as i64], |r| r.get(0))?;
            Ok(n as u64)
        };
        for kind in Kind::ALL {
            if wanted(&w.kinds, kind.as_str()) {
                let n = count_with('k', kind.as_str())?;
                if n > 0 {
                    add(&mut counts, kind.as_str(), None, n)?;
                }
            }
        }
        let outcomes: Vec<String> = if w.outcomes.is_empty() {
            // Every outcome the log has ever recorded ("" for none).
            conn.prepare_cached("SELECT DISTINCT outcome FROM idx.counts")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        } else {
            w.outcomes.clone()
        };
        for outcome in outcomes {
            let n = count_with('o', &outcome)?;
            if n > 0 {
                counts.by_outcome.insert(outcome, n);
            }
        }
        Ok(counts)
    }

    /// Task ids with their first and last sequence numbers and event counts, newest first.
    pub fn tasks(&self, limit: u32) -> Result<Vec<TaskSummary>, AuditError> {
        self.sync_index()?;
        let conn = self.lock_reader_indexed()?;
        let mut stmt = conn.prepare_cached(
            "SELECT task_id, first_seq, last_seq, n FROM idx.tasks ORDER BY last_seq DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([i64::from(limit)], |r| {
            Ok(TaskSummary {
                task_id: r.get(0)?,
                first_seq: r.get::<_, i64>(1)? as u64,
                last_seq: r.get::<_, i64>(2)? as u64,
                events: r.get::<_, i64>(3)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn add(c: &mut Counts, kind: &str, outcome: Option<String>, n: u64) -> Result<(), AuditError> {
    let kind = kind
        .parse::<Kind>()
        .map_err(|e| AuditError::Corrupt(e.to_string()))?;
    *c.by_kind.entry(kind).or_default() += n;
    c.total += n;
    if let Some(o) = outcome {
        *c.by_outcome.entry(o).or_default() += n;
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskSummary {
    pub task_id: String,
    pub first_seq: u64,
    pub last_seq: u64,
    pub events: u64,
}

fn lo_of(w: &Where) -> u64 {
    w.seq_range.map_or(1, |r| r.0)
}
fn hi_of(w: &Where) -> u64 {
    w.seq_range.map_or(0, |r| r.1)
}

/// Whether any event matching `w` lies in [lo, hi].
fn exists(conn: &Connection, w: &Where, lo: u64, hi: u64) -> Result<bool, AuditError> {
    if lo > hi {
        return Ok(false);
    }
    Ok(!select(conn, w, &prefixed_columns(), lo, hi, false, 1)?.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_expression_quotes_everything() {
        assert_eq!(
            fts_expression("rm -rf").ok().as_deref(),
            Some("\"rm\" AND \"-rf\"")
        );
        assert_eq!(
            fts_expression("a\"b cur*").ok().as_deref(),
            Some("\"a\"\"b\" AND \"cur\"*")
        );
        assert!(fts_expression(" -- * ").is_err());
    }

    #[test]
    fn ages_and_dates_parse() {
        let now = Utc::now();
        let two_h = parse_time_bound("2h").ok();
        assert!(two_h.is_some_and(|t| (now - t).num_minutes() >= 119));
        assert!(parse_time_bound("2026-11-23").is_ok());
        assert!(parse_time_bound("2026-11-23T02:00:00+01:00").is_ok());
        assert!(parse_time_bound("yesterday").is_err());
        assert!(parse_time_bound("5x").is_err());
    }
}
