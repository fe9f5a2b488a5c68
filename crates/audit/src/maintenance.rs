//! The work around appends that appends need not wait for: indexing ([`crate::index`])
//! and WAL checkpoints of the log. One lazily opened connection, with the index file
//! attached, serves queries catching up, [`crate::AuditLog::index_pending`], appenders
//! that find the lag too long, and a background thread.
//!
//! Two background threads, one per job, exist so that a long-lived process appends while
//! the rest happens beside it: the index is another file with its own write lock, so while
//! `audit-index` indexes on one core, appends commit on the other; and a checkpoint
//! (copying 32 MB of WAL into the log and two fsyncs, 100-300 ms on the dev VM), done by
//! `audit-checkpoint`, stalls neither the commit that crossed the threshold nor the
//! indexing, which would otherwise fall behind and be handed back to the appender. Each
//! thread starts on its first request and stops when the log is dropped, once it has done
//! what it was asked to (a backlog of several index chunks, such as a rebuild, only to the
//! end of the current chunk).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use rusqlite::Connection;
use rusqlite::hooks::Wal;

use crate::{AuditError, OpenOptions, index, store};

/// A checkpoint of the log's WAL is due once it holds this many frames (pages).
const CHECKPOINT_PAGES: i32 = store::WAL_AUTOCHECKPOINT_PAGES as i32;

/// The committing thread checkpoints itself at this many frames: the background thread
/// is far behind, or there is none.
const INLINE_CHECKPOINT_PAGES: i32 = 4 * CHECKPOINT_PAGES;

/// The log's maintenance: owns the background thread; stops it when dropped.
pub(crate) struct Maintenance {
    shared: Arc<Shared>,
}

struct Shared {
    db: PathBuf,
    opts: OpenOptions,
    conn: Mutex<Option<Connection>>,
    /// A plain connection to the log for checkpoints, so that a query catching the
    /// index up (on `conn`) never waits behind one.
    checkpointer: Mutex<Option<Connection>>,
    /// The background threads, by [`Job::slot`].
    threads: Mutex<[Option<JoinHandle<()>>; 2]>,
    work: Mutex<Work>,
    wake: Condvar,
    /// How far the index has got, as last seen by this process (never ahead of the
    /// truth except after the index file was reset behind its back).
    through: AtomicU64,
}

/// What the background threads have been asked to do.
#[derive(Default)]
struct Work {
    index: bool,
    checkpoint: bool,
    stop: bool,
}

#[derive(Clone, Copy)]
enum Job {
    Index,
    Checkpoint,
}

impl Job {
    fn slot(self) -> usize {
        match self {
            Job::Index => 0,
            Job::Checkpoint => 1,
        }
    }

    fn thread_name(self) -> &'static str {
        match self {
            Job::Index => "audit-index",
            Job::Checkpoint => "audit-checkpoint",
        }
    }
}

impl Work {
    fn asked(&mut self, job: Job) -> &mut bool {
        match job {
            Job::Index => &mut self.index,
            Job::Checkpoint => &mut self.checkpoint,
        }
    }
}

fn relock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves nothing half-updated that SQLite
    // would not roll back, so a poisoned lock is safe to reuse.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    fn stopping(&self) -> bool {
        relock(&self.work).stop
    }

    /// Runs `f` on the maintenance connection, opening it (and setting up the index
    /// file) on first use.
    fn with_conn<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, AuditError>,
    ) -> Result<R, AuditError> {
        let mut guard = relock(&self.conn);
        let conn = match guard.take() {
            Some(c) => c,
            None => self.open()?,
        };
        let result = f(&conn);
        *guard = Some(conn);
        result
    }

    /// A connection to the log with the index attached and set up. An index file that
    /// is not a database at all (overwritten, truncated to garbage) is derived data:
    /// it is moved aside and built afresh, rather than failing every query until
    /// someone deletes it by hand.
    fn open(&self) -> Result<Connection, AuditError> {
        let attach = || -> Result<Connection, AuditError> {
            let conn = store::open_conn(&self.db, &self.opts)?;
            index::register_functions(&conn)?;
            index::attach(&conn, &self.db, self.opts.busy_timeout, true)?;
            Ok(conn)
        };
        match attach() {
            Err(AuditError::Open { source, .. })
                if source.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) =>
            {
                let path = index::index_path(&self.db);
                tracing::warn!(
                    index = %path.display(),
                    "audit index file is not a database; rebuilding it from the log"
                );
                let mut aside = path.clone().into_os_string();
                aside.push(".unreadable");
                std::fs::rename(&path, &aside)
                    .map_err(|e| AuditError::io("moving aside the audit index", &path, e))?;
                for suffix in ["-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
                attach()
            }
            other => other,
        }
    }

    /// Indexes chunk after chunk until nothing waits, `stop` says so (checked after
    /// each chunk, so never before the first), or `max_chunks` are done. The
    /// connection is taken anew for each chunk: see [`index::index_chunk`].
    fn catch_up(&self, stop: &dyn Fn() -> bool, max_chunks: Option<u64>) -> Result<u64, AuditError> {
        let mut indexed = 0;
        let mut chunks = 0;
        loop {
            let (n, through, done) = self.with_conn(index::index_chunk)?;
            self.through.store(through, Ordering::Relaxed);
            indexed += n;
            chunks += 1;
            if done || max_chunks.is_some_and(|m| chunks >= m) || stop() {
                return Ok(indexed);
            }
        }
    }

    /// Copies what it can of the log's WAL into the log without holding up writers
    /// (`PASSIVE`), so that the WAL starts over from its beginning.
    fn checkpoint(&self) -> Result<(), AuditError> {
        let mut guard = relock(&self.checkpointer);
        let conn = match guard.take() {
            Some(c) => c,
            None => store::open_conn(&self.db, &self.opts)?,
        };
        let result = conn.wal_checkpoint_v2(Some("main"), rusqlite::wal::CheckpointMode::PASSIVE);
        *guard = Some(conn);
        result?;
        Ok(())
    }

    fn checkpoint_requested(&self) -> bool {
        relock(&self.work).checkpoint
    }

    /// Asks the background thread for `job`, starting it if need be. Returns false
    /// when there is no thread to ask (the log is being dropped, or none could be
    /// started); the caller then does the work itself, or leaves it.
    fn request(self: &Arc<Self>, job: Job) -> bool {
        let mut threads = relock(&self.threads);
        if self.stopping() {
            return false;
        }
        let thread = &mut threads[job.slot()];
        if thread.is_none() {
            let shared = Arc::clone(self);
            match std::thread::Builder::new()
                .name(job.thread_name().into())
                .spawn(move || shared.run(job))
            {
                Ok(t) => *thread = Some(t),
                Err(e) => {
                    tracing::debug!(error = %e, "no audit maintenance thread");
                    return false;
                }
            }
        }
        *relock(&self.work).asked(job) = true;
        self.wake.notify_all();
        true
    }

    /// A background thread: do `job` whenever asked, until told to stop.
    fn run(&self, job: Job) {
        loop {
            {
                let mut work = relock(&self.work);
                while !*work.asked(job) && !work.stop {
                    work = self.wake.wait(work).unwrap_or_else(|p| p.into_inner());
                }
                // Work asked for before the log was dropped is still done, so a
                // short-lived process leaves no more than `index_lag` behind it.
                if !std::mem::take(work.asked(job)) {
                    return;
                }
            }
            match job {
                Job::Checkpoint => {
                    if let Err(e) = self.checkpoint() {
                        tracing::warn!(error = %e, "checkpointing the audit log's WAL failed; the next commit retries");
                    }
                }
                Job::Index => {
                    if let Err(e) = self.catch_up(&|| self.stopping(), None) {
                        tracing::warn!(error = %e, "indexing audit events failed; searches will retry");
                    }
                }
            }
        }
    }
}

impl Maintenance {
    pub(crate) fn new(db: &std::path::Path, opts: &OpenOptions) -> Maintenance {
        Maintenance {
            shared: Arc::new(Shared {
                db: db.to_owned(),
                opts: opts.clone(),
                conn: Mutex::new(None),
                checkpointer: Mutex::new(None),
                threads: Mutex::new([None, None]),
                work: Mutex::new(Work::default()),
                wake: Condvar::new(),
                through: AtomicU64::new(0),
            }),
        }
    }

    /// Indexes every pending event now, in this thread; returns how many.
    pub(crate) fn catch_up(&self) -> Result<u64, AuditError> {
        self.shared.catch_up(&|| false, None)
    }

    /// Indexes one chunk in this thread: an appender's share when the background
    /// thread has fallen behind. It waits at most for the chunk that thread is
    /// indexing, not for its whole backlog.
    pub(crate) fn index_one_chunk(&self) -> Result<u64, AuditError> {
        self.shared.catch_up(&|| false, Some(1))
    }

    /// `(head, indexed_through, consistent)`, see [`index::state`].
    pub(crate) fn state(&self) -> Result<(u64, u64, bool), AuditError> {
        let state = self.shared.with_conn(index::state)?;
        if state.2 {
            self.shared.through.store(state.1, Ordering::Relaxed);
        }
        Ok(state)
    }

    /// How far the index has got as far as this process knows, without asking SQLite:
    /// what the last catch-up here reached, or what [`Maintenance::learn`] was told.
    pub(crate) fn known_through(&self) -> u64 {
        self.shared.through.load(Ordering::Relaxed)
    }

    /// Records that the index has got at least to `through` (e.g. the hint another
    /// process left in the log's `meta`).
    pub(crate) fn learn(&self, through: u64) {
        self.shared.through.fetch_max(through, Ordering::Relaxed);
    }

    /// Whether indexing has been asked of the background thread and not begun.
    pub(crate) fn index_requested(&self) -> bool {
        relock(&self.shared.work).index
    }

    /// Asks the background thread to index; false when there is none to ask.
    pub(crate) fn request_index(&self) -> bool {
        self.shared.request(Job::Index)
    }

    /// Makes the log's writer checkpoint its WAL from the background thread (or, with
    /// `background` false or the thread far behind, in the committing thread, as
    /// SQLite's own autocheckpoint would). Replaces `PRAGMA wal_autocheckpoint`.
    pub(crate) fn install_checkpointer(
        &self,
        writer: &mut Connection,
        background: bool,
    ) -> rusqlite::Result<()> {
        let shared = Arc::clone(&self.shared);
        writer.wal_hook(Some(move |wal: &mut Wal, pages: i32| {
            if pages < CHECKPOINT_PAGES {
                return Ok(());
            }
            if background
                && pages < INLINE_CHECKPOINT_PAGES
                && (shared.checkpoint_requested() || shared.request(Job::Checkpoint))
            {
                return Ok(());
            }
            // What SQLite's autocheckpoint does; a failure is no failure of the commit.
            if let Err(e) = wal.checkpoint() {
                tracing::debug!(error = %e, "audit WAL checkpoint did not complete");
            }
            Ok(())
        }))
    }

    /// Stops the background threads once they have done what they were asked to (see
    /// [`Shared::run`]) and waits for them. Idempotent; nothing can be asked of them after.
    pub(crate) fn stop(&self) {
        let threads = {
            let mut threads = relock(&self.shared.threads);
            relock(&self.shared.work).stop = true;
            std::mem::take(&mut *threads)
        };
        self.shared.wake.notify_all();
        for t in threads.into_iter().flatten() {
            let _ = t.join();
        }
    }
}

impl Drop for Maintenance {
    fn drop(&mut self) {
        self.stop();
    }
}
