#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report
//! `paddock creds` for GCP driven as a user would, against the strict local fake GCP server
//! (crates/creds/tests/support/fake_gcp.rs; verified against a fake, not live GCP) — and killed
//! with SIGKILL (PADDOCK_CREDS_CRASH_AT) at every provisioning and revocation step, then
//! restarted with `paddock creds reap`: the fake must hold nothing of ours afterwards.
//!
//! The admin authenticates with application default credentials of the `authorized_user` kind
//! (what `gcloud auth application-default login` writes) in the test's own HOME, whose token
//! endpoint is the fake's. The fake shows new accounts at once here: the eventual-consistency
//! waits are covered by crates/creds/tests/gcp.rs.

#[path = "../../creds/tests/support/fake_gcp.rs"]
mod fake_gcp;

#[path = "support/creds_cli.rs"]
mod creds_cli;

use std::process::Output;

use assert_cmd::Command;
use fake_gcp::*;
use creds_cli::{assert_killed, lease_id};
use serde_json::Value;

struct Env {
    fake: FakeGcp,
    dir: tempfile::TempDir,
    baseline: Snapshot,
}

impl Env {
    fn new() -> Env {
        let fake = FakeGcp::start();
        fake.register_refresh_token("cid.apps.googleusercontent.com", "csecret", "1//refresh-token");
        Env::with(fake, "adc")
    }

    /// The ADC user `dev@example.com` holds nothing on the project; the admin is the service
    /// account `creds-admin`, which `dev@` impersonates if it holds Token Creator on it.
    fn impersonating(token_creator: bool) -> (Env, String) {
        let fake = FakeGcp::start();
        fake.register_user("dev@example.com", "cid.apps.googleusercontent.com", "csecret", "1//refresh-token");
        let admin = fake.create_account("creds-admin", "provisions Paddock's leases");
        fake.make_project_admin(&format!("serviceAccount:{admin}"));
        if token_creator {
            fake.grant_token_creator(&admin, "user:dev@example.com");
        }
        (Env::with(fake, &format!("impersonate:{admin}")), admin)
    }

    fn with(fake: FakeGcp, admin: &str) -> Env {
        fake.set_invisible_for(std::time::Duration::ZERO);
        let dir = tempfile::tempdir().unwrap();
        let gcloud = dir.path().join(".config/gcloud");
        std::fs::create_dir_all(&gcloud).unwrap();
        std::fs::write(
            gcloud.join("application_default_credentials.json"),
            serde_json::json!({
                "type": "authorized_user",
                "client_id": "cid.apps.googleusercontent.com",
                "client_secret": "csecret",
                "refresh_token": "1//refresh-token",
                "token_uri": format!("{}/token", fake.url()),
            })
            .to_string(),
        )
        .unwrap();
        let baseline = fake.snapshot();
        let env = Env { fake, dir, baseline };
        let out = env.paddock().args(["creds", "settings", "gcp", "--project", PROJECT, "--admin", admin, "--allow-role", "roles/browser"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        env
    }

    fn paddock(&self) -> Command {
        let mut c = Command::cargo_bin("paddock").unwrap();
        c.env("PADDOCK_DATA_DIR", self.dir.path().join("data"))
            .env("HOME", self.dir.path())
            .env("PADDOCK_GCP_ENDPOINT_URL", self.fake.url())
            .env_remove("GOOGLE_APPLICATION_CREDENTIALS")
            .env_remove("CLOUDSDK_CONFIG")
            .env_remove("PADDOCK_GCP_PROJECT")
            .env_remove("PADDOCK_CREDS_CRASH_AT")
            .timeout(std::time::Duration::from_secs(180));
        c
    }

    fn grant(&self, crash: Option<&str>) -> Output {
        let mut c = self.paddock();
        c.args(["creds", "grant", "--task", "crashy", "--grant", &format!("gcs:read {BUCKET}/reports")])
            .args(["--grant", "project:role roles/browser", "--ttl", "20m", "--min-entity-age", "0"]);
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

    fn assert_clean(&self, context: &str) {
        for l in self.leases() {
            let state = l["state"].as_str().unwrap();
            assert!(state == "revoked" || state == "failed", "{context}: lease left {state}: {l}");
        }
        assert_eq!(self.fake.snapshot(), self.baseline, "{context}: something leaked");
        self.fake.assert_no_violations();
    }
}

/// The mutation steps of a clean grant + revoke, from the journal: (provisioning, revocation).
fn steps_of(env: &Env) -> (Vec<String>, Vec<String>) {
    let out = env.grant(None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id = lease_id(&out);
    let out = env.paddock().args(["creds", "revoke", &id]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lease = env.leases().into_iter().find(|l| l["id"] == id.as_str()).unwrap();
    creds_cli::mutation_steps(&lease)
}

#[test]
fn gcp_leases_survive_sigkill_at_every_step() {
    let env = Env::new();
    let (prov, rev) = steps_of(&env);
    assert_eq!(prov, ["gcp.create_service_account", "gcp.add_iam_binding", "gcp.generate_access_token"], "provisioning steps");
    assert_eq!(rev, ["gcp.disable_service_account", "gcp.remove_iam_binding", "gcp.delete_service_account"], "revocation steps");
    env.assert_clean("clean cycle");

    for step in &prov {
        for at in [format!("{step}:before"), step.clone()] {
            let out = env.grant(Some(&at));
            assert_killed(&out, &at);
            env.reap();
            env.assert_clean(&format!("killed at {at}"));
        }
    }
    for step in &rev {
        for at in [format!("{step}:before"), step.clone()] {
            let out = env.grant(None);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let id = lease_id(&out);
            let out = env.paddock().args(["creds", "revoke", &id]).env("PADDOCK_CREDS_CRASH_AT", &at).output().unwrap();
            assert_killed(&out, &at);
            env.reap();
            env.assert_clean(&format!("killed at {at} while revoking"));
        }
    }
}

#[test]
fn grant_prints_a_working_token_list_shows_the_lease_and_revoke_kills_it() {
    let env = Env::new();
    let out = env.grant(None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let get = |k: &str| stdout.lines().find_map(|l| l.strip_prefix(&format!("export {k}="))).unwrap().to_string();
    let token = get("CLOUDSDK_AUTH_ACCESS_TOKEN");
    assert_eq!(get("GOOGLE_OAUTH_ACCESS_TOKEN"), token);
    assert_eq!(get("GOOGLE_CLOUD_PROJECT"), PROJECT);
    let (st, body) = call(&env.fake, "GET", &format!("/storage/v1/b/{BUCKET}/o/reports%2Fq1.txt?alt=media"), &token, b"");
    assert_eq!((st, body.as_str()), (200, "q1"));
    // The token goes to stdout only: not to stderr (logs), not into `list`.
    assert!(!String::from_utf8_lossy(&out.stderr).contains(&token));
    let list = env.paddock().args(["-vv", "creds", "list"]).output().unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.contains("active") && text.contains("gcp") && text.contains("scope: gcs:read paddock-data/reports; project:role roles/browser"), "{text}");
    let json = env.paddock().args(["creds", "list", "--json"]).output().unwrap();
    for o in [&list, &json] {
        assert!(!String::from_utf8_lossy(&o.stdout).contains(&token) && !String::from_utf8_lossy(&o.stderr).contains(&token));
    }

    let out = env.paddock().args(["-vv", "creds", "revoke", "--task", "crashy"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("gcp.disable_service_account"), "-vv logs the steps");
    assert!(!String::from_utf8_lossy(&out.stderr).contains(&token));
    let (st, _) = call(&env.fake, "GET", &format!("/storage/v1/b/{BUCKET}/o/reports%2Fq1.txt?alt=media"), &token, b"");
    assert_eq!(st, 401);
    env.assert_clean("after revoke --task");
}

#[test]
fn a_full_project_gives_a_clear_error_and_no_lease_stays_live() {
    let env = Env::new();
    env.fake.set_quota(0);
    let out = env.grant(None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("GCP project `paddock-test-1` has no room for another service account"), "{err}");
    assert!(err.contains("Maximum number of service accounts on project reached."), "{err}");
    assert!(out.stdout.is_empty(), "no credentials printed");
    env.assert_clean("after the quota error");
}

#[test]
fn settings_refuse_escalation_roles_and_grant_needs_a_project() {
    let dir = tempfile::tempdir().unwrap();
    let paddock = || {
        let mut c = Command::cargo_bin("paddock").unwrap();
        c.env("PADDOCK_DATA_DIR", dir.path()).env_remove("PADDOCK_GCP_PROJECT");
        c
    };
    let out = paddock().args(["creds", "grant", "--task", "t", "--grant", "gcs:read some-bucket"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no GCP project: pass --project"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = paddock().args(["creds", "settings", "gcp", "--project", "my-proj-1", "--allow-role", "roles/iam.serviceAccountTokenCreator"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("IAM and Resource Manager roles can grant access"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = paddock().args(["creds", "settings", "gcp", "--project", "my-proj-1", "--admin", "impersonate:admin@my-proj-1.iam.gserviceaccount.com"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = paddock().args(["creds", "settings", "show"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["gcp"]["project"], "my-proj-1");
    assert_eq!(v["gcp"]["admin"], serde_json::json!({"source": "impersonate", "service_account": "admin@my-proj-1.iam.gserviceaccount.com"}));
    assert_eq!(v["gcp"]["allowed_roles"], serde_json::json!(["roles/storage.objectViewer", "roles/storage.objectCreator"]));
}

/// The keyring admin source end to end: a service-account key stored with `admin-key --gcp`
/// (kernel keyutils, in a fresh session keyring: `keyctl session -`, Debian package keyutils)
/// signs the admin's JWTs, which the fake verifies.
#[test]
fn a_service_account_key_in_the_keyring_provisions_and_revokes() {
    let env = Env::new();
    let admin = "paddock-admin@paddock-test-1.iam.gserviceaccount.com";
    let (sa_json, public) = admin_service_account(env.dir.path(), admin);
    env.fake.register_admin_key(admin, public);
    let key_file = env.dir.path().join("sa.json");
    std::fs::write(&key_file, &sa_json).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("paddock");
    let script = format!(
        "set -e; P='{bin}'; \"$P\" creds admin-key --gcp < '{key}'; rm '{key}'; \
         \"$P\" creds grant --task kr --grant 'gcs:read {BUCKET}/reports' --gcp-admin keyring --min-entity-age 0; \
         \"$P\" creds revoke --task kr",
        bin = bin.display(),
        key = key_file.display()
    );
    let out = std::process::Command::new("keyctl")
        .args(["session", "-", "sh", "-c", &script])
        .env("PADDOCK_DATA_DIR", env.dir.path().join("data"))
        .env("HOME", env.dir.path())
        .env("PADDOCK_GCP_ENDPOINT_URL", env.fake.url())
        .env_remove("GOOGLE_APPLICATION_CREDENTIALS")
        .env_remove("PADDOCK_CREDS_CRASH_AT")
        .output()
        .unwrap_or_else(|e| panic!("this test needs `keyctl` (Debian package keyutils): {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout: {}\nstderr: {stderr}", String::from_utf8_lossy(&out.stdout));
    assert!(stderr.contains(&format!("stored the service-account key of {admin} in the keyring as paddock/gcp-admin")), "{stderr}");
    let private: Value = serde_json::from_str(&sa_json).unwrap();
    let key_line = private["private_key"].as_str().unwrap().lines().nth(3).unwrap();
    assert!(!stderr.contains(key_line) && !String::from_utf8_lossy(&out.stdout).contains(key_line), "the key was printed");
    assert!(env.fake.requests().iter().any(|r| r.contains(":generateAccessToken → 200")), "{:?}", env.fake.requests());
    env.assert_clean("after a keyring-admin cycle");
}

/// The impersonation admin source end to end: `settings gcp --admin impersonate:EMAIL`, the
/// user's ADC file in HOME, then grant → use → revoke; every administration call carries the
/// impersonated admin account's token, the user's token only impersonates.
#[test]
fn impersonating_the_admin_account_provisions_and_revokes() {
    let (env, admin) = Env::impersonating(true);
    let out = env.grant(None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let token = stdout.lines().find_map(|l| l.strip_prefix("export CLOUDSDK_AUTH_ACCESS_TOKEN=")).unwrap().to_string();
    let (st, body) = call(&env.fake, "GET", &format!("/storage/v1/b/{BUCKET}/o/reports%2Fq1.txt?alt=media"), &token, b"");
    assert_eq!((st, body.as_str()), (200, "q1"));
    let out = env.paddock().args(["creds", "revoke", "--task", "crashy"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (st, _) = call(&env.fake, "GET", &format!("/storage/v1/b/{BUCKET}/o/reports%2Fq1.txt?alt=media"), &token, b"");
    assert_eq!(st, 401);
    env.assert_clean("after an impersonated-admin cycle");
    let impersonate = format!("POST /v1/projects/-/serviceAccounts/{admin}:generateAccessToken");
    let callers = env.fake.callers();
    for (req, who) in &callers {
        if who == "user:dev@example.com" {
            assert_eq!(req, &impersonate, "the ADC user's token only impersonates");
        } else if !req.starts_with("GET /storage/v1/b/paddock-data/o/") {
            assert_eq!(who, &format!("serviceAccount:{admin}"), "{req} must carry the impersonated token");
        }
    }
    assert!(callers.iter().any(|(r, w)| r == &impersonate && w == "user:dev@example.com"), "{callers:?}");
    assert!(callers.iter().any(|(r, _)| r == &format!("POST /v1/projects/{PROJECT}/serviceAccounts")), "{callers:?}");
}

/// Attack: the ADC user lacks Token Creator on the admin account. The grant fails with an error
/// naming the account and the role, prints no credentials, and the project holds only the admin.
#[test]
fn impersonation_without_token_creator_is_refused_clearly() {
    let (env, admin) = Env::impersonating(false);
    let out = env.grant(None);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("could not impersonate the admin service account {admin}")), "{err}");
    assert!(err.contains(&format!("needs roles/iam.serviceAccountTokenCreator on {admin}")), "{err}");
    assert!(out.stdout.is_empty(), "no credentials printed");
    assert!(env.leases().is_empty(), "no lease was recorded");
    assert_eq!(env.fake.snapshot().accounts, vec![admin], "nothing was created in the project");
    env.assert_clean("after the refused impersonation");
}
