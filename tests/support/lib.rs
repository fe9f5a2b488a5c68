//! Harness for the end-to-end tests: the real app in a window ([`Window`]:
//! a private X server, tauri-driver on private ports, WebDriver sessions,
//! screenshots); the real Claude Code ([`claude`]) against a scripted fake
//! Messages API ([`fake_anthropic`]).
//!
//! Every child process is owned by a guard that stops it on drop, with
//! SIGTERM (tauri-driver must get the chance to stop WebKitWebDriver and the
//! app; SIGKILL would orphan them).

pub mod seed;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

pub mod claude;
pub mod fake_home;
pub mod fake_anthropic;
pub mod keyring_session;
pub mod moto;
pub mod session_bus;
pub mod ui;
mod window;

pub use window::{Window, screenshot};

/// The repository root (this crate lives in `tests/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Where screenshots go: `target/screenshots/` in the repository, whatever
/// `CARGO_TARGET_DIR` says, so a person finds them in one place.
pub fn screenshot_dir() -> PathBuf {
    repo_root().join("target").join("screenshots")
}

/// The built app binary: `PADDOCK_APP_BIN`, set by `cargo xtask test`.
pub fn app_binary() -> anyhow::Result<PathBuf> {
    let Some(path) = std::env::var_os("PADDOCK_APP_BIN") else {
        bail!("PADDOCK_APP_BIN is not set: run the window tests with `cargo xtask test`, which builds the app first");
    };
    let path = PathBuf::from(path);
    if !path.is_file() {
        bail!("PADDOCK_APP_BIN={} does not exist; build it with `cargo xtask test`", path.display());
    }
    Ok(path)
}

/// The built `paddock` CLI: `PADDOCK_CLI_BIN`, set by `cargo xtask test`.
pub fn cli_binary() -> anyhow::Result<PathBuf> {
    let Some(path) = std::env::var_os("PADDOCK_CLI_BIN") else {
        bail!(
            "PADDOCK_CLI_BIN is not set: run the end-to-end tests with `cargo xtask test`, which builds the CLI \
             first (or `cargo build -p paddock-cli` and set PADDOCK_CLI_BIN=<target dir>/debug/paddock)"
        );
    };
    let path = PathBuf::from(path);
    if !path.is_file() {
        bail!("PADDOCK_CLI_BIN={} does not exist; build it with `cargo build -p paddock-cli`", path.display());
    }
    Ok(path)
}

/// A free TCP port on loopback (bound, then released for the child to take).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A child process stopped with SIGTERM, then waited for.
pub struct Guard {
    name: &'static str,
    child: Child,
}

impl Guard {
    pub fn spawn(name: &'static str, cmd: &mut Command) -> anyhow::Result<Self> {
        let child = cmd
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {name}: is it installed? (`cargo xtask test` installs it)"))?;
        Ok(Self { name, child })
    }

    /// Takes charge of a child started elsewhere.
    pub fn adopt(name: &'static str, child: Child) -> Self {
        Self { name, child }
    }

    /// The child's stdout, when it was spawned with `Stdio::piped()`.
    pub fn take_stdout(&mut self) -> Option<std::process::ChildStdout> {
        self.child.stdout.take()
    }

    /// The child's stderr, when it was spawned with `Stdio::piped()`.
    pub fn take_stderr(&mut self) -> Option<std::process::ChildStderr> {
        self.child.stderr.take()
    }

    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("{} exited early with {status}", self.name);
        }
        Ok(())
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("{} ignored SIGTERM for 10 s; killing it", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `f` until it returns true, failing after `timeout`.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> anyhow::Result<bool>) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if f()? {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("timed out after {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
