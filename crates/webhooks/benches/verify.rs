//! Cost of verifying a delivery, against the same HMAC computed with `sha2`
//! directly (the floor), so the ratio shows what the checks add.
#![allow(clippy::unwrap_used)] // bench setup
use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use paddock_webhooks::{sign_github, sign_slack, verify_github, verify_slack};

fn bench(c: &mut Criterion) {
    let secret = b"bench-secret-0123456789";
    for size in [1024usize, 64 * 1024] {
        let body = vec![b'a'; size];
        let gh = sign_github(secret, &body);
        let sl = sign_slack(secret, "1700000000", &body);
        c.bench_function(&format!("verify_github/{size}"), |b| {
            b.iter(|| {
                verify_github(
                    secret,
                    std::hint::black_box(&gh),
                    std::hint::black_box(&body),
                )
            })
        });
        c.bench_function(&format!("verify_slack/{size}"), |b| {
            b.iter(|| {
                verify_slack(
                    secret,
                    "1700000000",
                    std::hint::black_box(&sl),
                    std::hint::black_box(&body),
                )
            })
        });
        c.bench_function(&format!("raw_hmac_floor/{size}"), |b| {
            b.iter(|| {
                let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
                mac.update(std::hint::black_box(&body));
                mac.finalize()
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
