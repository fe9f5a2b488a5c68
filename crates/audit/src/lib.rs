//! `paddock-audit`: the append-only, tamper-evident audit trail.
//!
//! Every security-relevant thing Paddock does — a tool call, a gate decision, an egress
//! request, a credential minted — becomes an [`Event`] in one SQLite table, appended with
//! [`AuditLog::append`] and never changed afterwards.
//!
//! Write path: redact and serialise outside any lock; then one `BEGIN IMMEDIATE`
//! transaction reads the head, chains and inserts the rows (threads that arrive meanwhile
//! are committed in the same transaction: group commit) and, every `checkpoint_every`
//! events, a signed checkpoint; the commit is all the caller waits for (see
//! [`Durability`]). Everything queries need besides the rows — full-text and filter index,
//! counts, task list — is derived from them in batches of thousands (module `index`) into
//! a second file, `<db>.index`, with its own write lock: by a background thread once 2,048
//! are pending, by an appender once four times that are, or by the next query, whichever
//! comes first. A second background thread checkpoints the log's WAL (module
//! `maintenance`), so neither a commit nor the indexing stalls on that copy and its fsyncs.
//!
//! Invariants (each one an absence):
//! - No UPDATE or DELETE of `events` or `checkpoints`: triggers abort them.
//! - No gap in `seq`: it is assigned from the head read inside a `BEGIN IMMEDIATE`
//!   transaction, so writers in several processes still form one chain.
//! - No row whose hash does not cover the previous row's hash and its own canonical
//!   encoding ([`chain`]); editing, deleting or reordering breaks the chain at that row.
//! - No silent truncation or wholesale rewrite past a checkpoint: Ed25519-signed heads
//!   are kept in the database and in a sidecar file ([`checkpoint`]).
//! - No secret in the file: [`redact`] runs on action, resource, outcome and detail
//!   before hashing and writing, so not even the full-text index sees one.
//! - No time going backwards along `seq`: a clock step is clamped to the previous time,
//!   which lets time ranges become sequence ranges (and lets an id, a UUID v7 stamped
//!   with its event's time, be found without an index).
//! - No query answered from a stale index: derived tables carry a watermark (sequence and
//!   hash) and are caught up before use, and rebuilt when the events under the watermark
//!   changed; rows a filter returns are checked against the event row itself.
//! - No index maintenance inside an append's transaction, nor under the log file's write
//!   lock: a single-event commit writes one table leaf, so appends cost little more than
//!   a plain SQLite insert, and indexing (another file) never holds one up.

pub mod chain;
pub mod checkpoint;
mod error;
mod export;
mod index;
mod maintenance;
mod model;
mod query;
pub mod redact;
mod schema;
mod store;
mod verify;

pub use checkpoint::Checkpoint;
pub use error::AuditError;
pub use export::ExportFormat;
pub use model::{Actor, Event, Kind, NewEvent};
pub use query::{Counts, Cursor, Filter, MAX_LIMIT, Page, Query, TaskSummary, parse_time_bound};
pub use store::{AuditLog, Durability, INLINE_INDEX_FACTOR, OpenOptions};
pub use verify::{Problem, VerifyReport};

/// Compile-time proof that the log can be shared across threads.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<AuditLog>();
};
