//! A private kernel keyring for tests that store secrets.
//!
//! Paddock keeps secrets in the OS keyring; on Linux that is the kernel's
//! keyutils, in the *session* keyring. A test must not write into the
//! session keyring it was started from (it is shared with everything else the
//! user runs), so it runs itself again under `keyctl session -`, a fresh
//! anonymous session keyring that the app, tauri-driver and the `paddock` CLI
//! started by the test all inherit, and that is gone when the test ends.

use std::process::Command;

use anyhow::{Context, ensure};

const CHILD_ENV: &str = "PADDOCK_E2E_KEYRING_CHILD";
const DONE: &str = "PADDOCK-E2E-CHILD-DONE";

/// `true` in the child: run the test body there, then call [`child_done`].
/// In the parent, runs this test binary again under `keyctl session -`
/// filtered to `test_name`, and fails unless the child ran it and passed.
pub fn run_in_private_keyring(test_name: &str) -> anyhow::Result<bool> {
    if std::env::var_os(CHILD_ENV).is_some() {
        return Ok(true);
    }
    let exe = std::env::current_exe()?;
    let out = Command::new("keyctl")
        .args(["session", "-"])
        .arg(&exe)
        .args(["--exact", test_name, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .output()
        .context("this test needs `keyctl` (Debian package: keyutils)")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("--- child under `keyctl session -` ---\n{stdout}\n{stderr}\n--- end of child ---");
    ensure!(out.status.success(), "the test failed under `keyctl session -` (output above)");
    ensure!(stdout.contains(DONE) || stderr.contains(DONE), "the child under `keyctl session -` did not run {test_name}");
    Ok(false)
}

/// Marks the child's test body as run to the end.
pub fn child_done() {
    println!("{DONE}");
}

/// A keyring namespace of this test's own (`PADDOCK_KEYRING_NAMESPACE` for
/// the app, `--keyring-service <base>-<ns>` for the CLI). keyutils links every
/// entry into the user's persistent keyring, which every new session can
/// search, so a private session alone does not keep a test away from the
/// user's real keys (or from another test run): distinct names do. The
/// entries named with [`KeyringNamespace::entry`] are deleted on drop, even
/// when the test fails.
pub struct KeyringNamespace {
    pub ns: String,
    entries: std::sync::Mutex<Vec<(String, String)>>,
}

impl KeyringNamespace {
    pub fn new() -> Self {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        Self { ns: format!("e2e-{}-{nanos}", std::process::id()), entries: std::sync::Mutex::new(Vec::new()) }
    }

    /// `base-<ns>`, the service the app uses for `base` under this namespace.
    pub fn service(&self, base: &str) -> String {
        format!("{base}-{}", self.ns)
    }

    /// Remembers an entry (`base-<ns>`, `user`) to delete at the end; returns its service.
    pub fn entry(&self, base: &str, user: &str) -> String {
        let service = self.service(base);
        if let Ok(mut e) = self.entries.lock() {
            e.push((service.clone(), user.to_owned()));
        }
        service
    }
}

impl Default for KeyringNamespace {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for KeyringNamespace {
    fn drop(&mut self) {
        let entries = self.entries.lock().map(|e| e.clone()).unwrap_or_default();
        for (service, user) in entries {
            if let Ok(entry) = keyring::Entry::new(&service, &user) {
                let _ = entry.delete_credential();
            }
        }
    }
}
