//! The code the two `paddock` binaries share.
//!
//! `paddock` (src/launcher.rs) is the command people type and the one agents
//! run on their hot paths: the PreToolUse hook (`paddock gate`, once per tool
//! call) and `paddock sandbox run` (once per launch). It is built from this
//! library only, so it carries no cloud SDKs, engine server or egress proxy
//! and starts in about a millisecond. Everything else is `paddock-full`
//! (src/full.rs), which the launcher executes for any other command.
//!
//! Invariant: nothing in this library pulls in the cloud SDKs, tokio or the
//! proxy; a module that needs them belongs to `paddock-full`.

pub mod gate;
pub mod output;
pub mod paths;
pub mod sandbox;
