#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report
//! The GCP provider against the strict local fake (tests/support/fake_gcp.rs) — verified against
//! a fake, not live GCP. The admin authenticates with a real service-account key (RSA, made by
//! `openssl` per run) through google-cloud-auth; the fake verifies the signed JWT.

#[path = "support/fake_gcp.rs"]
mod fake_gcp;

use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use fake_gcp::*;
use paddock_creds::gcp::{GcpAdminSource, GcpConfig, GcpProvider, account_email, account_id};
use paddock_creds::leases::ProviderFactory;
use paddock_creds::provider::BoxFuture;
use paddock_creds::{CredsError, CredsEvent, CredsObserver, Credential, ExposeSecret as _, GrantRequest, LeaseState, LeaseStore, Leases, Provider};
use serde_json::{Value, json};

const ADMIN: &str = "paddock-admin@paddock-test-1.iam.gserviceaccount.com";

/// Builds GCP providers with the test's admin service-account key (no keyring in tests).
struct TestFactory(String);

impl ProviderFactory for TestFactory {
    fn build<'a>(&'a self, _: &'a str, config: &'a Value) -> BoxFuture<'a, Result<Arc<dyn Provider>, CredsError>> {
        Box::pin(async move {
            let cfg: GcpConfig = serde_json::from_value(config.clone()).unwrap();
            paddock_creds::gcp::install_crypto();
            let creds = google_cloud_auth::credentials::service_account::Builder::new(serde_json::from_str(&self.0).unwrap())
                .build()
                .unwrap();
            Ok(Arc::new(GcpProvider::with_credentials(cfg, creds).await?) as Arc<dyn Provider>)
        })
    }
}

/// Every event detail, for secret checks.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl CredsObserver for Recorder {
    fn on_event(&self, e: &CredsEvent<'_>) {
        self.0.lock().unwrap().push(format!("{} {:?} {}", e.action, e.phase, e.detail));
    }
}

struct Env {
    fake: FakeGcp,
    dir: tempfile::TempDir,
    leases: Leases,
    events: Arc<Recorder>,
    sa_json: String,
    baseline: Snapshot,
}

fn config(fake: &FakeGcp) -> GcpConfig {
    let mut c = GcpConfig::new(PROJECT, GcpAdminSource::Adc);
    c.endpoint_url = Some(fake.url());
    c.allowed_roles.push("roles/browser".into());
    c.visible_timeout_secs = 20;
    c
}

fn env() -> Env {
    let fake = FakeGcp::start();
    let dir = tempfile::tempdir().unwrap();
    let (sa_json, public) = admin_service_account(dir.path(), ADMIN);
    fake.register_admin_key(ADMIN, public);
    let events = Arc::new(Recorder::default());
    let store = LeaseStore::open(&dir.path().join("leases.db")).unwrap();
    let leases = Leases::with_factory(store, events.clone(), Box::new(TestFactory(sa_json.clone())));
    let baseline = fake.snapshot();
    Env { fake, dir, leases, events, sa_json, baseline }
}

fn token(issued: &paddock_creds::Issued) -> String {
    let Credential::Gcp { access_token, project } = &issued.credential else { panic!("a GCP lease hands out a GCP token") };
    assert_eq!(project, PROJECT);
    access_token.expose_secret().to_string()
}

fn req(task: &str, grants: &[&str], ttl: Duration, cfg: &GcpConfig) -> GrantRequest {
    GrantRequest::gcp(task, grants.iter().map(|s| s.to_string()).collect(), ttl, cfg).unwrap()
}

fn history(env: &Env, id: uuid::Uuid) -> Vec<(String, String, String)> {
    env.leases.store().history(id).unwrap().into_iter().map(|h| (h.step, h.phase, h.detail)).collect()
}

/// Nothing the test knows to be secret appears in the lease database, its WAL, or any event.
fn assert_no_secret(env: &Env, secrets: &[&str]) {
    let db = std::fs::read(env.dir.path().join("leases.db")).unwrap();
    let wal = std::fs::read(env.dir.path().join("leases.db-wal")).unwrap_or_default();
    let events = env.events.0.lock().unwrap().join("\n");
    for s in secrets {
        assert!(!String::from_utf8_lossy(&db).contains(s), "a secret reached the lease database");
        assert!(!String::from_utf8_lossy(&wal).contains(s), "a secret reached the lease database's WAL");
        assert!(!events.contains(s), "a secret reached an event (the audit trail)");
    }
}

/// The private key's base64 body, a line of it (what would leak if the key were logged).
fn key_line(sa_json: &str) -> String {
    let v: Value = serde_json::from_str(sa_json).unwrap();
    v["private_key"].as_str().unwrap().lines().nth(5).unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bucket_grant_works_in_scope_is_refused_outside_and_dies_on_revoke() {
    let env = env();
    let cfg = config(&env.fake);
    let (lease, issued) =
        env.leases.grant(req("t1", &[&format!("gcs:read {BUCKET}/reports")], Duration::minutes(20), &cfg)).await.unwrap();
    assert_eq!(env.leases.store().get(lease.id).unwrap().state, LeaseState::Active);
    let email = account_email(lease.id, PROJECT);
    assert_eq!(issued.principal, email);
    assert!(issued.expires_at <= lease.expires_at + Duration::seconds(5), "token outlives the lease");
    let t = token(&issued);

    let (st, body) = call(&env.fake, "GET", &format!("/storage/v1/b/{BUCKET}/o/reports%2Fq1.txt?alt=media"), &t, b"");
    assert_eq!((st, body.as_str()), (200, "q1"), "in scope: the granted prefix is readable");
    let (st, body) = call(&env.fake, "GET", &format!("/storage/v1/b/{BUCKET}/o?prefix=reports%2F"), &t, b"");
    assert_eq!(st, 200, "listing the granted prefix: {body}");
    for (what, method, path) in [
        ("another prefix", "GET", format!("/storage/v1/b/{BUCKET}/o/private%2Fsalaries.txt?alt=media")),
        ("listing another prefix", "GET", format!("/storage/v1/b/{BUCKET}/o?prefix=private%2F")),
        ("another bucket", "GET", format!("/storage/v1/b/{OTHER_BUCKET}/o/x.txt?alt=media")),
        ("a write", "POST", format!("/upload/storage/v1/b/{BUCKET}/o?uploadType=media&name=reports%2Fnew.txt")),
    ] {
        let (st, body) = call(&env.fake, method, &path, &t, b"w");
        assert_eq!(st, 403, "out of scope ({what}) must be refused: {body}");
    }
    let (st, _) = call(&env.fake, "GET", &format!("/v1/projects/{PROJECT}/serviceAccounts"), &t, b"");
    assert_eq!(st, 403, "IAM administration is out of scope");

    // While active: one account naming its lease, one conditional binding on the bucket.
    let acct = env.fake.account(&email).expect("the lease's account");
    assert!(acct.description.starts_with(&format!("paddock lease {} task t1 until ", lease.id)), "{}", acct.description);
    let ours: Vec<Value> = env
        .fake
        .bucket_bindings(BUCKET)
        .into_iter()
        .filter(|b| b["members"].to_string().contains(&email))
        .collect();
    assert_eq!(ours.len(), 1, "{ours:?}");
    assert_eq!(ours[0]["role"], "roles/storage.objectViewer");
    assert_eq!(ours[0]["condition"]["title"], account_id(lease.id));
    assert!(ours[0]["condition"]["expression"].as_str().unwrap().starts_with("request.time < timestamp(\""));

    let after = env.leases.revoke(lease.id, "test").await.unwrap();
    assert_eq!(after.state, LeaseState::Revoked, "{:?}", after.last_error);
    let (st, body) = call(&env.fake, "GET", &format!("/storage/v1/b/{BUCKET}/o/reports%2Fq1.txt?alt=media"), &t, b"");
    assert_eq!(st, 401, "a revoked token must be refused: {body}");
    assert_eq!(env.fake.snapshot(), env.baseline, "revocation must leave nothing behind");
    env.fake.assert_no_violations();

    let steps: Vec<String> = history(&env, lease.id).into_iter().map(|h| h.0).collect();
    for s in [
        "gcp.create_service_account",
        "gcp.service_account_visible",
        "gcp.add_iam_binding",
        "gcp.generate_access_token",
        "gcp.disable_service_account",
        "gcp.remove_iam_binding",
        "gcp.delete_service_account",
    ] {
        assert!(steps.iter().any(|x| x == s), "history lacks {s}: {steps:?}");
    }
    let disable = steps.iter().position(|s| s == "gcp.disable_service_account").unwrap();
    let unbind = steps.iter().position(|s| s == "gcp.remove_iam_binding").unwrap();
    assert!(disable < unbind, "the account is disabled (tokens dead) before anything else: {steps:?}");
    assert_no_secret(&env, &[&t, &key_line(&env.sa_json)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_role_and_prefix_writes_bind_with_a_deadline_and_a_long_ttl_is_shortened() {
    let env = env();
    let cfg = config(&env.fake);
    let grants = ["project:role roles/browser", &format!("gcs:write {BUCKET}/uploads")];
    let (lease, issued) = env.leases.grant(req("t2", &grants, Duration::hours(3), &cfg)).await.unwrap();
    let stored = env.leases.store().get(lease.id).unwrap();
    assert!(stored.expires_at <= stored.created_at + Duration::seconds(3600), "a 3 h TTL is cut to the 1 h token maximum");
    assert!(history(&env, lease.id).iter().any(|h| h.0 == "gcp.lifetime"), "the shortening is journaled");
    let t = token(&issued);
    let (st, body) = call(&env.fake, "POST", &format!("/upload/storage/v1/b/{BUCKET}/o?uploadType=media&name=uploads%2Fa.txt"), &t, b"a");
    assert_eq!(st, 200, "in-prefix upload: {body}");
    let (st, _) = call(&env.fake, "POST", &format!("/upload/storage/v1/b/{BUCKET}/o?uploadType=media&name=elsewhere%2Fa.txt"), &t, b"a");
    assert_eq!(st, 403, "an upload outside the prefix is refused");
    let (st, _) = call(&env.fake, "GET", &format!("/storage/v1/b/{BUCKET}/o/uploads%2Fa.txt?alt=media"), &t, b"");
    assert_eq!(st, 403, "objectCreator cannot read");

    // The project binding holds until the deadline and not after (IAM's own backstop).
    let email = account_email(lease.id, PROJECT);
    let b = env.fake.project_bindings().into_iter().find(|b| b["members"].to_string().contains(&email)).unwrap();
    assert_eq!(b["role"], "roles/browser");
    let expr = cel::parse(b["condition"]["expression"].as_str().unwrap()).unwrap();
    let at = |t| cel::Ctx { now: t, resource_name: "projects/paddock-test-1", resource_type: "", list_prefix: None };
    assert!(expr.eval(&at(stored.expires_at - Duration::seconds(1))));
    assert!(!expr.eval(&at(stored.expires_at + Duration::seconds(1))), "the binding must die at the deadline");

    env.leases.revoke(lease.id, "test").await.unwrap();
    assert_eq!(env.fake.snapshot(), env.baseline);
    env.fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grants_outside_the_allowed_roles_or_for_another_cloud_are_refused_before_any_call() {
    let env = env();
    let cfg = config(&env.fake);
    for (grant, why) in [
        ("project:role roles/owner", "never granted to a task"),
        ("project:role roles/viewer", "not in the allowed GCP roles"),
        ("gcs:role paddock-data roles/storage.objectAdmin", "not in the allowed GCP roles"),
        ("s3:read bucket", "this is a aws grant"),
    ] {
        let err = env.leases.grant(req("t", &[grant], Duration::hours(1), &cfg)).await.unwrap_err();
        assert!(matches!(err, CredsError::InvalidGrant { .. }) && err.to_string().contains(why), "{grant}: {err}");
    }
    let mut bad = cfg.clone();
    bad.allowed_roles.push("roles/iam.serviceAccountTokenCreator".into());
    let err = GrantRequest::gcp("t", vec!["gcs:read paddock-data".into()], Duration::hours(1), &bad).err().unwrap();
    assert!(err.to_string().contains("IAM and Resource Manager roles"), "{err}");
    assert!(env.leases.list_leases().unwrap().is_empty());
    assert!(env.fake.requests().is_empty(), "refused before any call: {:?}", env.fake.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_etags_are_retried_and_nobody_elses_change_is_lost() {
    let env = env();
    let cfg = config(&env.fake);
    env.fake.interfere("project", 2);
    env.fake.interfere(&format!("bucket:{BUCKET}"), 3);
    let grants = ["project:role roles/browser", &format!("gcs:read {BUCKET}")];
    let (lease, _) = env.leases.grant(req("etag", &grants, Duration::minutes(30), &cfg)).await.unwrap();
    let conflicts = history(&env, lease.id).iter().filter(|h| h.2.contains("changed meanwhile")).count();
    assert_eq!(conflicts, 5, "each stale write is noticed and retried");
    let others = |fake: &FakeGcp| {
        let all = format!("{:?}{:?}", fake.project_bindings(), fake.bucket_bindings(BUCKET));
        all.matches("other-admin-").count()
    };
    assert_eq!(others(&env.fake), 5, "the other admin's changes survive our writes");
    let email = account_email(lease.id, PROJECT);
    assert!(format!("{:?}", env.fake.project_bindings()).contains(&email));
    assert!(format!("{:?}", env.fake.bucket_bindings(BUCKET)).contains(&email));

    env.fake.interfere("project", 1);
    env.fake.interfere(&format!("bucket:{BUCKET}"), 2);
    let after = env.leases.revoke(lease.id, "test").await.unwrap();
    assert_eq!(after.state, LeaseState::Revoked, "{:?}", after.last_error);
    assert_eq!(others(&env.fake), 8);
    assert!(!format!("{:?}{:?}", env.fake.project_bindings(), env.fake.bucket_bindings(BUCKET)).contains(&email));
    assert!(env.fake.snapshot().accounts.is_empty());

    // A policy that never settles: a clear error, and the half-made lease is cleaned up.
    env.fake.interfere(&format!("bucket:{BUCKET}"), 100);
    let err = env.leases.grant(req("busy", &[&format!("gcs:read {BUCKET}")], Duration::minutes(30), &cfg)).await.unwrap_err();
    assert!(err.to_string().contains("kept changing while Paddock edited it"), "{err}");
    let l = env.leases.list_leases().unwrap().into_iter().find(|l| l.task == "busy").unwrap();
    assert_eq!(l.state, LeaseState::Failed, "{:?}", l.last_error);
    assert!(env.fake.snapshot().accounts.is_empty(), "the account of the failed grant is deleted");
    env.fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_account_quota_gives_a_clear_error_and_leaves_nothing() {
    let env = env();
    let cfg = config(&env.fake);
    for i in 0..100 {
        env.fake.create_account(&format!("someone-else-{i:03}"), "not paddock's");
    }
    let before = env.fake.snapshot();
    let err = env.leases.grant(req("full", &[&format!("gcs:read {BUCKET}")], Duration::minutes(30), &cfg)).await.unwrap_err();
    assert!(matches!(err, CredsError::ServiceAccountQuota { .. }), "{err:?}");
    let msg = err.to_string();
    for part in [
        "GCP project `paddock-test-1` has no room for another service account",
        "Maximum number of service accounts on project reached.",
        "100 per project",
        "paddock creds reap --sweep",
        "request a higher quota",
    ] {
        assert!(msg.contains(part), "the quota error should say `{part}`: {msg}");
    }
    let creates = env.fake.requests().iter().filter(|r| r.starts_with("POST /v1/projects/paddock-test-1/serviceAccounts ")).count();
    assert_eq!(creates, 1, "a quota error is not retried: {:?}", env.fake.requests());
    let l = &env.leases.list_leases().unwrap()[0];
    assert_eq!(l.state, LeaseState::Failed);
    assert!(l.failure.as_deref().unwrap().contains("no room"));
    assert_eq!(env.fake.snapshot(), before);
    env.fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_not_yet_visible_are_waited_for_and_not_taken_as_gone() {
    let env = env();
    let cfg = config(&env.fake);
    env.fake.set_invisible_for(StdDuration::from_millis(1500));
    let (lease, _) = env.leases.grant(req("slow", &[&format!("gcs:read {BUCKET}")], Duration::minutes(30), &cfg)).await.unwrap();
    let h = history(&env, lease.id);
    let visible = h.iter().find(|h| h.0 == "gcp.service_account_visible").unwrap();
    assert!(!visible.2.contains("after 0 misses"), "the fake hid the account for 1.5 s: {visible:?}");
    env.leases.revoke(lease.id, "test").await.unwrap();
    assert_eq!(env.fake.snapshot(), env.baseline);

    // A process died right after journaling the create intent: IAM shows no account, which
    // may be eventual consistency — not gone until the minimum age has passed.
    let store = env.leases.store();
    let mut ghost = store.get(lease.id).unwrap();
    ghost.id = uuid::Uuid::now_v7();
    ghost.state = LeaseState::Provisioning;
    ghost.created_at = Utc::now();
    ghost.revoked_at = None;
    ghost.failure = None;
    ghost.owner_pid = Some(dead_pid());
    store.insert(&ghost).unwrap();
    store.record(ghost.id, "gcp.create_service_account", "intent", "service account …").unwrap();
    let now = Utc::now();
    let r = env.leases.reap_at(now).await.unwrap();
    assert_eq!(r.retrying.len(), 1, "{r:?}");
    assert!(r.retrying[0].1.contains("created less than 60 s ago"), "{r:?}");
    let r = env.leases.reap_at(now + Duration::seconds(120)).await.unwrap();
    assert_eq!(r.failed, vec![ghost.id], "{r:?}");
    env.fake.assert_no_violations();
}

fn dead_pid() -> u32 {
    let mut c = std::process::Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_leases_are_reaped() {
    let env = env();
    let cfg = config(&env.fake);
    let (lease, issued) = env.leases.grant(req("ttl", &[&format!("gcs:read {BUCKET}")], Duration::minutes(10), &cfg)).await.unwrap();
    let r = env.leases.reap_at(Utc::now()).await.unwrap();
    assert!(r.revoked.is_empty());
    let r = env.leases.reap_at(lease.expires_at + Duration::seconds(1)).await.unwrap();
    assert_eq!(r.revoked, vec![lease.id]);
    let (st, _) = call(&env.fake, "GET", &format!("/storage/v1/b/{BUCKET}/o/reports%2Fq1.txt?alt=media"), &token(&issued), b"");
    assert_eq!(st, 401);
    assert_eq!(env.fake.snapshot(), env.baseline);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphan_sweep_removes_lost_accounts_and_dead_bindings_and_keeps_the_rest() {
    let env = env();
    let cfg = config(&env.fake);
    let (live, issued) = env.leases.grant(req("keep", &[&format!("gcs:read {BUCKET}/reports")], Duration::hours(1), &cfg)).await.unwrap();

    // What a lost lease database leaves: an account of ours with a key and a project binding,
    // and a binding of an account of ours that was deleted without unbinding.
    let lost = uuid::Uuid::now_v7();
    let lost_email = env.fake.create_account(&account_id(lost), &format!("paddock lease {lost} task gone until 2030-01-01T00:00:00Z"));
    env.fake.add_key(&lost_email);
    let cond = |id: &str| json!({"title": id, "description": "x", "expression": "request.time < timestamp(\"2099-01-01T00:00:00Z\")"});
    env.fake.add_project_binding(json!({"role": "roles/browser", "members": [format!("serviceAccount:{lost_email}")], "condition": cond(&account_id(lost))}));
    let dead = uuid::Uuid::now_v7();
    let dead_member = format!("deleted:serviceAccount:{}?uid=42", account_email(dead, PROJECT));
    env.fake.add_project_binding(json!({"role": "roles/browser", "members": [dead_member], "condition": cond(&account_id(dead))}));
    // Not ours: a hand-made paddock- account (no lease in its description).
    let foreign = env.fake.create_account("paddock-build-bot", "CI runner, made by hand");

    let removed = env.leases.sweep(Some(("gcp", &serde_json::to_value(&cfg).unwrap()))).await.unwrap();
    let kinds: Vec<(&str, &str)> = removed.iter().map(|o| (o.kind.as_str(), o.name.as_str())).collect();
    assert_eq!(kinds, vec![("service_account", lost_email.as_str()), ("project_binding", dead_member.as_str())], "{removed:?}");
    let snap = env.fake.snapshot();
    assert_eq!(snap.accounts, {
        let mut v = vec![account_email(live.id, PROJECT), foreign.clone()];
        v.sort();
        v
    });
    assert!(!snap.project_bindings.iter().any(|b| b.contains(&account_id(lost)) || b.contains(&account_id(dead))), "{snap:?}");
    let (st, _) = call(&env.fake, "GET", &format!("/storage/v1/b/{BUCKET}/o/reports%2Fq1.txt?alt=media"), &token(&issued), b"");
    assert_eq!(st, 200, "the live lease still works after the sweep");
    env.leases.revoke(live.id, "test").await.unwrap();
    assert_eq!(env.fake.snapshot().accounts, vec![foreign]);
    env.fake.assert_no_violations();
}

/// Everything google-cloud-auth, the generated clients and reqwest log at TRACE during a whole
/// grant + revoke must be free of the token and the admin key.
#[tokio::test(flavor = "current_thread")]
async fn no_secret_reaches_the_logs() {
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let env = env();
    let store = LeaseStore::open(&env.dir.path().join("traced.db")).unwrap();
    let leases = Leases::with_factory(store, Arc::new(paddock_creds::TracingObserver), Box::new(TestFactory(env.sa_json.clone())));
    let cfg = config(&env.fake);
    let (lease, issued) = leases.grant(req("logs", &[&format!("gcs:read {BUCKET}")], Duration::minutes(5), &cfg)).await.unwrap();
    leases.revoke(lease.id, "test").await.unwrap();
    let t = token(&issued);
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("gcp.generate_access_token"), "the capture works (it saw the journal events)");
    assert!(!logs.contains(&t), "the access token reached the logs");
    assert!(!logs.contains(&key_line(&env.sa_json)), "the admin key reached the logs");
    assert!(!format!("{issued:?}").contains(&t), "Issued's Debug shows the token");
}

/// The fake itself: each case is a request sequence from tests/data/fake_gcp.json with the
/// status it must get and whether it counts as a protocol violation (a test failure for a
/// real client). This is what keeps the fake from passing a wrong client.
#[test]
fn the_fake_answers_and_rejects_as_documented() {
    let cases: Value = serde_json::from_str(include_str!("data/fake_gcp.json")).unwrap();
    for case in cases.as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let fake = FakeGcp::start();
        fake.set_invisible_for(StdDuration::ZERO);
        fake.register_refresh_token("cid", "csecret", "rtoken");
        let (st, body) = call(&fake, "POST", "/token", "", br#"{"grant_type":"refresh_token","client_id":"cid","client_secret":"csecret","refresh_token":"rtoken"}"#);
        assert_eq!(st, 200, "{name}: token endpoint: {body}");
        let admin = serde_json::from_str::<Value>(&body).unwrap()["access_token"].as_str().unwrap().to_string();
        // A user who holds nothing on the project (no admin, no Token Creator anywhere).
        fake.register_user("dev@example.com", "ucid", "usecret", "urtoken");
        let (st, body) = call(&fake, "POST", "/token", "", br#"{"grant_type":"refresh_token","client_id":"ucid","client_secret":"usecret","refresh_token":"urtoken"}"#);
        assert_eq!(st, 200, "{name}: token endpoint (user): {body}");
        let user = serde_json::from_str::<Value>(&body).unwrap()["access_token"].as_str().unwrap().to_string();
        let mut task_token = String::new();
        for (i, step) in case["steps"].as_array().unwrap().iter().enumerate() {
            let etag = |resource: &str| {
                let path = if resource == "project" {
                    ("POST", format!("/v3/projects/{PROJECT}:getIamPolicy"), r#"{"options":{"requestedPolicyVersion":3}}"#.to_string())
                } else {
                    ("GET", format!("/storage/v1/b/{BUCKET}/iam?optionsRequestedPolicyVersion=3"), String::new())
                };
                let (_, b) = call(&fake, path.0, &path.1, &admin, path.2.as_bytes());
                serde_json::from_str::<Value>(&b).unwrap()["etag"].as_str().unwrap().to_string()
            };
            let subst = |s: &str| {
                let mut s = s.replace("{PROJECT}", PROJECT).replace("{BUCKET}", BUCKET);
                if s.contains("{RM_ETAG}") {
                    s = s.replace("{RM_ETAG}", &etag("project"));
                }
                if s.contains("{GCS_ETAG}") {
                    s = s.replace("{GCS_ETAG}", &etag("bucket"));
                }
                s
            };
            let path = subst(step["path"].as_str().unwrap());
            let body = step.get("body").map(|b| subst(&b.to_string())).unwrap_or_default();
            let who = match step["as"].as_str().unwrap_or("admin") {
                "admin" => admin.clone(),
                "task" => task_token.clone(),
                "user" => user.clone(),
                "nobody" => String::new(),
                other => other.to_string(),
            };
            let violations_before = fake.violations().len();
            let (st, resp) = call(&fake, step["method"].as_str().unwrap(), &path, &who, body.as_bytes());
            let want = step["status"].as_u64().unwrap() as u16;
            assert_eq!(st, want, "{name} step {i} ({path}): {resp}");
            if let Some(frag) = step["expect"].as_str() {
                assert!(resp.contains(frag), "{name} step {i}: expected `{frag}` in {resp}");
            }
            let violated = fake.violations().len() > violations_before;
            assert_eq!(violated, step["violation"].as_bool().unwrap_or(false), "{name} step {i}: violation flag; {:?}", fake.violations());
            if let Some(t) = serde_json::from_str::<Value>(&resp).ok().and_then(|v| v["accessToken"].as_str().map(str::to_string)) {
                task_token = t;
            }
        }
    }
}

/// The impersonation admin source: the user's ADC (`authorized_user`, token endpoint on the fake)
/// → `generateAccessToken` on the admin service account → every admin call with that token.
mod impersonation {
    use super::*;

    pub const USER: &str = "dev@example.com";

    /// Builds providers the way `GcpProvider::new` does, with the test's ADC file contents.
    pub struct AdcFactory(pub Value);

    impl ProviderFactory for AdcFactory {
        fn build<'a>(&'a self, _: &'a str, config: &'a Value) -> BoxFuture<'a, Result<Arc<dyn Provider>, CredsError>> {
            Box::pin(async move {
                let cfg: GcpConfig = serde_json::from_value(config.clone()).unwrap();
                Ok(Arc::new(GcpProvider::with_adc_file(cfg, Some(self.0.clone())).await?) as Arc<dyn Provider>)
            })
        }
    }

    pub struct Imp {
        pub fake: FakeGcp,
        pub _dir: tempfile::TempDir,
        pub leases: Leases,
        pub admin: String,
        pub cfg: GcpConfig,
        pub baseline: Snapshot,
    }

    /// A project administered by the service account `creds-admin`; the ADC user `dev@` holds
    /// nothing on the project, and roles/iam.serviceAccountTokenCreator on `creds-admin` only if
    /// `token_creator`.
    pub fn setup(token_creator: bool) -> Imp {
        let fake = FakeGcp::start();
        fake.register_user(USER, "cid.apps.googleusercontent.com", "csecret", "1//user-refresh");
        let admin = fake.create_account("creds-admin", "provisions Paddock's leases");
        fake.make_project_admin(&format!("serviceAccount:{admin}"));
        if token_creator {
            fake.grant_token_creator(&admin, &format!("user:{USER}"));
        }
        let adc = json!({
            "type": "authorized_user",
            "client_id": "cid.apps.googleusercontent.com",
            "client_secret": "csecret",
            "refresh_token": "1//user-refresh",
            "token_uri": format!("{}/token", fake.url()),
        });
        let dir = tempfile::tempdir().unwrap();
        let store = LeaseStore::open(&dir.path().join("leases.db")).unwrap();
        let leases = Leases::with_factory(store, Arc::new(Recorder::default()), Box::new(AdcFactory(adc)));
        let mut cfg = GcpConfig::new(PROJECT, GcpAdminSource::Impersonate { service_account: admin.clone() });
        cfg.endpoint_url = Some(fake.url());
        cfg.visible_timeout_secs = 20;
        let baseline = fake.snapshot();
        Imp { fake, _dir: dir, leases, admin, cfg, baseline }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impersonating_an_admin_account_grants_and_revokes_with_its_token_only() {
    let imp = impersonation::setup(true);
    let user = format!("user:{}", impersonation::USER);
    let admin = format!("serviceAccount:{}", imp.admin);
    let (lease, issued) =
        imp.leases.grant(req("imp", &[&format!("gcs:read {BUCKET}/reports")], Duration::minutes(20), &imp.cfg)).await.unwrap();
    let t = token(&issued);
    let (st, body) = call(&imp.fake, "GET", &format!("/storage/v1/b/{BUCKET}/o/reports%2Fq1.txt?alt=media"), &t, b"");
    assert_eq!((st, body.as_str()), (200, "q1"), "the lease's token works");
    let after = imp.leases.revoke(lease.id, "test").await.unwrap();
    assert_eq!(after.state, LeaseState::Revoked, "{:?}", after.last_error);
    let (st, _) = call(&imp.fake, "GET", &format!("/storage/v1/b/{BUCKET}/o/reports%2Fq1.txt?alt=media"), &t, b"");
    assert_eq!(st, 401, "revoked");
    assert_eq!(imp.fake.snapshot(), imp.baseline, "revocation leaves nothing behind");
    imp.fake.assert_no_violations();

    let requests = imp.fake.requests();
    assert!(requests.iter().any(|r| r == "POST /token → 200"), "the ADC user's refresh token was exchanged: {requests:?}");
    let callers = imp.fake.callers();
    let impersonate = format!("POST /v1/projects/-/serviceAccounts/{}:generateAccessToken", imp.admin);
    let by = |p: &str| callers.iter().filter(|(_, who)| who == p).map(|(r, _)| r.clone()).collect::<Vec<_>>();
    let user_calls = by(&user);
    assert!(!user_calls.is_empty() && user_calls.iter().all(|r| *r == impersonate), "the ADC user's token only impersonates: {user_calls:?}");
    let admin_calls = by(&admin);
    for step in [
        format!("POST /v1/projects/{PROJECT}/serviceAccounts"),
        format!("PUT /storage/v1/b/{BUCKET}/iam"),
        format!("POST /v1/projects/-/serviceAccounts/{}:generateAccessToken", account_email(lease.id, PROJECT)),
        format!("DELETE /v1/projects/{PROJECT}/serviceAccounts/{}", account_email(lease.id, PROJECT)),
    ] {
        assert!(admin_calls.contains(&step), "`{step}` was made with the impersonated admin token: {admin_calls:?}");
    }
    let task = format!("serviceAccount:{}", account_email(lease.id, PROJECT));
    let others: Vec<_> = callers.iter().filter(|(_, who)| *who != user && *who != admin && *who != task).collect();
    assert!(others.is_empty(), "only the user, the admin account and the task's token called: {others:?}");
}

/// Attack: the ADC user lacks roles/iam.serviceAccountTokenCreator on the admin account (or
/// names an account that is not theirs to use). The grant fails before any lease or resource
/// exists, and the error names the account and the missing role.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impersonation_without_token_creator_fails_clearly_and_creates_nothing() {
    let imp = impersonation::setup(false);
    let err =
        imp.leases.grant(req("imp", &[&format!("gcs:read {BUCKET}/reports")], Duration::minutes(20), &imp.cfg)).await.unwrap_err();
    assert!(matches!(err, CredsError::AdminCredentials(_)), "{err:?}");
    let msg = err.to_string();
    for part in [
        format!("could not impersonate the admin service account {}", imp.admin),
        "needs roles/iam.serviceAccountTokenCreator on".to_string(),
        "Permission 'iam.serviceAccounts.getAccessToken' denied".to_string(),
    ] {
        assert!(msg.contains(&part), "the error should say `{part}`: {msg}");
    }
    assert!(imp.leases.list_leases().unwrap().is_empty(), "no lease was recorded");
    assert_eq!(imp.fake.snapshot(), imp.baseline, "nothing was created in the project");
    assert_eq!(imp.fake.snapshot().accounts, vec![imp.admin.clone()], "the project holds only the admin account");
    let requests = imp.fake.requests();
    let impersonate = format!("POST /v1/projects/-/serviceAccounts/{}:generateAccessToken", imp.admin);
    assert!(requests.iter().any(|r| *r == format!("{impersonate} → 403")), "{requests:?}");
    assert!(
        requests.iter().all(|r| r.starts_with("POST /token ") || r.starts_with(&impersonate)),
        "no administration was attempted: {requests:?}"
    );
    imp.fake.assert_no_violations();
}
