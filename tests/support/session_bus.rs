//! A private D-Bus session bus and a `dbus-monitor` on it: desktop
//! notifications are `org.freedesktop.Notifications.Notify` calls on the
//! session bus, so the monitor sees exactly what the app asked the desktop to
//! show, with no notification daemon needed (the call itself then fails with
//! "no such service", which the app logs and goes on).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::Context;

use crate::{Guard, wait_until};

pub struct SessionBus {
    /// The value for `DBUS_SESSION_BUS_ADDRESS`.
    pub address: String,
    log: PathBuf,
    _monitor: Guard,
    _daemon: Guard,
}

impl SessionBus {
    pub fn start(dir: &Path) -> anyhow::Result<Self> {
        let address = format!("unix:path={}", dir.join("bus").display());
        let mut daemon = Command::new("dbus-daemon");
        daemon.args(["--session", "--nofork", "--nopidfile", &format!("--address={address}")]).stdout(Stdio::null());
        let mut daemon = Guard::spawn("dbus-daemon", &mut daemon)?;
        let socket = dir.join("bus");
        wait_until(Duration::from_secs(10), || {
            daemon.check_alive()?;
            Ok(socket.exists())
        })
        .context("dbus-daemon did not create its socket (`cargo xtask test` installs the `dbus` package)")?;
        let log = dir.join("monitor.log");
        let mut monitor = Command::new("dbus-monitor");
        monitor
            .args(["--address", &address, "interface='org.freedesktop.Notifications',member='Notify'"])
            .stdout(std::fs::File::create(&log)?)
            .stderr(Stdio::null());
        let mut monitor = Guard::spawn("dbus-monitor", &mut monitor)?;
        // The monitor prints its own NameAcquired signal once it listens.
        wait_until(Duration::from_secs(10), || {
            monitor.check_alive()?;
            Ok(std::fs::read_to_string(&log).is_ok_and(|s| !s.is_empty()))
        })
        .context("dbus-monitor did not start listening")?;
        Ok(Self { address, log, _monitor: monitor, _daemon: daemon })
    }

    /// Everything the monitor saw so far (method calls, with their string arguments).
    pub fn seen(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}
