//! `paddock-audit`: the append-only, tamper-evident audit trail.
//!
//! Every security-relevant thing Paddock does — a tool call, a gate decision, an egress
//! request, a credential minted — becomes an [`Event`] in one SQLite table, appended with
//! [`AuditLog::append`] and never changed afterwards.
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
//!   which lets time ranges become sequence ranges.

pub mod chain;
pub mod checkpoint;
mod error;
mod export;
mod index;
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
pub use store::{AuditLog, Durability, OpenOptions};
pub use verify::{Problem, VerifyReport};

/// Compile-time proof that the log can be shared across threads.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<AuditLog>();
};
