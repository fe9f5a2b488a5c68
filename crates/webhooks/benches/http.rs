//! One signed GitHub `ping` over loopback HTTP, end to end (connect, verify,
//! replay check, two SQLite writes, reply), against a bare hyper server that
//! answers 200 to anything: the ratio is what verification and recording cost.
#![allow(clippy::unwrap_used, clippy::expect_used)] // bench setup
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use paddock_webhooks::{
    Listener, ListenerConfig, MemorySecretStore, Secret, Source, Store, SystemClock, sign_github,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const SECRET: &str = "bench-secret";

async fn roundtrip(addr: SocketAddr, n: u64) {
    let body = br#"{"zen":"Half measures are as bad as nothing at all.","hook_id":1}"#;
    let request = format!(
        "POST /github HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n\
         X-GitHub-Event: ping\r\nX-GitHub-Delivery: bench-{n}\r\nX-Hub-Signature-256: {}\r\nContent-Length: {}\r\n\r\n",
        sign_github(SECRET.as_bytes(), body),
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await.unwrap();
    assert!(
        reply.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&reply)
    );
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (listener_addr, bare_addr) = rt.block_on(async {
        let secrets = MemorySecretStore::new();
        secrets.insert(Source::Github, Secret::from(SECRET));
        let store = Arc::new(Store::open(&dir.path().join("bench.db")).unwrap());
        let listener = Listener::new(
            ListenerConfig::default(),
            Arc::new(secrets),
            store,
            Arc::new(SystemClock),
            Vec::new(),
        );
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let listener_addr = tcp.local_addr().unwrap();
        tokio::spawn(async move { listener.serve(tcp).await });

        let bare = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let bare_addr = bare.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (s, _) = bare.accept().await.unwrap();
                tokio::spawn(async move {
                    let svc = service_fn(|_req| async {
                        Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(
                            b"{}",
                        ))))
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(s), svc)
                        .await;
                });
            }
        });
        (listener_addr, bare_addr)
    });
    let counter = AtomicU64::new(0);
    c.bench_function("http/bare_hyper_200", |b| {
        b.iter(|| {
            rt.block_on(roundtrip(
                bare_addr,
                counter.fetch_add(1, Ordering::Relaxed),
            ))
        })
    });
    c.bench_function("http/listener_signed_ping", |b| {
        b.iter(|| {
            rt.block_on(roundtrip(
                listener_addr,
                counter.fetch_add(1, Ordering::Relaxed),
            ))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
