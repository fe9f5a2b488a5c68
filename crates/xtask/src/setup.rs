//! Installs what the app and the tests need, when it is missing.
//!
//! On Debian and Ubuntu the system packages come from apt (with sudo when not
//! root). Elsewhere we cannot guess the package manager, so we say what is
//! needed and go on: the build will then fail with the compiler's own words.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::steps::Steps;
use crate::{npm, repo_root};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    App,
    Test,
}

/// What the desktop app needs to build and run (Tauri's Linux prerequisites)
/// and to sandbox agents.
const APP_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "curl",
    "file",
    "git",
    "libwebkit2gtk-4.1-dev",
    "libxdo-dev",
    "libssl-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "bubblewrap",
    "keyutils",
    "fonts-dejavu-core",
];

/// What the tests add: a headless X server, the WebKit WebDriver, Chromium
/// for the web build, and the Python that runs test servers.
const TEST_PACKAGES: &[&str] = &[
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "chromium",
    "python3",
    "python3-venv",
    // The sandbox escape suite attacks with these (pgrep, unshare, curl).
    "procps",
    "util-linux",
    // The risk scan plants real keys, agents and databases made with these.
    "openssh-client",
    "gnupg",
    "sqlite3",
    // The GCP tests make a throwaway RSA admin key with it.
    "openssl",
    "curl",
    // The approvals window test watches desktop notifications on a private session bus.
    "dbus",
    // The Podman sandbox backend's real container test (runc: crun refuses hybrid cgroups).
    "podman",
    "runc",
];

fn installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn apt(args: &[&str]) -> Result<(), String> {
    let mut cmd = if is_root() {
        Command::new("apt-get")
    } else {
        let mut c = Command::new("sudo");
        c.arg("apt-get");
        c
    };
    cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    let status = cmd.status().map_err(|e| format!("cannot run apt-get: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("`apt-get {}` failed with {status}", args.join(" "))) }
}

pub fn system_packages(purpose: Purpose) -> Result<(), String> {
    let mut wanted: Vec<&str> = APP_PACKAGES.to_vec();
    if purpose == Purpose::Test {
        wanted.extend_from_slice(TEST_PACKAGES);
    }
    let has_apt = Command::new("apt-get").arg("--version").stdout(Stdio::null()).status().is_ok();
    if !has_apt {
        println!(
            "xtask: not a Debian/Ubuntu system; make sure the equivalents of these are installed: {}",
            wanted.join(" ")
        );
        return Ok(());
    }
    let missing: Vec<&str> = wanted.into_iter().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!("==> installing system packages: {}", missing.join(" "));
    apt(&["update", "-q"])?;
    let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
    args.extend(missing);
    apt(&args)
}

/// Vite 8 needs Node.js 20.19 or newer.
pub fn check_node() -> Result<(), String> {
    let out = Command::new("node").arg("--version").output().map_err(|_| {
        "Node.js is not installed: install Node.js 20.19 or newer (https://nodejs.org or your package manager)".to_owned()
    })?;
    let v = String::from_utf8_lossy(&out.stdout).trim().trim_start_matches('v').to_owned();
    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if major > 20 || (major == 20 && minor >= 19) {
        Ok(())
    } else {
        Err(format!("Node.js {v} is too old: the UI build needs 20.19 or newer"))
    }
}

/// `npm ci` when `node_modules` is missing or older than the lock file.
pub fn npm_ci_if_needed(steps: &mut Steps) -> Result<(), String> {
    let ui = repo_root().join("ui");
    let stamp = ui.join("node_modules").join(".package-lock.json");
    let lock = ui.join("package-lock.json");
    let fresh = match (std::fs::metadata(&stamp).and_then(|m| m.modified()), std::fs::metadata(&lock).and_then(|m| m.modified())) {
        (Ok(s), Ok(l)) => s >= l,
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    steps.run_required("npm ci", npm(&["ci", "--no-audit", "--no-fund"]))
}

fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    home.join("bin").join(name)
}

/// tauri-driver bridges WebDriver to WebKitWebDriver for the window tests.
pub fn tauri_driver(steps: &mut Steps) -> Result<(), String> {
    if cargo_bin("tauri-driver").is_file() {
        return Ok(());
    }
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.args(["install", "tauri-driver", "--locked"]);
    steps.run_required("install tauri-driver", cmd)
}

/// The Claude Code release the agent end-to-end tests drive; the hook payload
/// in `/work/shared/reference` was recorded from this version.
pub const CLAUDE_CODE_VERSION: &str = "2.1.197";

/// Where the agents the end-to-end tests drive are installed (outside the
/// repository, so `git clean` does not throw away a 250 MB download).
pub fn agents_dir() -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    home.join(".cache").join("paddock").join("agents")
}

/// The `claude` launcher inside [`agents_dir`].
pub fn claude_bin() -> PathBuf {
    agents_dir().join("node_modules").join(".bin").join("claude")
}

/// True when the installed package is the pinned version: bumping the pin
/// must reinstall, not keep testing the old binary.
fn claude_code_is_pinned_version(agents: &Path) -> bool {
    let manifest = agents.join("node_modules").join("@anthropic-ai").join("claude-code").join("package.json");
    std::fs::read_to_string(manifest)
        .is_ok_and(|text| text.contains(&format!("\"version\": \"{CLAUDE_CODE_VERSION}\"")))
}

/// Installs Claude Code (npm `@anthropic-ai/claude-code`, pinned) when its
/// binary is missing or another version. Its postinstall script copies the
/// native binary out of the platform package, so neither scripts nor optional
/// dependencies may be left out.
///
/// A failed install does not stop the other steps: the agent tests then fail
/// and say how to install it.
pub fn claude_code(steps: &mut Steps) {
    const STEP: &str = "install Claude Code for the agent end-to-end tests";
    let agents = agents_dir();
    if claude_bin().is_file() && claude_code_is_pinned_version(&agents) {
        return;
    }
    if let Err(e) = std::fs::create_dir_all(&agents) {
        steps.skip_failed(STEP, &format!("cannot create {}: {e}", agents.display()));
        return;
    }
    let mut cmd = Command::new("npm");
    cmd.arg("install")
        .arg("--prefix")
        .arg(&agents)
        .args(["--no-audit", "--no-fund", &format!("@anthropic-ai/claude-code@{CLAUDE_CODE_VERSION}")]);
    steps.run(STEP, cmd);
}

/// moto's AWS server (PyPI `moto[server]`, pinned) in a private venv, for the
/// credential tests. Installing it here keeps the pip download out of the
/// tests' own time limits; the tests run the same idempotent script.
pub fn moto(steps: &mut Steps) {
    let mut cmd = Command::new("bash");
    cmd.arg(repo_root().join("crates/creds/tests/support/moto.sh")).stdout(Stdio::null());
    steps.run("install moto (AWS emulator) for the credential tests", cmd);
}
