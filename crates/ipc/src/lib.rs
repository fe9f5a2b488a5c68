//! Transport types for the desktop shell's IPC boundary.
//!
//! Everything that crosses between the Tauri commands and the TypeScript UI is
//! declared here, and `ui/src/bindings.ts` is generated from these
//! declarations (see [`bindings::render`]). The UI never hand-writes a type
//! that the Rust side sends or receives.
//!
//! This crate depends on neither tauri nor any domain crate: the shell maps
//! domain results into these DTOs, so the engine crates stay free to change
//! their internals without breaking the UI contract.

pub mod app;
pub mod audit;
pub mod bindings;
pub mod creds;
pub mod doctor;
pub mod error;
pub mod onboarding;
pub mod scan;
pub mod tasks;
pub mod settings;

pub use error::{ErrorCode, WireError};
