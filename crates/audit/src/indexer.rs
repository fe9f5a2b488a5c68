//! Who runs the indexing ([`crate::index`]): one lazily opened connection with the index
//! file attached, shared by queries catching up, [`crate::AuditLog::index_pending`],
//! appenders that find the lag too long, and a background thread.
//!
//! The background thread exists so that a long-lived process appends and indexes at the
//! same time: the index is another file with its own write lock, so while the thread
//! indexes on one core, appends commit on the other. It is started on the first request
//! and stopped when the log is dropped, once it has done what it was asked to (a
//! backlog of several chunks, such as a rebuild, only to the end of the current chunk).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use rusqlite::Connection;

use crate::{AuditError, OpenOptions, index, store};

pub(crate) struct Indexer {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

struct Shared {
    db: PathBuf,
    opts: OpenOptions,
    conn: Mutex<Option<Connection>>,
    bg: Mutex<Background>,
    wake: Condvar,
    /// How far the index has got, as last seen by this process (never ahead of the
    /// truth except after the index file was reset behind its back).
    through: AtomicU64,
}

#[derive(Default)]
struct Background {
    requested: bool,
    stop: bool,
}

fn relock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves nothing half-updated that SQLite
    // would not roll back, so a poisoned lock is safe to reuse.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    fn stopping(&self) -> bool {
        relock(&self.bg).stop
    }

    /// Runs `f` on the indexing connection, opening it (and setting up the index file)
    /// on first use.
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

    fn catch_up(&self, stop: &dyn Fn() -> bool) -> Result<u64, AuditError> {
        let (indexed, through) = self.with_conn(|c| index::catch_up(c, stop))?;
        self.through.store(through, Ordering::Relaxed);
        Ok(indexed)
    }

    /// The background thread: catch up whenever asked, until told to stop.
    fn run(&self) {
        loop {
            {
                let mut bg = relock(&self.bg);
                while !bg.requested && !bg.stop {
                    bg = self.wake.wait(bg).unwrap_or_else(|p| p.into_inner());
                }
                // Work asked for before the log was dropped is still done, so a
                // short-lived process leaves no more than `index_lag` behind it; only a
                // backlog of several chunks (a rebuild) is cut short by the drop.
                if !bg.requested {
                    return;
                }
                bg.requested = false;
            }
            if let Err(e) = self.catch_up(&|| self.stopping()) {
                tracing::warn!(error = %e, "indexing audit events failed; searches will retry");
            }
        }
    }
}

impl Indexer {
    pub(crate) fn new(db: &Path, opts: &OpenOptions) -> Indexer {
        Indexer {
            shared: Arc::new(Shared {
                db: db.to_owned(),
                opts: opts.clone(),
                conn: Mutex::new(None),
                bg: Mutex::new(Background::default()),
                wake: Condvar::new(),
                through: AtomicU64::new(0),
            }),
            thread: Mutex::new(None),
        }
    }

    /// Indexes every pending event now, in this thread; returns how many.
    pub(crate) fn catch_up(&self) -> Result<u64, AuditError> {
        self.shared.catch_up(&|| false)
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
    /// what the last catch-up here reached, or what [`Indexer::learn`] was told.
    pub(crate) fn known_through(&self) -> u64 {
        self.shared.through.load(Ordering::Relaxed)
    }

    /// Records that the index has got at least to `through` (e.g. the hint another
    /// process left in the log's `meta`).
    pub(crate) fn learn(&self, through: u64) {
        self.shared.through.fetch_max(through, Ordering::Relaxed);
    }

    /// Whether a catch-up has been asked of the background thread and not begun.
    pub(crate) fn requested(&self) -> bool {
        relock(&self.shared.bg).requested
    }

    /// Asks the background thread to catch up, starting it if need be. Returns false
    /// when no thread could be started (the caller then indexes itself).
    pub(crate) fn request(&self) -> bool {
        let mut thread = relock(&self.thread);
        if thread.is_none() {
            let shared = Arc::clone(&self.shared);
            match std::thread::Builder::new()
                .name("audit-indexer".into())
                .spawn(move || shared.run())
            {
                Ok(t) => *thread = Some(t),
                Err(e) => {
                    tracing::debug!(error = %e, "no audit indexing thread");
                    return false;
                }
            }
        }
        relock(&self.shared.bg).requested = true;
        self.shared.wake.notify_one();
        true
    }
}

impl Indexer {
    /// Stops the background thread once it has done what it was asked to (see
    /// [`Shared::run`]) and waits for it. Idempotent.
    pub(crate) fn stop(&mut self) {
        let thread = self
            .thread
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(t) = thread {
            relock(&self.shared.bg).stop = true;
            self.shared.wake.notify_one();
            let _ = t.join();
        }
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        self.stop();
    }
}
