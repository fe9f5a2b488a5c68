//! The OS-keyring secret store against the real kernel keyring (keyutils).
//! The keyutils store needs a session keyring, so the test re-runs itself
//! under `keyctl session -` (package `keyutils`), which gives the child a
//! fresh session keyring (keyring-rs also links entries into the user's
//! persistent keyring, so the test uses a unique name and deletes its entry).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use std::process::Command;

use paddock_egress::{ExposeSecret as _, KeyringSecretStore, Secret, SecretError, SecretStore};

const CHILD_ENV: &str = "PADDOCK_EGRESS_KEYRING_CHILD";
const TEST_NAME: &str = "keyring_store_sets_reads_and_deletes_a_secret";

#[test]
fn keyring_store_sets_reads_and_deletes_a_secret() {
    if std::env::var_os(CHILD_ENV).is_some() {
        // keyutils entries are also linked into the user's persistent
        // keyring and outlive the session: a unique service name per run.
        let service = format!("paddock-egress-test-{}", std::process::id());
        let store = KeyringSecretStore::new(&service);
        assert!(matches!(store.get("api-key"), Err(SecretError::NotFound(_))), "fresh keyring not empty");
        store.set("api-key", &Secret::from("value-from-keyring-123")).unwrap();
        assert_eq!(store.get("api-key").unwrap().expose_secret(), "value-from-keyring-123");
        store.delete("api-key").unwrap();
        let err = store.get("api-key").unwrap_err();
        assert!(matches!(err, SecretError::NotFound(_)), "{err}");
        println!("KEYRING-CHILD-OK");
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("keyctl")
        .args(["session", "-"])
        .arg(&exe)
        .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap_or_else(|e| panic!("this test needs `keyctl` (Debian package: keyutils): {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("KEYRING-CHILD-OK"),
        "child under `keyctl session -` failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
