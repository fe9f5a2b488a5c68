//! Where Paddock's files and binaries are.

use std::path::PathBuf;

use anyhow::Context as _;

/// The audit database: `--db`/`--audit-db`, else `$PADDOCK_DATA_DIR/audit.db`,
/// else the user data dir's `paddock/audit.db` (the one the gate hook writes
/// to outside a task).
pub fn audit_db(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    paddock_hook::default_audit_db(explicit).context("no user data directory; set PADDOCK_DATA_DIR or pass --db")
}

/// A binary installed beside the running one (`paddock` and `paddock-full`
/// ship together, in one directory).
pub fn sibling(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find the paddock binary's path")?;
    Ok(exe.with_file_name(format!("{name}{}", std::env::consts::EXE_SUFFIX)))
}

/// The `paddock` launcher, for what runs per tool call or per launch (the
/// gate hook, the sandbox init): the small binary beside this one when there
/// is one, else this binary itself (which accepts the same commands).
pub fn launcher() -> anyhow::Result<PathBuf> {
    let beside = sibling("paddock")?;
    if beside.is_file() {
        return Ok(beside);
    }
    std::env::current_exe().context("cannot find the paddock binary's path")
}
