#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report
//! `paddock creds` driven as a user would, against moto with IAM enforcement on — and killed
//! with SIGKILL (PADDOCK_CREDS_CRASH_AT) at every provisioning and revocation step, then
//! restarted with `paddock creds reap`: the whole account must hold nothing of ours afterwards.

#[path = "../../creds/tests/support/mod.rs"]
mod support;

#[path = "support/creds_cli.rs"]
mod creds_cli;

use std::process::Output;

use assert_cmd::Command;
use creds_cli::{assert_killed, lease_id};
use serde_json::Value;
use support::*;

struct Env {
    moto: Moto,
    f: Fixture,
    dir: tempfile::TempDir,
}

impl Env {
    async fn new() -> Env {
        let moto = Moto::start();
        let f = bootstrap(&moto).await;
        let dir = tempfile::tempdir().unwrap();
        // The admin key lives in a named profile of the test's own AWS files (never in env vars).
        std::fs::write(
            dir.path().join("credentials"),
            format!("[paddock-test]\naws_access_key_id = {}\naws_secret_access_key = {}\n", f.admin.id, f.admin.secret),
        )
        .unwrap();
        std::fs::write(dir.path().join("config"), "[profile paddock-test]\nregion = us-east-1\n").unwrap();
        Env { moto, f, dir }
    }

    fn paddock(&self) -> Command {
        let mut c = Command::cargo_bin("paddock").unwrap();
        c.env("PADDOCK_DATA_DIR", self.dir.path().join("data"))
            .env("HOME", self.dir.path())
            .env("AWS_SHARED_CREDENTIALS_FILE", self.dir.path().join("credentials"))
            .env("AWS_CONFIG_FILE", self.dir.path().join("config"))
            .env("PADDOCK_AWS_ENDPOINT_URL", self.moto.url())
            .env_remove("PADDOCK_CREDS_CRASH_AT")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .timeout(std::time::Duration::from_secs(180));
        c
    }

    fn grant(&self, mode: &str, crash: Option<&str>) -> Output {
        let mut c = self.paddock();
        c.args(["creds", "grant", "--task", "crashy", "--grant", &format!("s3:read {BUCKET}/reports"), "--ttl", "20m"])
            .args(["--mode", mode, "--profile", "paddock-test", "--role-arn", &self.f.role_arn, "--min-entity-age", "0"]);
        if let Some(at) = crash {
            c.env("PADDOCK_CREDS_CRASH_AT", at);
        }
        c.output().unwrap()
    }

    fn leases(&self) -> Vec<Value> {
        creds_cli::leases(self.paddock())
    }

    fn reap(&self) {
        creds_cli::reap(self.paddock())
    }

    /// The account must hold only the bootstrap objects, plus the revocation Denies that revoked
    /// assumed-role leases must keep until their session's max life.
    async fn assert_clean(&self, context: &str) {
        let mut want = pristine(&self.f);
        for l in self.leases() {
            let state = l["state"].as_str().unwrap();
            assert!(state == "revoked" || state == "failed", "{context}: lease left {state}: {l}");
            if !l["cleanup_after"].is_null() {
                let hex = l["id"].as_str().unwrap().replace('-', "");
                want.role_policies.push(format!("{BASE_ROLE}:paddock-revoke-{hex}"));
            }
        }
        want.role_policies.sort();
        assert_eq!(account(self.moto.port, &self.f.admin).await, want, "{context}: something leaked");
    }
}

/// The mutation steps of a clean grant + revoke, from the journal: (provisioning, revocation).
fn steps_of(env: &Env, mode: &str) -> (Vec<String>, Vec<String>) {
    let out = env.grant(mode, None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id = lease_id(&out);
    let out = env.paddock().args(["creds", "revoke", &id]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lease = env.leases().into_iter().find(|l| l["id"] == id.as_str()).unwrap();
    creds_cli::mutation_steps(&lease)
}

async fn crash_everywhere(mode: &str, expect_prov: &[&str], expect_rev: &[&str]) {
    let env = Env::new().await;
    let (prov, rev) = steps_of(&env, mode);
    assert_eq!(prov, expect_prov, "{mode}: provisioning steps");
    assert_eq!(rev, expect_rev, "{mode}: revocation steps");
    env.assert_clean("clean cycle").await;

    for step in &prov {
        for at in [format!("{step}:before"), step.clone()] {
            let out = env.grant(mode, Some(&at));
            assert_killed(&out, &at);
            env.reap();
            env.assert_clean(&format!("{mode}: killed at {at}")).await;
        }
    }
    for step in &rev {
        for at in [format!("{step}:before"), step.clone()] {
            let out = env.grant(mode, None);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let id = lease_id(&out);
            let out = env.paddock().args(["creds", "revoke", &id]).env("PADDOCK_CREDS_CRASH_AT", &at).output().unwrap();
            assert_killed(&out, &at);
            env.reap();
            env.assert_clean(&format!("{mode}: killed at {at} while revoking")).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_user_mode_survives_sigkill_at_every_step() {
    crash_everywhere(
        "iam-user",
        &["aws.create_policy", "aws.create_user", "aws.put_user_policy", "aws.create_access_key"],
        &[
            "aws.deactivate_access_key",
            "aws.delete_access_key",
            "aws.delete_login_profile",
            "aws.delete_user_policy",
            "aws.delete_user",
            "aws.delete_policy",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assumed_role_mode_survives_sigkill_at_every_step() {
    crash_everywhere("assumed-role", &["aws.assume_role"], &["aws.put_role_policy"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grant_prints_working_credentials_and_list_shows_the_lease() {
    let env = Env::new().await;
    let out = env.grant("iam-user", None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let get = |k: &str| stdout.lines().find_map(|l| l.strip_prefix(&format!("export {k}="))).unwrap().to_string();
    let keys = Keys { id: get("AWS_ACCESS_KEY_ID"), secret: get("AWS_SECRET_ACCESS_KEY"), token: None };
    let (st, body) = signed(env.moto.port, "GET", &format!("/{BUCKET}/reports/q1.txt"), "s3", &keys, b"");
    assert_eq!((st, body.as_str()), (200, "q1"));
    // The secret goes to stdout only: not to stderr (logs), not into `list`.
    assert!(!String::from_utf8_lossy(&out.stderr).contains(&keys.secret));
    let list = env.paddock().args(["-v", "creds", "list"]).output().unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.contains("active") && text.contains("scope: s3:read paddock-data/reports"), "{text}");
    assert!(!text.contains(&keys.secret) && !String::from_utf8_lossy(&list.stderr).contains(&keys.secret));

    let out = env.paddock().args(["creds", "revoke", "--task", "crashy"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (st, _) = signed(env.moto.port, "GET", &format!("/{BUCKET}/reports/q1.txt"), "s3", &keys, b"");
    assert_eq!(st, 403);
    env.assert_clean("after revoke --task").await;
}

#[test]
fn bad_grants_are_refused_with_a_clear_message_and_no_lease() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("paddock")
        .unwrap()
        .env("PADDOCK_DATA_DIR", dir.path())
        .args(["creds", "grant", "--task", "t", "--grant", "s3:read bucket/*", "--mode", "iam-user", "--profile", "nope"])
        .args(["--endpoint-url", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("grant `s3:read bucket/*`: the prefix `*` contains a wildcard"), "{err}");
    let list = Command::cargo_bin("paddock").unwrap().env("PADDOCK_DATA_DIR", dir.path()).args(["creds", "list"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&list.stdout), "no leases\n");
}
