//! The same audit, run inside the sandbox a task gets: `paddock scan --json`
//! launched through [`paddock_sandbox`] with the default task manifest (system
//! directories read-only, a private HOME, the environment allowlist, no
//! network) and an empty worktree. What it still finds is what isolation does
//! not cover; [`crate::compare`] lines it up with the scan outside.
//!
//! Fails closed: with no working sandbox backend the inside scan is refused
//! (an "inside" scan that ran outside would prove nothing), even when
//! `PADDOCK_ALLOW_UNSANDBOXED=1` lets tasks run unsandboxed.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use paddock_sandbox::{Manifest, Policy, Selected, select_backend};

use crate::Report;

/// How to run the scan inside.
#[derive(Debug, Clone)]
pub struct InsideOptions {
    /// The `paddock` binary (it is mounted read-only into the sandbox).
    pub scanner: PathBuf,
    /// The key the outside scan used, so equal values get equal fingerprints.
    pub fingerprint_key: [u8; 32],
    /// Run the process-level checks (root, sudo, groups) inside too.
    pub system_checks: bool,
    /// Gives up (and kills the sandbox) after this long.
    pub timeout: Duration,
}

/// The report from inside, and which sandbox produced it.
#[derive(Debug, Clone)]
pub struct InsideReport {
    pub report: Report,
    /// e.g. `bubblewrap`.
    pub backend: String,
}

#[derive(Debug, thiserror::Error)]
pub enum InsideError {
    #[error("no sandbox works on this machine, so there is no inside to scan: {0}")]
    NoSandbox(String),
    #[error("the scanner {path} cannot be used: {reason}")]
    Scanner { path: String, reason: String },
    #[error("the sandbox could not be started: {0}")]
    Launch(String),
    #[error("the scan inside the sandbox did not finish within {0} s")]
    Timeout(u64),
    #[error("the scan inside the sandbox failed ({status}): {stderr}")]
    Failed { status: String, stderr: String },
    #[error("the scan inside the sandbox printed something that is not a report: {0}")]
    Output(String),
}

/// The manifest a task gets, with `worktree` writable and the scanner
/// visible read-only. Exposed for tests.
pub fn manifest(worktree: &Path, scanner: &Path, key: &[u8; 32]) -> Result<Manifest, InsideError> {
    Manifest::builder()
        .writable(worktree)
        .workdir(worktree)
        .read_only(scanner)
        .set_env("PADDOCK_SCAN_FINGERPRINT_KEY", hex::encode(key))
        .build()
        .map_err(|e| InsideError::Launch(e.to_string()))
}

/// Runs `scanner scan --json` in a fresh sandbox and parses its report.
pub fn scan_inside(opts: &InsideOptions) -> Result<InsideReport, InsideError> {
    let scanner = std::fs::canonicalize(&opts.scanner).map_err(|e| InsideError::Scanner {
        path: opts.scanner.display().to_string(),
        reason: e.to_string(),
    })?;
    let selected = select_backend(&Policy::from_env()).map_err(|e| InsideError::NoSandbox(e.to_string()))?;
    let backend = match &selected {
        Selected::Sandboxed(b) => b.kind().to_string(),
        Selected::Unsandboxed(w) => return Err(InsideError::NoSandbox(w.reason.clone())),
    };
    let worktree = tempfile::tempdir().map_err(|e| InsideError::Launch(format!("no temporary worktree: {e}")))?;
    let worktree_path = std::fs::canonicalize(worktree.path()).map_err(|e| InsideError::Launch(e.to_string()))?;
    let manifest = manifest(&worktree_path, &scanner, &opts.fingerprint_key)?;
    let mut argv: Vec<OsString> = vec![scanner.into(), "scan".into(), "--json".into(), "--repo".into()];
    argv.push(worktree_path.into());
    if !opts.system_checks {
        argv.push("--no-system".into());
    }
    let mut cmd = selected.command(&manifest, &argv).map_err(|e| InsideError::Launch(e.to_string()))?;
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| InsideError::Launch(e.to_string()))?;
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let deadline = Instant::now() + opts.timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(InsideError::Timeout(opts.timeout.as_secs()));
            }
            Err(e) => return Err(InsideError::Launch(e.to_string())),
        }
    };
    let out = stdout.map(join).unwrap_or_default();
    let err = stderr.map(join).unwrap_or_default();
    if !status.success() {
        return Err(InsideError::Failed { status: status.to_string(), stderr: tail(&err) });
    }
    let report: Report = serde_json::from_slice(&out).map_err(|e| InsideError::Output(e.to_string()))?;
    Ok(InsideReport { report, backend })
}

/// Reads a pipe to the end on its own thread, so a full pipe never stalls
/// the child.
fn drain(mut pipe: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

fn join(h: std::thread::JoinHandle<Vec<u8>>) -> Vec<u8> {
    h.join().unwrap_or_default()
}

/// The last lines of the scanner's stderr (its own messages; the scan never
/// prints a secret).
fn tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(5)..].join("\n")
}

/// Both scans with one fingerprint key, and the side-by-side rows.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub outside: Report,
    pub inside: Report,
    pub rows: Vec<crate::Row>,
    pub backend: String,
}

/// Which half of [`outside_and_inside`] is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Half {
    Outside,
    Inside,
}

/// Scans `outside` (the user's view) and the sandbox's view with one random
/// fingerprint key, reporting each half as it starts, and compares them.
pub fn outside_and_inside(
    outside: &crate::ScanOptions,
    scanner: &Path,
    timeout: Duration,
    progress: &mut dyn FnMut(Half),
) -> Result<Comparison, InsideError> {
    let key: [u8; 32] = rand::random();
    let mut opts = outside.clone();
    opts.fingerprint_key = Some(key);
    progress(Half::Outside);
    let out = crate::scan(&opts);
    progress(Half::Inside);
    let inside = scan_inside(&InsideOptions {
        scanner: scanner.to_path_buf(),
        fingerprint_key: key,
        system_checks: outside.system_checks,
        timeout,
    })?;
    let rows = crate::compare(&out, &inside.report);
    Ok(Comparison { outside: out, inside: inside.report, rows, backend: inside.backend })
}
