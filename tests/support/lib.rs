//! Harness for the end-to-end tests: a private X server, tauri-driver on
//! private ports, a WebDriver session on the real app, and screenshots; the
//! real Claude Code ([`claude`]) against a scripted fake Messages API
//! ([`fake_anthropic`]).
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

/// A private Xvfb display.
pub struct Display {
    pub name: String,
    _server: Guard,
}

impl Display {
    pub fn start() -> anyhow::Result<Self> {
        // `-displayfd 1`: Xvfb picks a free display itself and prints its
        // number on stdout once it accepts connections, so parallel tests
        // never race for the same one.
        let mut cmd = Command::new("Xvfb");
        cmd.args(["-displayfd", "1", "-screen", "0", "1280x860x24", "-nolisten", "tcp"]).stdout(Stdio::piped());
        let mut server = Guard::spawn("Xvfb", &mut cmd)?;
        let stdout = server.child.stdout.take().context("Xvfb stdout")?;
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
        let n: u32 = line.trim().parse().with_context(|| format!("Xvfb did not report a display: {line:?}"))?;
        server.check_alive()?;
        Ok(Self { name: format!(":{n}"), _server: server })
    }
}

/// tauri-driver on private ports, driving the app on `display`.
pub struct Driver {
    pub port: u16,
    _driver: Guard,
}

impl Driver {
    pub fn start(display: &Display, extra_env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let port = free_port()?;
        let native_port = free_port()?;
        let mut cmd = Command::new(tauri_driver()?);
        cmd.args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .env("DISPLAY", &display.name)
            // No accessibility bus under Xvfb. (Do not disable WebKit's
            // compositing mode: WebKitWebDriver's screenshots then hang.)
            .env("NO_AT_BRIDGE", "1");
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut driver = Guard::spawn("tauri-driver", &mut cmd)?;
        wait_until(Duration::from_secs(30), || {
            driver.check_alive()?;
            Ok(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok())
        })
        .context("tauri-driver did not start listening")?;
        Ok(Self { port, _driver: driver })
    }

    /// A WebDriver session on a fresh app process.
    pub async fn session(&self, app: &Path) -> anyhow::Result<fantoccini::Client> {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "wry".into());
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app.display().to_string() }),
        );
        // tauri-driver listens before WebKitWebDriver behind it is ready:
        // retry the session for a while instead of failing on the first try.
        let url = format!("http://127.0.0.1:{}", self.port);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            // Plain HTTP to a loopback driver: no TLS stack to build.
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match fantoccini::ClientBuilder::new(connector).capabilities(caps.clone()).connect(&url).await {
                Ok(client) => return Ok(client),
                Err(e) if Instant::now() < deadline => {
                    eprintln!("WebDriver session not ready yet ({e}); retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => return Err(e).context("could not open a WebDriver session on the app"),
            }
        }
    }
}

fn tauri_driver() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("TAURI_DRIVER") {
        return Ok(PathBuf::from(p));
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .context("neither CARGO_HOME nor HOME is set")?;
    let p = home.join("bin").join("tauri-driver");
    if p.is_file() { Ok(p) } else { Ok(PathBuf::from("tauri-driver")) }
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

/// Saves a PNG of the window under `target/screenshots/<name>.png`.
pub async fn screenshot(client: &fantoccini::Client, name: &str) -> anyhow::Result<PathBuf> {
    let png = client.screenshot().await?;
    anyhow::ensure!(png.starts_with(b"\x89PNG"), "screenshot of {name} is not a PNG");
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png)?;
    Ok(path)
}
