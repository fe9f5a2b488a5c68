//! What the AWS and GCP `paddock creds` tests both do with the CLI: read a
//! lease id from `grant`, list leases, reap, check a crash point killed the
//! process, and split a lease's journal into its provisioning and revocation
//! steps.

use std::os::unix::process::ExitStatusExt;
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

/// The lease id `paddock creds grant` printed.
pub fn lease_id(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout.lines().find_map(|l| l.strip_prefix("export PADDOCK_LEASE=")).unwrap().to_string()
}

/// `PADDOCK_CREDS_CRASH_AT=<at>` must have SIGKILLed the process.
pub fn assert_killed(out: &Output, at: &str) {
    assert_eq!(
        out.status.signal(),
        Some(9),
        "PADDOCK_CREDS_CRASH_AT={at} should have killed the process; status {:?}, stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `paddock creds list --json`.
pub fn leases(mut paddock: Command) -> Vec<Value> {
    let out = paddock.args(["creds", "list", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<Value>(&out.stdout).unwrap().as_array().unwrap().clone()
}

/// `paddock creds reap`, which must finish whatever a crash left.
pub fn reap(mut paddock: Command) {
    let out = paddock.args(["creds", "reap"]).output().unwrap();
    assert!(
        out.status.success(),
        "reap after a crash must finish the job\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The mutation steps in a lease's journal, in order, each once: (provisioning, revocation),
/// split where the lease became active.
pub fn mutation_steps(lease: &Value) -> (Vec<String>, Vec<String>) {
    let (mut prov, mut rev, mut active) = (Vec::new(), Vec::new(), false);
    for h in lease["history"].as_array().unwrap() {
        if h["step"] == "state" && h["detail"].as_str().unwrap().starts_with("active") {
            active = true;
        }
        if h["phase"] == "intent" {
            let s = h["step"].as_str().unwrap().to_string();
            let list = if active { &mut rev } else { &mut prov };
            if !list.contains(&s) {
                list.push(s);
            }
        }
    }
    (prov, rev)
}
