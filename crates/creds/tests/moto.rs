#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report
//! The AWS provider against a real AWS API emulator (moto_server) with IAM enforcement on.
//! moto's gaps (documented in docs/creds.md): it ignores session policies and permissions
//! boundaries, and evaluates only `StringEquals` conditions (others count as matching), so
//! the documents' semantics are tested separately (tests/policy_golden.rs).

mod support;

use std::sync::Arc;

use chrono::{Duration, Utc};
use paddock_creds::leases::ProviderFactory;
use paddock_creds::provider::BoxFuture;
use paddock_creds::{
    AdminSource, AwsConfig, AwsMode, AwsProvider, CredsError, ExposeSecret as _, GrantRequest, LeaseState, LeaseStore, Leases,
    NoObserver, Provider, Secret,
};
use support::*;

/// Builds AWS providers with the fixture's admin keys (no keyring in tests).
struct TestFactory(Keys);

impl ProviderFactory for TestFactory {
    fn build<'a>(&'a self, _: &'a str, config: &'a serde_json::Value) -> BoxFuture<'a, Result<Arc<dyn Provider>, CredsError>> {
        Box::pin(async move {
            let cfg: AwsConfig = serde_json::from_value(config.clone()).unwrap();
            let p = AwsProvider::with_admin_credentials(cfg, &self.0.id, &Secret::from(self.0.secret.clone())).await?;
            Ok(Arc::new(p) as Arc<dyn Provider>)
        })
    }
}

fn config(port: u16, mode: AwsMode, f: &Fixture) -> AwsConfig {
    let mut c = AwsConfig::new(mode, REGION, AdminSource::Profile { name: "unused-in-tests".into() });
    c.endpoint_url = Some(format!("http://127.0.0.1:{port}"));
    c.role_arn = Some(f.role_arn.clone());
    c
}

fn leases(dir: &tempfile::TempDir, f: &Fixture) -> Leases {
    let store = LeaseStore::open(&dir.path().join("leases.db")).unwrap();
    Leases::with_factory(store, Arc::new(NoObserver), Box::new(TestFactory(f.admin.clone())))
}

fn keys(issued: &paddock_creds::Issued) -> Keys {
    let paddock_creds::Credential::Aws { access_key_id, secret_access_key, session_token } = &issued.credential else {
        panic!("an AWS lease must hand out AWS credentials");
    };
    Keys {
        id: access_key_id.clone(),
        secret: secret_access_key.expose_secret().to_string(),
        token: session_token.as_ref().map(|t| t.expose_secret().to_string()),
    }
}

fn get(port: u16, path: &str, k: &Keys) -> (u16, String) {
    signed(port, "GET", path, "s3", k, b"")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_user_key_works_in_scope_is_refused_outside_and_dies_on_revoke() {
    let moto = Moto::start();
    let f = bootstrap(&moto).await;
    let dir = tempfile::tempdir().unwrap();
    let leases = leases(&dir, &f);
    let cfg = config(moto.port, AwsMode::IamUser, &f);
    let req = GrantRequest::aws("t1", vec![format!("s3:read {BUCKET}/reports")], Duration::hours(1), &cfg).unwrap();
    let (lease, issued) = leases.grant(req).await.unwrap();
    assert_eq!(leases.store().get(lease.id).unwrap().state, LeaseState::Active);
    let k = keys(&issued);

    let (st, body) = get(moto.port, &format!("/{BUCKET}/reports/q1.txt"), &k);
    assert_eq!((st, body.as_str()), (200, "q1"), "in scope: the granted prefix is readable");
    for (what, method, path) in [
        ("another prefix", "GET", format!("/{BUCKET}/private/salaries.txt")),
        ("another bucket", "GET", format!("/{OTHER_BUCKET}/x.txt")),
        ("a write", "PUT", format!("/{BUCKET}/reports/new.txt")),
    ] {
        let (st, body) = signed(moto.port, method, &path, "s3", &k, b"w");
        assert_eq!(st, 403, "out of scope ({what}) must be refused: {body}");
        assert!(body.contains("AccessDenied"), "{what}: {body}");
    }
    let (st, body) = signed(moto.port, "POST", "/", "iam", &k, b"Action=ListUsers&Version=2010-05-08");
    assert_eq!(st, 403, "IAM is out of scope: {body}");

    // While active, the account holds exactly one user with a boundary, an inline policy, a key.
    let acct = account(moto.port, &f.admin).await;
    let user = format!("paddock-{}", lease.id.simple());
    assert!(acct.users.contains(&user), "{acct:?}");
    assert!(acct.local_policies.iter().any(|p| p.ends_with(&format!("/paddock/{user}"))), "{acct:?}");
    let iam = aws_sdk_iam::Client::new(&sdk_config(moto.port, &f.admin).await);
    let u = iam.get_user().user_name(&user).send().await.unwrap();
    assert_eq!(u.user().unwrap().path(), "/paddock/");
    // (moto does not store or return user permissions boundaries: the boundary document is
    // covered by the golden tests, its attachment by the CreateUser request in the journal.)

    let after = leases.revoke(lease.id, "test").await.unwrap();
    assert_eq!(after.state, LeaseState::Revoked, "{:?}", after.last_error);
    let (st, body) = get(moto.port, &format!("/{BUCKET}/reports/q1.txt"), &k);
    assert_eq!(st, 403, "a revoked key must be refused: {body}");
    assert!(body.contains("InvalidAccessKeyId"), "{body}");
    assert_eq!(account(moto.port, &f.admin).await, pristine(&f), "revocation must leave nothing behind");

    // The history tells the whole story, and never a secret.
    let rows = leases.list_leases().unwrap();
    let row = rows.iter().find(|r| r.id == lease.id).unwrap();
    let steps: Vec<&str> = row.history.iter().map(|h| h.step.as_str()).collect();
    for s in ["aws.create_policy", "aws.create_user", "aws.put_user_policy", "aws.create_access_key", "aws.verify_access_key", "aws.deactivate_access_key", "aws.delete_access_key", "aws.delete_user", "aws.delete_policy"] {
        assert!(steps.contains(&s), "history lacks {s}: {steps:?}");
    }
    // The user never had a console password: removing it found nothing, which is that step done,
    // not a failure for a person to look into. A clean revocation shows no failed step.
    let failed: Vec<_> = row.history.iter().filter(|h| h.phase == "failed").collect();
    assert!(failed.is_empty(), "a clean revocation journaled failures: {failed:?}");
    let login = row.history.iter().find(|h| h.step == "aws.delete_login_profile" && h.phase == "done").unwrap();
    assert_eq!(login.detail, "already gone");
    let everything = std::fs::read(dir.path().join("leases.db")).unwrap();
    let wal = std::fs::read(dir.path().join("leases.db-wal")).unwrap_or_default();
    for blob in [&everything, &wal] {
        assert!(!String::from_utf8_lossy(blob).contains(&k.secret), "the secret access key reached the lease database");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assumed_role_session_works_and_is_cut_off_by_revocation() {
    let moto = Moto::start();
    let f = bootstrap(&moto).await;
    let dir = tempfile::tempdir().unwrap();
    let leases = leases(&dir, &f);
    let cfg = config(moto.port, AwsMode::AssumedRole, &f);
    let req = GrantRequest::aws("t2", vec![format!("s3:read {BUCKET}/reports")], Duration::minutes(20), &cfg).unwrap();
    let (lease, issued) = leases.grant(req).await.unwrap();
    assert!(matches!(&issued.credential, paddock_creds::Credential::Aws { session_token: Some(_), .. }));
    assert!(issued.principal.contains(":assumed-role/paddock-base/paddock-t2"), "{}", issued.principal);
    let k = keys(&issued);
    let (st, body) = get(moto.port, &format!("/{BUCKET}/reports/q1.txt"), &k);
    assert_eq!((st, body.as_str()), (200, "q1"));
    let (st, _) = get(moto.port, &format!("/{OTHER_BUCKET}/x.txt"), &k);
    assert_eq!(st, 403, "the base role itself cannot read other-data");

    let after = leases.revoke(lease.id, "test").await.unwrap();
    assert_eq!(after.state, LeaseState::Revoked, "{:?}", after.last_error);
    let (st, body) = get(moto.port, &format!("/{BUCKET}/reports/q1.txt"), &k);
    assert_eq!(st, 403, "a revoked session must be refused: {body}");
    assert!(body.contains("AccessDenied"), "{body}");

    // The Deny must outlive the session; the reaper removes it only after the session's max life.
    let cleanup_after = after.cleanup_after.expect("a revocation Deny to clean up later");
    assert!(cleanup_after > lease.expires_at);
    let report = leases.reap_at(Utc::now()).await.unwrap();
    assert!(report.cleaned.is_empty());
    let acct = account(moto.port, &f.admin).await;
    assert!(acct.role_policies.contains(&format!("{BASE_ROLE}:paddock-revoke-{}", lease.id.simple())), "{acct:?}");
    let report = leases.reap_at(cleanup_after + Duration::seconds(1)).await.unwrap();
    assert_eq!(report.cleaned, vec![lease.id]);
    assert_eq!(account(moto.port, &f.admin).await, pristine(&f));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_lease_is_reaped_and_missing_young_entities_are_not_taken_as_gone() {
    let moto = Moto::start();
    let f = bootstrap(&moto).await;
    let dir = tempfile::tempdir().unwrap();
    let leases = leases(&dir, &f);
    let cfg = config(moto.port, AwsMode::IamUser, &f);
    let req = GrantRequest::aws("t3", vec![format!("s3:read {BUCKET}")], Duration::minutes(10), &cfg).unwrap();
    let (lease, _) = leases.grant(req).await.unwrap();

    // TTL expiry: nothing happens before, revoked after.
    let r = leases.reap_at(Utc::now()).await.unwrap();
    assert!(r.revoked.is_empty());
    let r = leases.reap_at(lease.expires_at + Duration::seconds(1)).await.unwrap();
    assert_eq!(r.revoked, vec![lease.id], "{r:?}");
    assert_eq!(account(moto.port, &f.admin).await, pristine(&f));

    // A lease whose process died after journaling the CreateUser intent, before the call: IAM
    // says the user does not exist, but it could be eventual consistency — not gone yet.
    let store = leases.store();
    let mut ghost = store.get(lease.id).unwrap();
    ghost.id = uuid::Uuid::now_v7();
    ghost.state = LeaseState::Provisioning;
    ghost.created_at = Utc::now();
    ghost.revoked_at = None;
    ghost.failure = None;
    ghost.cleanup_after = None;
    ghost.next_attempt_at = None;
    ghost.last_error = None;
    ghost.owner_pid = Some(dead_pid());
    store.insert(&ghost).unwrap();
    store.record(ghost.id, "aws.create_user", "intent", "user …").unwrap();
    let now = Utc::now();
    let r = leases.reap_at(now).await.unwrap();
    assert_eq!(r.retrying.len(), 1, "{r:?}");
    assert!(r.retrying[0].1.contains("created less than 30 s ago"), "{r:?}");
    assert_eq!(store.get(ghost.id).unwrap().state, LeaseState::Revoking);
    // Past the minimum age (and the backoff), the missing user counts as gone.
    let r = leases.reap_at(now + Duration::seconds(61)).await.unwrap();
    assert_eq!(r.failed, vec![ghost.id], "{r:?}");
    let g = store.get(ghost.id).unwrap();
    assert!(g.failure.unwrap().contains("interrupted"));
}

fn dead_pid() -> u32 {
    let mut c = std::process::Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_or_invalid_grants_are_refused_before_any_call() {
    let moto = Moto::start();
    let f = bootstrap(&moto).await;
    let proxy = FaultProxy::start(moto.port, |_| Fault::Pass);
    let dir = tempfile::tempdir().unwrap();
    let leases = leases(&dir, &f);
    let cfg = config(proxy.port, AwsMode::AssumedRole, &f);
    let many: Vec<String> = (0..40).map(|i| format!("s3:read {BUCKET}/prefix-number-{i}")).collect();
    let err = leases.grant(GrantRequest::aws("big", many, Duration::hours(1), &cfg).unwrap()).await.unwrap_err();
    assert!(matches!(err, CredsError::PolicyTooLarge { max: 2048, .. }), "{err}");
    assert!(err.to_string().contains("over AWS's limit of 2048"), "{err}");
    for bad in ["s3:read Bad_Bucket", "s3:read b/*", "ec2:everything x", "raw {\"Effect\":\"Allow\"}"] {
        let err = leases.grant(GrantRequest::aws("t", vec![bad.into()], Duration::hours(1), &cfg).unwrap()).await.unwrap_err();
        assert!(matches!(err, CredsError::InvalidGrant { .. }), "{bad}: {err}");
    }
    let err = leases
        .grant(GrantRequest::aws("no spaces allowed", vec![format!("s3:read {BUCKET}")], Duration::hours(1), &cfg).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, CredsError::InvalidTask(_)), "{err}");
    assert!(leases.list_leases().unwrap().is_empty(), "no lease may be journaled for a refused grant");
    // The proxy saw no request at all: refused before any call.
    assert_eq!(proxy.requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_5xx_are_retried_and_nothing_leaks() {
    let moto = Moto::start();
    let f = bootstrap(&moto).await;
    // Every third request is refused (503 or Throttling) before reaching moto; every 11th
    // reaches moto but its answer is replaced by a 500 (the call happened, the client can't know).
    let proxy = FaultProxy::start(moto.port, |n| match (n % 3, n % 11) {
        (_, 10) => Fault::LoseResponse,
        (1, _) => Fault::Unavailable,
        (2, _) if n % 2 == 0 => Fault::Throttle,
        _ => Fault::Pass,
    });
    let dir = tempfile::tempdir().unwrap();
    let leases = leases(&dir, &f);
    let mut active = 0;
    for (i, mode) in [AwsMode::IamUser, AwsMode::AssumedRole, AwsMode::IamUser, AwsMode::AssumedRole, AwsMode::IamUser]
        .into_iter()
        .enumerate()
    {
        let cfg = config(proxy.port, mode, &f);
        let req = GrantRequest::aws(format!("f{i}"), vec![format!("s3:read {BUCKET}/reports")], Duration::minutes(20), &cfg).unwrap();
        match leases.grant(req).await {
            Ok((lease, _)) => {
                active += 1;
                leases.revoke(lease.id, "test").await.unwrap();
            }
            Err(e) => eprintln!("grant {i} failed under faults (cleaned up by revoke): {e}"),
        }
    }
    assert!(active >= 3, "retries should get most grants through the faults, got {active}/5");
    assert!(proxy.injected.load(std::sync::atomic::Ordering::SeqCst) >= 5, "the proxy must actually have injected faults");
    // Whatever is still pending, the reaper finishes (it too goes through the faulty proxy).
    let mut t = Utc::now();
    for _ in 0..20 {
        leases.reap_at(t).await.unwrap();
        if leases.list_leases().unwrap().iter().all(|l| !l.state.is_live()) {
            break;
        }
        t += Duration::minutes(20);
    }
    let rows = leases.list_leases().unwrap();
    assert!(rows.iter().all(|l| !l.state.is_live()), "{:?}", rows.iter().map(|r| (r.state, r.last_error.clone())).collect::<Vec<_>>());
    // Revocation Denies of role sessions go after their max life.
    leases.reap_at(Utc::now() + Duration::hours(2)).await.unwrap();
    assert_eq!(account(moto.port, &f.admin).await, pristine(&f), "faults must not leak anything");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphan_sweep_removes_what_no_live_lease_owns_and_keeps_the_rest() {
    let moto = Moto::start();
    let f = bootstrap(&moto).await;
    let dir = tempfile::tempdir().unwrap();
    let leases = leases(&dir, &f);
    let cfg = config(moto.port, AwsMode::IamUser, &f);
    let (live, issued) = leases
        .grant(GrantRequest::aws("keep", vec![format!("s3:read {BUCKET}/reports")], Duration::hours(1), &cfg).unwrap())
        .await
        .unwrap();

    // Objects a lost database would leave: a user with a key and policies, and a boundary policy.
    let iam = aws_sdk_iam::Client::new(&sdk_config(moto.port, &f.admin).await);
    let lost = uuid::Uuid::new_v4().simple().to_string();
    let name = format!("paddock-{lost}");
    let pol = iam
        .create_policy()
        .policy_name(&name)
        .path("/paddock/")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    iam.create_user().user_name(&name).path("/paddock/").send().await.unwrap();
    iam.attach_user_policy().user_name(&name).policy_arn(pol.policy().unwrap().arn().unwrap()).send().await.unwrap();
    iam.put_user_policy().user_name(&name).policy_name("x").policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#).send().await.unwrap();
    iam.create_access_key().user_name(&name).send().await.unwrap();
    iam.create_login_profile().user_name(&name).password("Correct-Horse-9").send().await.unwrap();

    let extra = serde_json::to_value(&cfg).unwrap();
    let removed = leases.sweep(Some(("aws", &extra))).await.unwrap();
    let kinds: Vec<(&str, bool)> = removed.iter().map(|o| (o.kind.as_str(), o.name.contains(&lost))).collect();
    assert_eq!(kinds, vec![("user", true), ("policy", true)], "{removed:?}");
    let acct = account(moto.port, &f.admin).await;
    assert!(acct.users.contains(&format!("paddock-{}", live.id.simple())), "the live lease's user must stay");
    assert!(!acct.users.contains(&name));
    let (st, _) = get(moto.port, &format!("/{BUCKET}/reports/q1.txt"), &keys(&issued));
    assert_eq!(st, 200, "the live lease still works after the sweep");

    leases.revoke(live.id, "test").await.unwrap();
    assert_eq!(account(moto.port, &f.admin).await, pristine(&f));
}
