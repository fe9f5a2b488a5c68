//! Tests that store secrets in the kernel keyring run themselves again under
//! `keyctl session -`: a fresh session keyring that the CLI processes they
//! start inherit and that is gone when the test ends, so the session keyring
//! the test was started from (shared with everything the user runs) is never
//! written.

use std::process::Command;

const CHILD_ENV: &str = "PADDOCK_CLI_KEYRING_CHILD";
const DONE: &str = "PADDOCK-CLI-KEYRING-CHILD-DONE";

/// In the child, runs `body` and marks it run to the end. In the parent,
/// runs this test binary again under `keyctl session -`, filtered to
/// `test_name`, and fails unless the child ran `body` and passed.
pub fn in_private_keyring(test_name: &str, body: impl FnOnce()) {
    if std::env::var_os(CHILD_ENV).is_some() {
        body();
        println!("{DONE}");
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("keyctl")
        .args(["session", "-"])
        .arg(&exe)
        .args(["--exact", test_name, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap_or_else(|e| panic!("this test needs `keyctl` (Debian package: keyutils): {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(DONE),
        "{test_name} failed under `keyctl session -`:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
