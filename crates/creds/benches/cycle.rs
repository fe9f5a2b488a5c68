//! A full provision + revoke cycle against moto_server (IAM enforcement on), per mode.
//! Target: p50 ≤ 150 ms. Run: `cargo bench -p paddock-creds --bench cycle -- --warm-up-time 1 --measurement-time 3`
//! Criterion reports the mean; the bench also prints p50/p90 of its own timed samples.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use paddock_creds::leases::ProviderFactory;
use paddock_creds::provider::BoxFuture;
use paddock_creds::{AdminSource, AwsConfig, AwsMode, AwsProvider, CredsError, GrantRequest, LeaseStore, Leases, NoObserver, Provider, Secret};
use support::*;

struct Factory(Keys);

impl ProviderFactory for Factory {
    fn build<'a>(&'a self, _: &'a str, config: &'a serde_json::Value) -> BoxFuture<'a, Result<Arc<dyn Provider>, CredsError>> {
        Box::pin(async move {
            let cfg: AwsConfig = serde_json::from_value(config.clone()).unwrap();
            Ok(Arc::new(AwsProvider::with_admin_credentials(cfg, &self.0.id, &Secret::from(self.0.secret.clone())).await?)
                as Arc<dyn Provider>)
        })
    }
}

async fn cycle(leases: &Leases, cfg: &AwsConfig, n: usize) {
    let req = GrantRequest::aws(format!("bench-{n}"), vec![format!("s3:read {BUCKET}/reports")], chrono::Duration::minutes(20), cfg).unwrap();
    let (lease, _) = leases.grant(req).await.unwrap();
    let l = leases.revoke(lease.id, "bench").await.unwrap();
    assert_eq!(l.state, paddock_creds::LeaseState::Revoked);
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let moto = Moto::start();
    let f = rt.block_on(bootstrap(&moto));
    let dir = tempfile::tempdir().unwrap();
    let leases = Leases::with_factory(
        LeaseStore::open(&dir.path().join("leases.db")).unwrap(),
        Arc::new(NoObserver),
        Box::new(Factory(f.admin.clone())),
    );
    let mut g = c.benchmark_group("provision+revoke");
    g.sample_size(20);
    for (name, mode) in [("assumed_role", AwsMode::AssumedRole), ("iam_user", AwsMode::IamUser)] {
        let mut cfg = AwsConfig::new(mode, REGION, AdminSource::Profile { name: "unused".into() });
        cfg.endpoint_url = Some(moto.url());
        cfg.role_arn = Some(f.role_arn.clone());
        let mut n = 0;
        let mut samples = Vec::new();
        g.bench_function(name, |b| {
            b.iter(|| {
                n += 1;
                let t = Instant::now();
                rt.block_on(cycle(&leases, &cfg, n));
                samples.push(t.elapsed());
            })
        });
        samples.sort();
        let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize];
        println!("{name}: {} cycles, p50 {:?}, p90 {:?}, max {:?}", samples.len(), pct(0.5), pct(0.9), samples.last().copied().unwrap_or(Duration::ZERO));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
