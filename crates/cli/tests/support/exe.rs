//! Putting a built binary somewhere else for a test (alone in a directory).
#![allow(clippy::unwrap_used, clippy::panic)] // test helper: a panic is the failure report

use std::path::Path;

/// Places `from` at `to` as a hard link, not a copy: a copy is open for
/// writing while other test threads fork, and exec of a file someone holds
/// open for writing fails with "Text file busy". A copy only where the two are
/// on different filesystems.
pub fn place(from: &Path, to: &Path) {
    if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to).unwrap_or_else(|e| panic!("copying {} to {}: {e}", from.display(), to.display()));
    }
}
