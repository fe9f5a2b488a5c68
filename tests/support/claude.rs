//! Runs the real Claude Code (`claude -p`) against a fake Messages API, in a
//! clean environment: nothing of the developer's own `HOME`, API keys or
//! Claude settings can leak in, and a run that hangs is killed, with every
//! process it started.

use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// The pinned release (see `crates/xtask/src/setup.rs`, which installs it).
pub const CLAUDE_CODE_VERSION: &str = "2.1.197";

/// How a person gets the binary without `cargo xtask test`.
pub fn install_hint() -> String {
    format!(
        "install it with `cargo xtask test` (which then sets PADDOCK_CLAUDE_BIN), or by hand: \
         `npm install --prefix ~/.cache/paddock/agents @anthropic-ai/claude-code@{CLAUDE_CODE_VERSION}` \
         and PADDOCK_CLAUDE_BIN=~/.cache/paddock/agents/node_modules/.bin/claude"
    )
}

/// The Claude Code binary: `PADDOCK_CLAUDE_BIN`, set by `cargo xtask test`,
/// checked to be the pinned version.
pub fn claude_binary() -> anyhow::Result<PathBuf> {
    let Some(path) = std::env::var_os("PADDOCK_CLAUDE_BIN") else {
        bail!("PADDOCK_CLAUDE_BIN is not set; {}", install_hint());
    };
    let path = PathBuf::from(path);
    if !path.is_file() {
        bail!("PADDOCK_CLAUDE_BIN={} does not exist; {}", path.display(), install_hint());
    }
    // A throwaway home: nothing it might write lands in a real one.
    let home = tempfile::tempdir()?;
    let out = Command::new(&path)
        .arg("--version")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {} --version", path.display()))?;
    let version = String::from_utf8_lossy(&out.stdout);
    if !version.starts_with(&format!("{CLAUDE_CODE_VERSION} ")) {
        bail!(
            "{} reports version {:?}, but these tests are pinned to {CLAUDE_CODE_VERSION}; {}",
            path.display(),
            version.trim(),
            install_hint()
        );
    }
    Ok(path)
}

/// One `claude -p` run.
pub struct Run<'a> {
    pub binary: &'a Path,
    /// The project directory; Claude Code reads `.claude/settings.json` here.
    pub project: &'a Path,
    /// A throwaway home directory.
    pub home: &'a Path,
    pub base_url: &'a str,
    pub api_key: &'a str,
    pub prompt: &'a str,
    /// Extra environment, e.g. what the hook needs (`PADDOCK_AUDIT_DB`).
    pub env: Vec<(&'a str, OsString)>,
    pub timeout: Duration,
}

/// What a finished run printed.
#[derive(Debug)]
pub struct Outcome {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// The `--output-format json` result object.
    pub fn result(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_str(self.stdout.trim())
            .with_context(|| format!("claude's stdout is not one JSON object:\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }
}

impl Run<'_> {
    pub fn run(&self) -> anyhow::Result<Outcome> {
        let mut cmd = Command::new(self.binary);
        cmd.args(["-p", self.prompt, "--permission-mode", "bypassPermissions", "--output-format", "json"])
            .current_dir(self.project)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home)
            .env("LANG", "C.UTF-8")
            // Claude Code refuses bypass mode as root unless told it is sandboxed.
            .env("IS_SANDBOX", "1")
            .env("ANTHROPIC_API_KEY", self.api_key)
            .env("ANTHROPIC_BASE_URL", self.base_url)
            .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
            .env("DISABLE_TELEMETRY", "1")
            .env("DISABLE_AUTOUPDATER", "1");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        // Its own process group, so a timeout can kill the shells it started too.
        cmd.process_group(0).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = cmd.spawn().with_context(|| format!("cannot start {}; {}", self.binary.display(), install_hint()))?;
        let mut group = Group { child, killed: false };
        let stdout = drain(group.child.stdout.take());
        let stderr = drain(group.child.stderr.take());
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            if let Some(status) = group.child.try_wait()? {
                break Some(status);
            }
            if Instant::now() > deadline {
                break None;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        // Kill whatever it left running before reading to the end: a
        // leftover grandchild would hold the pipes open.
        group.kill();
        let stdout = stdout.join().unwrap_or_default();
        let stderr = stderr.join().unwrap_or_default();
        match status {
            Some(status) => Ok(Outcome { status, stdout, stderr }),
            None => bail!(
                "claude did not finish within {:?} and was killed\nstdout:\n{stdout}\nstderr:\n{stderr}",
                self.timeout
            ),
        }
    }
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// The agent's process group, killed with SIGKILL on drop (also when a test
/// fails half-way).
struct Group {
    child: Child,
    killed: bool,
}

impl Group {
    /// Once only, and right after the agent ended: its group id is its pid,
    /// which the kernel does not hand out again that soon.
    fn kill(&mut self) {
        if std::mem::replace(&mut self.killed, true) {
            return;
        }
        let pgid = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &pgid]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}
