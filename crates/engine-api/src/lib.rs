//! `paddock-engine-api`: what crosses the engine's local API socket — the
//! wire types of the gate hook's calls and a small blocking client — kept
//! apart from `paddock-engine` so that the gate hook, a process started for
//! every tool call, links neither the engine nor an async runtime.
//!
//! `paddock-engine` serves these types (hyper, over a unix socket) and
//! re-exports them; nothing here knows how the engine decides.
//!
//! Invariants, stated as absences:
//! - no token text in any error message or `Debug` output of the client;
//! - no request whose path or token could smuggle a header line (CR, LF and
//!   other control characters are refused before anything is sent);
//! - no answer read past its `Content-Length` or past [`MAX_ANSWER_BYTES`],
//!   and no call that outlives its timeout.

mod client;
mod wire;

pub use client::{Client, ClientError, MAX_ANSWER_BYTES};
pub use wire::{ApprovalRecord, ApprovalState, GateDecisionIn, GateDecisionOut};
