//! Facts about the running app that every screen may show.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AppInfo {
    /// The Paddock version, e.g. `0.1.0`.
    pub version: String,
    /// `linux`, `macos` or `windows`.
    pub platform: String,
    /// Where Paddock keeps its databases and keys.
    pub data_dir: String,
    /// Whether `PADDOCK_ALLOW_UNSANDBOXED=1` is set: the app shows a
    /// persistent warning while it is.
    pub unsandboxed_allowed: bool,
}
