//! [`AuditLog`]: opening, appending, checkpointing, point look-ups.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, mpsc};
use std::time::Duration;

use chrono::{Datelike, Timelike};
use rand::RngCore;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::chain::{self, RowRef};
use crate::checkpoint::{Checkpoint, KeyPair, Sidecar, SidecarSync};
use crate::maintenance::Maintenance;
use crate::model::{Actor, Event, Kind, NewEvent};
use crate::{AuditError, index, redact, schema};

/// How hard a commit tries to reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// WAL with `synchronous=NORMAL`: a committed event survives the process being killed
    /// (`kill -9`, panic, OOM) at any instant. The WAL is fsynced only when it is
    /// checkpointed (every 8,192 pages, about 32 MB of WAL, and when the last
    /// connection closes), so if the *machine* loses power or the kernel crashes, commits
    /// since the last checkpoint may be lost; the file stays consistent and verifiable, and
    /// if a signed checkpoint (written to the sidecar file when signed, and fsynced by a
    /// background thread right after) named a lost event, `verify` reports the log as cut
    /// off there.
    #[default]
    ProcessCrash,
    /// WAL with `synchronous=FULL`: every commit is fsynced; survives power loss. Slower.
    PowerLoss,
}

/// Options for [`AuditLog::open_with`].
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Sign a checkpoint whenever the sequence crosses a multiple of this.
    pub checkpoint_every: u64,
    /// Where the Ed25519 signing key lives; default `<db>.key`.
    pub key_path: Option<PathBuf>,
    pub durability: Durability,
    /// How long to wait for another writer (another process) before failing.
    pub busy_timeout: Duration,
    /// Once this many committed events wait for the search index, they are indexed:
    /// by a background thread when [`OpenOptions::background_thread`], else by the
    /// appender that notices (after its own commit and after answering its callers).
    /// Queries always catch the index up first, so this bounds only how much work a
    /// query may find waiting. `u64::MAX` leaves indexing to queries and to
    /// [`AuditLog::index_pending`].
    pub index_lag: u64,
    /// Index, and checkpoint the WAL, on threads of the log's own, started when first
    /// needed, so that appends return without doing either and commit while they run
    /// (the index is another file with its own write lock; a `PASSIVE` checkpoint does
    /// not block writers). An appender still indexes a chunk (up to 8,192 events) per
    /// commit once [`INLINE_INDEX_FACTOR`] × `index_lag` events are pending, and checkpoints once
    /// the WAL is four times its usual size (the thread is not keeping up, or the
    /// process exits before it gets far). Dropping the log stops the thread once it has
    /// done what it was asked to. False: all of it happens in the appending thread.
    pub background_thread: bool,
}

/// See [`OpenOptions::background_thread`].
pub const INLINE_INDEX_FACTOR: u64 = 4;

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            checkpoint_every: 1024,
            key_path: None,
            durability: Durability::default(),
            busy_timeout: Duration::from_secs(30),
            index_lag: index::DEFAULT_LAG,
            background_thread: true,
        }
    }
}

/// The audit trail. `Send + Sync`; share it with `Arc`. Writes go through one connection
/// (serialised across processes by SQLite's write lock), reads through another so a
/// browsing UI never waits behind a burst of appends, and indexing and checkpoints
/// through others ([`Maintenance`]).
pub struct AuditLog {
    pub(crate) path: PathBuf,
    pub(crate) writer: Mutex<Connection>,
    pub(crate) reader: Mutex<Connection>,
    /// Whether `reader` has the index file attached (done on its first indexed query).
    reader_indexed: AtomicBool,
    pub(crate) key: KeyPair,
    pub(crate) sidecar: Sidecar,
    pub(crate) checkpoint_every: u64,
    busy_timeout: Duration,
    index_lag: u64,
    background_thread: bool,
    maintenance: Maintenance,
    /// The index hint as last written to (or read from) `meta` by this process.
    hint_written: AtomicU64,
    /// Appends waiting for the next group commit, and whether a leader is committing.
    queue: Mutex<Queue>,
    /// Signalled when a leader finishes: its followers have their answers, and one of
    /// those still waiting leads the next commit.
    queue_done: Condvar,
}

#[derive(Default)]
struct Queue {
    pending: Vec<Waiting>,
    leader: bool,
}

/// How many groups one leader commits before handing over (see `append_batch`).
const LEADER_ROUNDS: usize = 4;

/// Hands leadership back (and wakes the followers) however the leader's commit ends,
/// a panic included, so no follower waits for a leader that is gone.
struct Leadership<'a> {
    log: &'a AuditLog,
}

impl Drop for Leadership<'_> {
    fn drop(&mut self) {
        self.log.lock_queue().leader = false;
        self.log.queue_done.notify_all();
    }
}

struct Waiting {
    evs: Vec<Prepared>,
    reply: mpsc::SyncSender<Result<Vec<Event>, AuditError>>,
}

/// A row ready to insert: redacted and serialised, before the lock is taken.
struct Prepared {
    task_id: Option<String>,
    actor: Actor,
    kind: Kind,
    action: String,
    resource: String,
    outcome: Option<String>,
    detail: serde_json::Value,
    detail_text: String,
}

/// Fixed-width UTC timestamps sort as text in time order.
pub(crate) const TS_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

pub(crate) fn now_ts() -> String {
    format_ts(chrono::Utc::now())
}

/// `t` in [`TS_FORMAT`], written digit by digit: chrono interprets the format string
/// on every call, which costs a microsecond per commit.
pub(crate) fn format_ts(t: chrono::DateTime<chrono::Utc>) -> String {
    let year = t.year();
    let nanos = t.nanosecond();
    // Years outside four digits and leap seconds (nanoseconds past 10^9): chrono's way.
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return t.format(TS_FORMAT).to_string();
    }
    let mut out = *b"0000-00-00T00:00:00.000000Z";
    let mut put = |at: usize, width: usize, mut v: u32| {
        for i in (at..at + width).rev() {
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, year.unsigned_abs());
    put(5, 2, t.month());
    put(8, 2, t.day());
    put(11, 2, t.hour());
    put(14, 2, t.minute());
    put(17, 2, t.second());
    put(20, 6, nanos / 1000);
    // Only ASCII digits and separators were written.
    String::from_utf8(out.to_vec()).unwrap_or_else(|_| t.format(TS_FORMAT).to_string())
}

/// A write transaction (`BEGIN IMMEDIATE`) through cached statements: rusqlite's
/// `Transaction` parses `BEGIN` and `COMMIT` afresh every time, which shows on
/// single-event commits. Rolls back when dropped uncommitted.
struct WriteTx<'c> {
    conn: &'c Connection,
    open: bool,
}

impl<'c> WriteTx<'c> {
    fn begin(conn: &'c Connection) -> Result<Self, AuditError> {
        conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        Ok(WriteTx { conn, open: true })
    }

    fn commit(mut self) -> Result<(), AuditError> {
        self.conn.prepare_cached("COMMIT")?.execute([])?;
        self.open = false;
        Ok(())
    }
}

impl std::ops::Deref for WriteTx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for WriteTx<'_> {
    fn drop(&mut self) {
        if self.open && !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// A UUID v7 whose timestamp is the event's own `ts`, to the millisecond — which is what
/// lets [`AuditLog::get_by_id`] find an event without an index on ids: `ts` never
/// decreases along `seq`, so the id's millisecond is a binary search away.
///
/// Built here rather than by `Uuid::now_v7`, which reads the clock again and asks the
/// kernel for fresh random bytes (a `getrandom` system call) for every id; the
/// thread-local CSPRNG, seeded from the OS, is as unpredictable and costs nanoseconds.
fn new_id(ts_millis: u64) -> String {
    let mut random = [0u8; 10];
    rand::thread_rng().fill_bytes(&mut random);
    let mut buf = uuid::Uuid::encode_buffer();
    // `encode_lower` writes straight into the buffer; `to_string` goes through `fmt`.
    uuid::Builder::from_unix_timestamp_millis(ts_millis, &random)
        .into_uuid()
        .hyphenated()
        .encode_lower(&mut buf)
        .to_owned()
}

/// The WAL is checkpointed into the database (and fsynced) when it reaches this many
/// pages: 32 MB. Each checkpoint costs two fsyncs (about 4 ms each on the dev VM);
/// at 8 MB they came every ~2,000 single-event commits and added ~4 µs to each.
pub(crate) const WAL_AUTOCHECKPOINT_PAGES: u32 = 8192;

/// Page size of a new file. One append rewrites one `events` leaf in the WAL; 4 KiB
/// holds about nine events, and FTS5 leaves (4,050 bytes) fit without overflow pages.
pub(crate) const NEW_FILE_PAGE_SIZE: u32 = 4096;

fn prepare(ev: NewEvent) -> Result<Prepared, AuditError> {
    let mut detail = ev.detail;
    let detail_text =
        redact::redact_json_text(&mut detail).map_err(|e| AuditError::Corrupt(e.to_string()))?;
    Ok(Prepared {
        task_id: ev.task_id.map(redact::redact_string),
        actor: ev.actor,
        kind: ev.kind,
        action: redact::redact_string(ev.action),
        resource: redact::redact_string(ev.resource),
        outcome: ev.outcome.map(redact::redact_string),
        detail,
        detail_text,
    })
}

pub(crate) fn open_conn(path: &Path, opts: &OpenOptions) -> Result<Connection, AuditError> {
    let conn = Connection::open(path).map_err(|source| AuditError::Open {
        path: path.to_owned(),
        source,
    })?;
    conn.busy_timeout(opts.busy_timeout)?;
    let sync = match opts.durability {
        Durability::ProcessCrash => "NORMAL",
        Durability::PowerLoss => "FULL",
    };
    // Only takes effect on a new, empty file.
    conn.execute_batch(&format!("PRAGMA page_size={NEW_FILE_PAGE_SIZE};"))
        .map_err(|source| AuditError::Open {
            path: path.to_owned(),
            source,
        })?;
    paddock_sqlite::enable_wal(&conn, "main", opts.busy_timeout).map_err(|source| AuditError::Open {
        path: path.to_owned(),
        source,
    })?;
    conn.execute_batch(&format!(
        "PRAGMA synchronous={sync}; PRAGMA cache_size=-16000; \
         PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}; PRAGMA journal_size_limit=67108864;"
    ))
    .map_err(|source| AuditError::Open {
        path: path.to_owned(),
        source,
    })?;
    Ok(conn)
}

impl AuditLog {
    /// Opens (creating if missing) the log at `path`, with default options.
    pub fn open(path: &Path) -> Result<AuditLog, AuditError> {
        Self::open_with(path, OpenOptions::default())
    }

    pub fn open_with(path: &Path, opts: OpenOptions) -> Result<AuditLog, AuditError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| AuditError::io("creating audit directory", dir, e))?;
        }
        let key_path = opts.key_path.clone().unwrap_or_else(|| {
            let mut p = path.as_os_str().to_owned();
            p.push(".key");
            PathBuf::from(p)
        });
        let key = KeyPair::load_or_create(&key_path)?;
        let mut writer = open_conn(path, &opts)?;
        let version: i64 = writer.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        // Dropped triggers (someone editing the file) are put back on the next open.
        let triggers: i64 = writer.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'",
            [],
            |r| r.get(0),
        )?;
        if version != schema::USER_VERSION || triggers != schema::TRIGGERS {
            // Creating the schema takes the write lock so two processes opening a new
            // file at once do not race; the version is set in the same transaction.
            writer.execute_batch("BEGIN IMMEDIATE;")?;
            let setup = (|| -> Result<(), AuditError> {
                // Re-read under the lock: another process may have just migrated it.
                let version: i64 = writer.query_row("PRAGMA user_version", [], |r| r.get(0))?;
                let old = version < schema::USER_VERSION;
                if old {
                    // Older files: their per-append indexes and derived tables give way
                    // to the index file, which the first query or appender fills.
                    writer.execute_batch(schema::DROP_OLD_DERIVED)?;
                }
                writer.execute_batch(schema::DDL)?;
                if old {
                    writer.execute_batch(schema::DROP_OLD_WATERMARKS)?;
                }
                writer.execute(
                    "INSERT OR IGNORE INTO meta(key, value) VALUES ('created_with_key', ?1)",
                    [key.public_hex()],
                )?;
                // Events from here on carry ids stamped with their own `ts` (see new_id).
                writer.execute(
                    "INSERT OR IGNORE INTO meta(key, value)
                     SELECT 'ts_ids_from', ifnull(max(seq), 0) + 1 FROM events",
                    [],
                )?;
                writer.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?1)",
                    [schema::SCHEMA_VERSION],
                )?;
                writer.execute_batch(&format!(
                    "PRAGMA user_version = {}; COMMIT;",
                    schema::USER_VERSION
                ))?;
                Ok(())
            })();
            if let Err(e) = setup {
                let _ = writer.execute_batch("ROLLBACK;");
                return Err(e);
            }
        }
        let created_with: Option<String> = writer
            .query_row(
                "SELECT value FROM meta WHERE key = 'created_with_key'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if created_with
            .as_deref()
            .is_some_and(|k| k != key.public_hex())
        {
            // Not fatal: reading still works, and verify names every checkpoint the
            // current key cannot vouch for.
            tracing::warn!(
                db = %path.display(),
                "audit signing key differs from the one this log was created with; \
                 older checkpoints will not verify (was the key file replaced or lost?)"
            );
        }
        let reader = open_conn(path, &opts)?;
        let maintenance = Maintenance::new(path, &opts);
        maintenance.install_checkpointer(&mut writer, opts.background_thread)?;
        let sidecar = Sidecar::for_db(
            path,
            match opts.durability {
                Durability::ProcessCrash => SidecarSync::Background,
                Durability::PowerLoss => SidecarSync::Now,
            },
        );
        let log = AuditLog {
            path: path.to_owned(),
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            reader_indexed: AtomicBool::new(false),
            key,
            sidecar,
            checkpoint_every: opts.checkpoint_every.max(1),
            busy_timeout: opts.busy_timeout,
            index_lag: opts.index_lag.max(1),
            background_thread: opts.background_thread,
            maintenance,
            hint_written: AtomicU64::new(0),
            queue: Mutex::new(Queue::default()),
            queue_done: Condvar::new(),
        };
        log.mirror_missing_checkpoints()?;
        Ok(log)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn checkpoint_file(&self) -> &Path {
        &self.sidecar.path
    }

    /// Hex Ed25519 public key this log signs checkpoints with.
    pub fn public_key(&self) -> String {
        self.key.public_hex()
    }

    /// Copies checkpoints committed to the database but missing from the sidecar (a crash
    /// between the commit and the file append) into it. A *missing* sidecar is not
    /// recreated when the database already has checkpoints: verify reports that instead.
    fn mirror_missing_checkpoints(&self) -> Result<(), AuditError> {
        // Fast path: the sidecar's last line already names the newest checkpoint.
        let newest: Option<i64> =
            self.lock_reader()
                .query_row("SELECT max(seq) FROM checkpoints", [], |r| r.get(0))?;
        if let Some(newest) = newest
            && self.sidecar.last_seq()? == Some(newest as u64)
        {
            return Ok(());
        }
        let db_cps = self.db_checkpoints()?;
        let Some(lines) = self.sidecar.read()? else {
            if db_cps.is_empty() {
                self.sidecar.create_empty_if_missing()?;
            }
            return Ok(());
        };
        let last = lines
            .iter()
            .filter_map(|l| l.as_ref().ok())
            .map(|c| c.seq)
            .max()
            .unwrap_or(0);
        let missing: Vec<Checkpoint> = db_cps
            .into_iter()
            .filter(|c| {
                c.seq > last
                    && crate::checkpoint::check_signature(c, &self.key.public_hex()).is_ok()
            })
            .collect();
        self.sidecar.append_now(&missing)
    }

    pub(crate) fn db_checkpoints(&self) -> Result<Vec<Checkpoint>, AuditError> {
        let conn = self.lock_reader();
        let mut stmt = conn
            .prepare("SELECT seq, hash, ts, public_key, signature FROM checkpoints ORDER BY seq")?;
        let rows = stmt.query_map([], |r| {
            Ok(Checkpoint {
                seq: r.get::<_, i64>(0)? as u64,
                hash: r.get(1)?,
                ts: r.get(2)?,
                public_key: r.get(3)?,
                signature: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub(crate) fn lock_reader(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a Connection half-updated in a way
        // SQLite would not roll back, so a poisoned lock is safe to reuse.
        self.reader.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The reader with the index file attached as `idx`. Call [`Self::sync_index`]
    /// first: it creates the index file's tables.
    pub(crate) fn lock_reader_indexed(
        &self,
    ) -> Result<std::sync::MutexGuard<'_, Connection>, AuditError> {
        let conn = self.lock_reader();
        if !self.reader_indexed.load(Ordering::Acquire) {
            index::attach(&conn, &self.path, self.busy_timeout, false)?;
            self.reader_indexed.store(true, Ordering::Release);
        }
        Ok(conn)
    }

    fn lock_queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_writer(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many callers' appends wait for the next group commit. For tests.
    #[doc(hidden)]
    pub fn queued_appends(&self) -> usize {
        self.lock_queue().pending.len()
    }

    /// Appends one event; it is committed (see [`Durability`]) when this returns.
    pub fn append(&self, ev: NewEvent) -> Result<Event, AuditError> {
        let mut v = self.append_batch(vec![ev])?;
        v.pop()
            .ok_or_else(|| AuditError::Corrupt("append produced no event".into()))
    }

    /// Appends events in one transaction: all or none, consecutive sequence numbers.
    ///
    /// Group commit: callers on other threads that arrive while a commit is running wait
    /// for it (they do not queue on the write lock), then one of them commits everything
    /// that arrived meanwhile in one transaction, so N threads appending at once cost far
    /// fewer than N commits. Each caller still gets back exactly its own events,
    /// consecutive, once they are durable.
    pub fn append_batch(&self, evs: Vec<NewEvent>) -> Result<Vec<Event>, AuditError> {
        if evs.is_empty() {
            return Ok(Vec::new());
        }
        let prepared = evs
            .into_iter()
            .map(prepare)
            .collect::<Result<Vec<_>, _>>()?;
        let (reply, answer) = mpsc::sync_channel(1);
        let mut queue = self.lock_queue();
        queue.pending.push(Waiting {
            evs: prepared,
            reply,
        });
        // Lead a commit when nobody is; otherwise wait for the leader, whose group may
        // hold our events (they arrived before it took the queue) or not (then one of
        // us leads the next). Followers never queue on the write lock: a lock handed
        // from waiter to waiter would let each commit take just one caller's events.
        let mut behind = 0;
        let result = loop {
            match answer.try_recv() {
                Ok(result) => break result,
                Err(mpsc::TryRecvError::Disconnected) => {
                    break Err(AuditError::Write(
                        "the thread committing this event stopped".into(),
                    ));
                }
                Err(mpsc::TryRecvError::Empty) => {}
            }
            if queue.leader {
                queue = self
                    .queue_done
                    .wait(queue)
                    .unwrap_or_else(|p| p.into_inner());
                continue;
            }
            queue.leader = true;
            let _leading = Leadership { log: self };
            // Keep committing what arrives meanwhile (a few rounds at most, so that our
            // own caller is not kept waiting long): the leader is awake and holds the
            // write lock, whereas handing over costs a follower's wake-up, during which
            // nothing commits.
            for _ in 0..LEADER_ROUNDS {
                let group = std::mem::take(&mut queue.pending);
                if group.is_empty() {
                    break;
                }
                drop(queue);
                {
                    let mut conn = self.lock_writer();
                    behind = behind.max(self.commit_group(&mut conn, group));
                }
                self.queue_done.notify_all();
                queue = self.lock_queue();
            }
            // Our own events were in the first group: the answer is waiting. (Dropping
            // `_leading` needs the queue lock, so hand it back first.)
            drop(queue);
            drop(_leading);
            queue = self.lock_queue();
        };
        drop(queue);
        // Now, with the write lock released, keep the index lag bounded. A failure here
        // loses nothing (the events are committed) and the next query retries,
        // reporting the error if it persists.
        if let Err(e) = self.keep_index_up(behind) {
            tracing::warn!(error = %e, "indexing audit events failed; searches will retry");
        }
        result
    }

    /// Commits a group and answers its callers; returns how many events may wait to be
    /// indexed (0 when the lag is known to be short).
    fn commit_group(&self, conn: &mut Connection, group: Vec<Waiting>) -> u64 {
        let sizes: Vec<usize> = group.iter().map(|w| w.evs.len()).collect();
        let mut all = Vec::with_capacity(sizes.iter().sum());
        let mut replies = Vec::with_capacity(group.len());
        for w in group {
            all.extend(w.evs);
            replies.push(w.reply);
        }
        let result = self.commit(conn, all).and_then(|(events, cps)| {
            // After the commit, never before: the sidecar must not name a head the
            // database might not have. A crash in between is repaired on the next open.
            self.sidecar.append(&cps).map(|()| events)
        });
        match result {
            Ok(events) => {
                let head = events.last().map_or(0, |e| e.seq);
                let mut events = events.into_iter();
                for (reply, n) in replies.into_iter().zip(sizes) {
                    let _ = reply.send(Ok(events.by_ref().take(n).collect()));
                }
                self.index_backlog(conn, head)
            }
            Err(e) => {
                let msg = e.to_string();
                for reply in replies {
                    let _ = reply.send(Err(AuditError::Write(msg.clone())));
                }
                0
            }
        }
    }

    /// How many events wait to be indexed behind `head`, as far as this process can
    /// tell cheaply: the hint in `meta` is read only when this process's last sight of
    /// the index says the lag may have been reached (another process may have indexed
    /// meanwhile). Under-estimates only by what others indexed without saying so.
    fn index_backlog(&self, conn: &Connection, head: u64) -> u64 {
        if head.saturating_sub(self.maintenance.known_through()) < self.index_lag {
            return 0;
        }
        match index::hint(conn) {
            Ok(through) => {
                self.maintenance.learn(through);
                self.hint_written.fetch_max(through, Ordering::Relaxed);
            }
            Err(e) => tracing::debug!(error = %e, "could not read the audit index hint"),
        }
        head.saturating_sub(self.maintenance.known_through())
    }

    /// Indexes, or has the background thread index, once `index_lag` events wait.
    /// Past `INLINE_INDEX_FACTOR` times that, the appender helps: one chunk per
    /// commit while the thread runs (so a commit waits tens of milliseconds, not for
    /// the whole backlog), everything when there is no thread.
    fn keep_index_up(&self, behind: u64) -> Result<(), AuditError> {
        if behind < self.index_lag {
            return Ok(());
        }
        if self.background_thread {
            // Already asked and not yet begun: the thread will take these events too.
            let asked = self.maintenance.index_requested() || self.maintenance.request_index();
            if asked && behind < self.index_lag.saturating_mul(INLINE_INDEX_FACTOR) {
                return Ok(());
            }
            if asked {
                return self.maintenance.index_one_chunk().map(drop);
            }
        }
        self.maintenance.catch_up().map(drop)
    }

    /// One transaction appending `prepared`. Returns the events and any new checkpoint.
    ///
    /// It writes the `events` rows and, every `checkpoint_every` events, a checkpoint:
    /// nothing else, so a single-event commit dirties one table leaf.
    fn commit(
        &self,
        conn: &mut Connection,
        prepared: Vec<Prepared>,
    ) -> Result<(Vec<Event>, Vec<Checkpoint>), AuditError> {
        let tx = WriteTx::begin(conn)?;
        // Read the head inside the write transaction: no other process can move it now.
        let head: Option<(i64, String, Vec<u8>)> = tx
            .prepare_cached("SELECT seq, ts, hash FROM events ORDER BY seq DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let (mut seq, mut last_ts, mut prev) = match head {
            Some((s, ts, h)) => {
                let h: [u8; 32] = h.try_into().map_err(|_| {
                    AuditError::Corrupt(format!("event #{s} has a hash that is not 32 bytes"))
                })?;
                (s as u64, ts, h)
            }
            None => (0, String::new(), chain::GENESIS),
        };
        let start_seq = seq;
        let clock = chrono::Utc::now();
        let now = format_ts(clock);
        // Never let time run backwards along the sequence (clock steps, other processes):
        // time ranges are answered by binary search on seq, which relies on it.
        let (ts, ts_millis) = if now < last_ts {
            let millis = chrono::DateTime::parse_from_rfc3339(&last_ts)
                .map_or(clock.timestamp_millis(), |t| t.timestamp_millis());
            (std::mem::take(&mut last_ts), millis)
        } else {
            (now, clock.timestamp_millis())
        };
        let ts_millis = u64::try_from(ts_millis).unwrap_or(0);
        let mut out = Vec::with_capacity(prepared.len());
        let mut encoding = Vec::with_capacity(1024);
        {
            let mut ins = tx.prepare_cached(
                "INSERT INTO events (seq, id, ts, task_id, actor, kind, action, resource, outcome, detail, hash) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for p in prepared {
                seq += 1;
                let id = new_id(ts_millis);
                let hash = chain::row_hash_with(
                    &mut encoding,
                    &prev,
                    &RowRef {
                        seq,
                        id: &id,
                        ts: &ts,
                        task_id: p.task_id.as_deref(),
                        actor: p.actor.as_str(),
                        kind: p.kind.as_str(),
                        action: &p.action,
                        resource: &p.resource,
                        outcome: p.outcome.as_deref(),
                        detail: &p.detail_text,
                    },
                );
                ins.execute(params![
                    seq as i64,
                    id,
                    ts,
                    p.task_id,
                    p.actor.as_str(),
                    p.kind.as_str(),
                    p.action,
                    p.resource,
                    p.outcome,
                    p.detail_text,
                    &hash[..],
                ])?;
                prev = hash;
                out.push(Event {
                    seq,
                    id,
                    ts: ts.clone(),
                    task_id: p.task_id,
                    actor: p.actor,
                    kind: p.kind,
                    action: p.action,
                    resource: p.resource,
                    outcome: p.outcome,
                    detail: p.detail,
                    hash: chain::to_hex(&hash),
                });
            }
        }
        let mut new_cps = Vec::new();
        if seq / self.checkpoint_every > start_seq / self.checkpoint_every {
            let cp = self.key.sign(seq, &hex::encode(prev), &ts);
            insert_checkpoint(&tx, &cp)?;
            new_cps.push(cp);
        }
        // Tell other processes how far this one has indexed (see `index::hint`), in this
        // transaction rather than a write lock of its own: a second writer in this
        // process would make the appender wait in SQLite's busy handler, which sleeps
        // a millisecond at a time.
        let known = self.maintenance.known_through();
        let record_hint = known > self.hint_written.load(Ordering::Relaxed);
        if record_hint {
            index::write_hint(&tx, known)?;
        }
        tx.commit()?;
        if record_hint {
            self.hint_written.fetch_max(known, Ordering::Relaxed);
        }
        Ok((out, new_cps))
    }

    /// Signs a checkpoint at the current head now (no-op when the head already has one
    /// or the log is empty). Call at the end of a task or before handing the log over.
    pub fn checkpoint(&self) -> Result<Option<Checkpoint>, AuditError> {
        let mut conn = self.lock_writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let head: Option<(i64, Vec<u8>)> = tx
            .query_row(
                "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((seq, hash)) = head else {
            return Ok(None);
        };
        let exists: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM checkpoints WHERE seq = ?1)",
            [seq],
            |r| r.get(0),
        )?;
        if exists {
            return Ok(None);
        }
        let cp = self.key.sign(seq as u64, &hex::encode(hash), &now_ts());
        insert_checkpoint(&tx, &cp)?;
        tx.commit()?;
        drop(conn);
        self.sidecar.append_now(std::slice::from_ref(&cp))?;
        Ok(Some(cp))
    }

    /// Brings the search index (and the counts and task list) up to the head now, and
    /// returns how many events that took. Queries do this themselves first; call it to
    /// do the work ahead of them, e.g. from a background thread when
    /// [`OpenOptions::index_lag`] is `u64::MAX`. Costs one read when nothing is pending.
    pub fn index_pending(&self) -> Result<u64, AuditError> {
        let (head, through, consistent) = self.maintenance.state()?;
        if consistent && through >= head {
            return Ok(0);
        }
        self.maintenance.catch_up()
    }

    pub(crate) fn sync_index(&self) -> Result<(), AuditError> {
        self.index_pending().map(drop)
    }

    /// The newest sequence number and hash, `None` for an empty log.
    pub fn head(&self) -> Result<Option<(u64, String)>, AuditError> {
        let conn = self.lock_reader();
        let head: Option<(i64, Vec<u8>)> = conn
            .query_row(
                "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(head.map(|(s, h)| (s as u64, hex::encode(h))))
    }

    /// One event by sequence number.
    pub fn get(&self, seq: u64) -> Result<Option<Event>, AuditError> {
        let conn = self.lock_reader();
        let sql = format!(
            "SELECT {} FROM events WHERE seq = ?1",
            schema::EVENT_COLUMNS
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        Ok(stmt
            .query_row([seq as i64], crate::query::event_from_row)
            .optional()?)
    }

    /// One event by its UUID (any letter case).
    ///
    /// No index on ids: an id's UUID v7 timestamp is its event's `ts` to the millisecond,
    /// and `ts` never decreases along `seq`, so two binary searches bound the events of
    /// that millisecond and a short scan finds it. Events written before ids were
    /// stamped that way (`ts_ids_from` in `meta`) are scanned.
    pub fn get_by_id(&self, id: &str) -> Result<Option<Event>, AuditError> {
        let Ok(uuid) = uuid::Uuid::try_parse(id) else {
            return Ok(None);
        };
        let id = uuid.hyphenated().to_string();
        let conn = self.lock_reader();
        let head: Option<i64> = conn.query_row("SELECT max(seq) FROM events", [], |r| r.get(0))?;
        let head = head.unwrap_or(0) as u64;
        let millis = uuid.get_timestamp().and_then(|t| {
            let (secs, nanos) = t.to_unix();
            i64::try_from(secs)
                .ok()
                .map(|s| s * 1000 + i64::from(nanos / 1_000_000))
        });
        let bound = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms).map(|t| t.format(TS_FORMAT).to_string())
        };
        if let Some((from, to)) = millis.and_then(|ms| bound(ms).zip(bound(ms + 1))) {
            let lo = crate::query::first_seq_at_or_after(&conn, &from, head)?;
            let hi = crate::query::first_seq_at_or_after(&conn, &to, head)?;
            if let Some(e) = find_id_between(&conn, &id, lo, hi)? {
                return Ok(Some(e));
            }
        }
        let stamped_from: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'ts_ids_from'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let legacy_end = stamped_from
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(head + 1);
        find_id_between(&conn, &id, 1, legacy_end)
    }
}

impl Drop for AuditLog {
    /// Lets the indexing thread finish what it was asked to, then records how far the
    /// index got for the next process (appends record it as they go, but a short-lived
    /// process may index after its last append).
    fn drop(&mut self) {
        self.maintenance.stop();
        let known = self.maintenance.known_through();
        if known > *self.hint_written.get_mut() {
            let conn = self.writer.get_mut().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = index::write_hint(conn, known) {
                tracing::debug!(error = %e, "could not record the audit index hint");
            }
        }
    }
}

/// The event with `id` among sequence numbers [lo, hi).
fn find_id_between(
    conn: &Connection,
    id: &str,
    lo: u64,
    hi: u64,
) -> Result<Option<Event>, AuditError> {
    if lo >= hi {
        return Ok(None);
    }
    let sql = format!(
        "SELECT {} FROM events WHERE seq >= ?1 AND seq < ?2 AND id = ?3",
        schema::EVENT_COLUMNS
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(
            params![lo as i64, hi as i64, id],
            crate::query::event_from_row,
        )
        .optional()?)
}

fn insert_checkpoint(tx: &Connection, cp: &Checkpoint) -> Result<(), AuditError> {
    tx.prepare_cached("INSERT INTO checkpoints (seq, hash, ts, public_key, signature) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![cp.seq as i64, cp.hash, cp.ts, cp.public_key, cp.signature])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_ts_matches_chrono() {
        // Every microsecond digit, day and month boundaries, leap days, and a spread of
        // instants across four-digit years.
        let mut instants: Vec<i64> = vec![
            0,
            1,
            999_999,
            951_782_400_000_000,     // 2000-02-29
            4_107_542_399_999_999,   // 2100-02-28T23:59:59.999999
            253_402_300_799_999_999, // 9999-12-31T23:59:59.999999
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            instants.push((state % 253_402_300_800_000_000) as i64);
        }
        for micros in instants {
            let t = chrono::DateTime::from_timestamp_micros(micros).expect("in range");
            assert_eq!(format_ts(t), t.format(TS_FORMAT).to_string(), "{micros}");
        }
    }

    #[test]
    fn ids_are_lowercase_hyphenated_v7_stamped_with_the_given_millisecond() {
        let ms = 1_795_000_000_123;
        let id = new_id(ms);
        let uuid = uuid::Uuid::try_parse(&id).expect("a UUID");
        assert_eq!(id, uuid.hyphenated().to_string());
        assert_eq!(uuid.get_version_num(), 7);
        let (secs, nanos) = uuid.get_timestamp().expect("v7 has a time").to_unix();
        assert_eq!(secs * 1000 + u64::from(nanos / 1_000_000), ms);
        assert_ne!(new_id(ms), id, "random bits");
    }

    #[test]
    fn format_ts_falls_back_outside_four_digit_years() {
        let t = chrono::DateTime::from_timestamp(-62_198_755_200, 0).expect("year -1");
        assert_eq!(format_ts(t), t.format(TS_FORMAT).to_string());
    }
}
