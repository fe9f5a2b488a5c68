//! Egress proxy overhead on loopback, side by side with a direct connection
//! in the same run:
//! - added latency per HTTP request (keep-alive client; the proxy opens a
//!   fresh upstream connection per request, as it does in production);
//! - CONNECT tunnel throughput (bulk upload through the tunnel to a sink).
//!
//! `cargo bench -p paddock-egress --bench egress`. Without `--bench` (e.g.
//! `cargo test --all-targets`) it runs a tiny smoke pass.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::Request;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use paddock_egress::{MemorySecretStore, Policy, Proxy, ProxyConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn http_upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (s, _) = listener.accept().await.unwrap();
            let _ = s.set_nodelay(true);
            tokio::spawn(async move {
                let svc = service_fn(|_req| async {
                    Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(b"{\"ok\":true}"))))
                });
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(s), svc).await;
            });
        }
    });
    addr
}

/// Reads everything, then answers one byte so the sender knows it all arrived.
async fn sink() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 256 * 1024];
                while s.read(&mut buf).await.map(|n| n > 0).unwrap_or(false) {}
                let _ = s.write_all(b"k").await;
            });
        }
    });
    addr
}

async fn start_proxy(upstream_port: u16, sink_port: u16) -> SocketAddr {
    let policy = Policy::from_toml(&format!(
        "[[allow]]\nid = \"bench\"\nhosts = [\"127.0.0.1\"]\nports = [{upstream_port}, {sink_port}]\n"
    ))
    .unwrap();
    let proxy = Proxy::new(ProxyConfig::new(policy, Arc::new(MemorySecretStore::new()))).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { proxy.serve_tcp(listener).await });
    addr
}

/// Per-request latencies over one keep-alive connection to `connect_to`.
async fn latencies(connect_to: SocketAddr, uri: &str, n: usize) -> Vec<Duration> {
    let s = TcpStream::connect(connect_to).await.unwrap();
    s.set_nodelay(true).unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(s)).await.unwrap();
    tokio::spawn(conn);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let req = Request::get(uri).header("host", "127.0.0.1").body(Empty::<Bytes>::new()).unwrap();
        sender.ready().await.unwrap();
        let t = Instant::now();
        let resp = sender.send_request(req).await.unwrap();
        assert!(resp.status().is_success(), "{}", resp.status());
        resp.into_body().collect().await.unwrap();
        out.push(t.elapsed());
    }
    out.sort();
    out
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Sends `total` bytes over `s` and waits for the sink's acknowledgement.
async fn push(mut s: TcpStream, total: usize) -> Duration {
    let chunk = vec![0x5au8; 256 * 1024];
    let t = Instant::now();
    let mut sent = 0;
    while sent < total {
        s.write_all(&chunk).await.unwrap();
        sent += chunk.len();
    }
    s.shutdown().await.unwrap();
    let mut ack = [0u8; 1];
    s.read_exact(&mut ack).await.unwrap();
    t.elapsed()
}

async fn tunnel(proxy: SocketAddr, target: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(proxy).await.unwrap();
    s.set_nodelay(true).unwrap();
    s.write_all(format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut b).await.unwrap();
        head.push(b[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&head));
    s
}

fn gbit(bytes: usize, d: Duration) -> f64 {
    bytes as f64 * 8.0 / d.as_secs_f64() / 1e9
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (n, bytes, rounds) = if full { (5000, 2usize << 30, 3) } else { (20, 4 << 20, 1) };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async move {
        let upstream = http_upstream().await;
        let sink_addr = sink().await;
        let proxy = start_proxy(upstream.port(), sink_addr.port()).await;

        // Warm up both paths, then interleave measurement rounds.
        latencies(upstream, "/", n / 10 + 1).await;
        latencies(proxy, &format!("http://{upstream}/"), n / 10 + 1).await;
        let direct = latencies(upstream, "/v1/messages", n).await;
        let proxied = latencies(proxy, &format!("http://{upstream}/v1/messages"), n).await;
        let (d50, p50) = (pct(&direct, 0.5), pct(&proxied, 0.5));
        println!("latency over {n} sequential requests (loopback, keep-alive client):");
        println!(
            "  direct   p50 {:>8.1} us   p99 {:>8.1} us",
            d50.as_secs_f64() * 1e6,
            pct(&direct, 0.99).as_secs_f64() * 1e6
        );
        println!(
            "  proxied  p50 {:>8.1} us   p99 {:>8.1} us",
            p50.as_secs_f64() * 1e6,
            pct(&proxied, 0.99).as_secs_f64() * 1e6
        );
        println!(
            "  added p50 {:.1} us (target <= 1000 us); ratio proxied/direct p50 = {:.2}",
            (p50.as_secs_f64() - d50.as_secs_f64()) * 1e6,
            p50.as_secs_f64() / d50.as_secs_f64()
        );

        let mut best_direct = Duration::MAX;
        let mut best_tunnel = Duration::MAX;
        for _ in 0..rounds {
            let s = TcpStream::connect(sink_addr).await.unwrap();
            best_direct = best_direct.min(push(s, bytes).await);
            let s = tunnel(proxy, sink_addr).await;
            best_tunnel = best_tunnel.min(push(s, bytes).await);
        }
        let (gd, gt) = (gbit(bytes, best_direct), gbit(bytes, best_tunnel));
        println!("throughput, {} MiB upload, best of {rounds}:", bytes >> 20);
        println!("  direct  {gd:>6.2} Gbit/s");
        println!("  tunnel  {gt:>6.2} Gbit/s (target >= 1 Gbit/s); ratio tunnel/direct = {:.2}", gt / gd);
    });
}
