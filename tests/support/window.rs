//! The real app in a real window: a private X server, tauri-driver on
//! private ports, and WebDriver sessions on fresh app processes.
//!
//! Every wait here has a limit. A WebDriver call to an app that died (or
//! never came up) otherwise waits forever, and one such test held CI past
//! its deadline with nothing to show for it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fantoccini::Client;

use crate::{Guard, app_binary, free_port, screenshot_dir, wait_until};

/// How long a fresh app process may take to answer its first WebDriver
/// request (cold WebKit start on a loaded 2-core machine is ~10 s).
const APP_START_LIMIT: Duration = Duration::from_secs(90);

/// How long closing the app (ending the WebDriver session) may take.
const CLOSE_LIMIT: Duration = Duration::from_secs(60);

/// The desktop app under test, in its own display, with `env` set for every
/// app process it opens.
pub struct Window {
    app: PathBuf,
    // Field order is drop order: tauri-driver (and the app behind it) stops
    // before its X server does.
    driver: Driver,
    _display: Display,
}

impl Window {
    pub fn start(env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let app = app_binary()?;
        let display = Display::start()?;
        let driver = Driver::start(&display, env)?;
        Ok(Self { app, driver, _display: display })
    }

    /// Opens a fresh app process, runs `body` on it for at most `limit`,
    /// and closes the app whatever the body did. `what` names the body in
    /// the timeout error.
    pub async fn with_app<T>(
        &self,
        what: &str,
        limit: Duration,
        body: impl AsyncFnOnce(&Client) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let client = self.driver.session(&self.app).await?;
        let result = match tokio::time::timeout(limit, body(&client)).await {
            Ok(result) => result,
            Err(_) => Err(anyhow::anyhow!("{what} took longer than {} s", limit.as_secs())),
        };
        let closed = tokio::time::timeout(CLOSE_LIMIT, client.close()).await;
        // The body's failure says more than a failed close after it.
        let value = result.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        closed.with_context(|| format!("closing the app took longer than {} s", CLOSE_LIMIT.as_secs()))??;
        Ok(value)
    }
}

/// A private Xvfb display.
struct Display {
    name: String,
    _server: Guard,
}

impl Display {
    fn start() -> anyhow::Result<Self> {
        let mut cmd = Command::new("Xvfb");
        cmd.args([
            // Xvfb picks a free display itself and prints its number on
            // stdout once it accepts connections, so parallel tests never
            // race for the same one.
            "-displayfd",
            "1",
            // Without it the server resets when its last client leaves, and
            // an app opened in that moment cannot reach it ("Failed to
            // initialize GTK"): 2 in 300 back-to-back connections failed.
            // Tests close the app and open a new one on the same display.
            "-noreset",
            "-screen",
            "0",
            "1280x860x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped());
        let mut server = Guard::spawn("Xvfb", &mut cmd)?;
        let stdout = server.take_stdout().context("Xvfb stdout")?;
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
        let n: u32 = line.trim().parse().with_context(|| format!("Xvfb did not report a display: {line:?}"))?;
        server.check_alive()?;
        Ok(Self { name: format!(":{n}"), _server: server })
    }
}

/// tauri-driver on private ports, driving the app on `display`.
struct Driver {
    port: u16,
    _driver: Guard,
}

impl Driver {
    fn start(display: &Display, extra_env: &[(&str, &str)]) -> anyhow::Result<Self> {
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

    /// A WebDriver session on a fresh app process ([`Window::with_app`]
    /// closes it).
    async fn session(&self, app: &Path) -> anyhow::Result<Client> {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "wry".into());
        caps.insert("tauri:options".into(), serde_json::json!({ "application": app.display().to_string() }));
        // tauri-driver listens before WebKitWebDriver behind it is ready:
        // retry a refused session for a while instead of failing at once.
        let url = format!("http://127.0.0.1:{}", self.port);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            // Plain HTTP to a loopback driver: no TLS stack to build.
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            let mut builder = fantoccini::ClientBuilder::new(connector);
            let connect = builder.capabilities(caps.clone()).connect(&url);
            // WebKitWebDriver waits for the app's web view without a limit of
            // its own: an app that died at start-up would hang this forever.
            let Ok(attempt) = tokio::time::timeout(APP_START_LIMIT, connect).await else {
                bail!(
                    "the app did not come up within {} s of being started (did it crash? its stderr is above)",
                    APP_START_LIMIT.as_secs()
                );
            };
            match attempt {
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

/// Saves a PNG of the window under `target/screenshots/<name>.png`.
pub async fn screenshot(client: &Client, name: &str) -> anyhow::Result<PathBuf> {
    let png = client.screenshot().await?;
    anyhow::ensure!(png.starts_with(b"\x89PNG"), "screenshot of {name} is not a PNG");
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png)?;
    Ok(path)
}
