//! Bounded file access: the scan reads other people's files and must not
//! hang on a FIFO, swallow a 10 GB file, or walk a whole disk.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::MAX_FILE_BYTES;

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    #[error("not a regular file")]
    NotAFile,
    #[error("larger than {MAX_FILE_BYTES} bytes")]
    TooLarge,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Reads a regular file (following symlinks) of at most `MAX_FILE_BYTES`.
pub(crate) fn read_bounded(path: &Path) -> Result<Vec<u8>, ReadError> {
    read_limited(path, MAX_FILE_BYTES)
}

pub(crate) fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile);
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge);
    }
    let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    File::open(path)?.take(limit + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(ReadError::TooLarge);
    }
    Ok(buf)
}

/// Text content, or `None` if the file is missing. Errors other than
/// "not found" are returned so the caller can note them.
pub(crate) fn read_text(path: &Path) -> Result<Option<String>, ReadError> {
    match read_bounded(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Entries of a directory, sorted, at most `max`; empty if unreadable.
pub(crate) fn list_dir(dir: &Path, max: usize) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).take(max).collect();
    out.sort();
    out
}

/// True if the first bytes contain a NUL (a binary, not a script).
pub(crate) fn looks_binary(bytes: &[u8]) -> bool {
    bytes.iter().take(8192).any(|b| *b == 0)
}

/// Runs a command with a deadline; kills it when the deadline passes.
/// `Ok(None)` means it timed out.
pub(crate) fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> std::io::Result<Option<Output>> {
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let deadline = Instant::now() + timeout;
    loop {
        if child.try_wait()?.is_some() {
            return child.wait_with_output().map(Some);
        }
        if Instant::now() >= deadline {
            // Already-exited races are fine: kill then reap either way.
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `git -C repo` that reads the repo's config without trusting the caller's
/// environment to point elsewhere.
pub(crate) fn git(repo: &Path) -> Command {
    let mut cmd = Command::new("git");
    // The user's repos may be owned by someone else (a mounted volume); we
    // only read config and the index, never run hooks.
    cmd.arg("-c").arg(format!("safe.directory={}", repo.display())).arg("-C").arg(repo);
    for var in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT"] {
        cmd.env_remove(var);
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("big");
        std::fs::write(&f, vec![b'a'; 100]).unwrap();
        assert!(matches!(read_limited(&f, 10), Err(ReadError::TooLarge)));
        assert_eq!(read_limited(&f, 100).unwrap().len(), 100);
    }

    #[test]
    fn directories_are_not_files() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(read_bounded(dir.path()), Err(ReadError::NotAFile)));
        assert!(read_text(&dir.path().join("missing")).unwrap().is_none());
    }

    #[test]
    fn slow_commands_are_killed_at_the_deadline() {
        let out = run_with_timeout(Command::new("sleep").arg("30"), Duration::from_millis(200)).unwrap();
        assert!(out.is_none());
        let out = run_with_timeout(Command::new("true").arg(""), Duration::from_secs(30)).unwrap();
        assert!(out.unwrap().status.success());
    }
}
