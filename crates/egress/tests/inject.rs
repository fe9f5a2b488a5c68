//! Credential injection: the client holds only a placeholder; the real key
//! arrives at a TLS upstream (its own rcgen CA) and nowhere else.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

mod common;

use common::*;
use paddock_egress::{Decision, RequestKind};

const SECRET: &str = "sk-ant-REAL-SECRET-4f9c2a7e-never-in-the-sandbox";
const PLACEHOLDER: &str = "sk-ant-placeholder-from-paddock";

fn service_policy(tls_port: u16) -> String {
    format!(
        r#"
[[service]]
name = "anthropic"
kind = "anthropic"
secret = "anthropic-key"
upstream = "https://localhost:{tls_port}"
private = true

[[service]]
name = "gh"
kind = "github"
secret = "gh-token"
upstream = "https://localhost:{tls_port}/api/v3"
private = true

[[service]]
name = "no-private"
kind = "openai"
secret = "anthropic-key"
upstream = "https://localhost:{tls_port}"
"#
    )
}

async fn setup() -> (Upstream, TestProxy, TestCa) {
    let ca = test_ca();
    let up = start_tls_upstream(&ca).await;
    let opts = ProxyOptions {
        ca_pem: Some(ca.ca_pem.clone()),
        secrets: vec![("anthropic-key".into(), SECRET.into()), ("gh-token".into(), "ghp_REALTOKEN123".into())],
        ..Default::default()
    };
    let proxy = start_proxy(&service_policy(up.port()), opts).await;
    (up, proxy, ca)
}

#[tokio::test]
async fn curl_placeholder_key_is_replaced_by_the_real_key_over_tls() {
    let (up, mut proxy, _ca) = setup().await;
    let url = format!("{}/_svc/anthropic/v1/messages?beta=true", proxy.url());
    let out = curl(&[
        "-H",
        &format!("x-api-key: {PLACEHOLDER}"),
        "-H",
        &format!("Authorization: Bearer {PLACEHOLDER}"),
        "-H",
        "content-type: application/json",
        "--data",
        "{\"model\":\"claude\"}",
        &url,
    ])
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("upstream saw: POST /v1/messages?beta=true"), "{}", stdout(&out));
    assert!(!stdout(&out).contains(SECRET));
    let seen = up.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("x-api-key"), Some(SECRET), "real key must arrive upstream");
    assert_eq!(seen[0].header("authorization"), None, "client credentials must be stripped");
    assert_eq!(seen[0].header("host"), Some(format!("localhost:{}", up.port()).as_str()));
    assert!(!format!("{:?}", seen[0].headers).contains(PLACEHOLDER), "placeholder leaked upstream");
    let r = proxy.next_record().await;
    assert_eq!((r.kind, r.decision, r.status), (RequestKind::Service, Decision::Allowed, Some(200)));
    assert_eq!(r.service.as_deref(), Some("anthropic"));
    assert_eq!(r.path, "/v1/messages?beta=");
    assert_eq!(r.bytes_up, "{\"model\":\"claude\"}".len() as u64);
    assert!(!serde_json::to_string(&r).unwrap().contains(SECRET));
}

#[tokio::test]
async fn python_client_through_proxy_env_reaches_service_with_base_path() {
    // The agent has HTTP_PROXY pointing at the proxy *and* a base URL on the
    // proxy: the absolute-form request to the loopback base URL is still a
    // service request.
    let (up, proxy, _ca) = setup().await;
    let script = r#"
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": sys.argv[1]}))
req = urllib.request.Request(sys.argv[1] + "/_svc/gh/repos/o/r", headers={"Authorization": "token placeholder"})
print(opener.open(req, timeout=60).read().decode())
"#;
    let out = python(script, &[proxy.url()]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("upstream saw: GET /api/v3/repos/o/r"), "{}", stdout(&out));
    assert_eq!(up.seen()[0].header("authorization"), Some("Bearer ghp_REALTOKEN123"));
}

#[tokio::test]
async fn server_sent_events_stream_through_unbuffered() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (up, proxy, _ca) = setup().await;
    let mut s = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    s.write_all(b"GET /_svc/anthropic/sse HTTP/1.1\r\nHost: x\r\nx-api-key: placeholder\r\n\r\n").await.unwrap();
    // The upstream sends the second event only after we saw the first: if
    // the proxy buffered the stream, the first would never arrive.
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains("data: first") {
        let n = tokio::time::timeout(TIMEOUT, s.read(&mut buf)).await.expect("first event was buffered").unwrap();
        assert!(n > 0, "connection closed early: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    assert!(!String::from_utf8_lossy(&got).contains("data: second"));
    up.sse_gate.notify_one();
    while !String::from_utf8_lossy(&got).contains("data: second") {
        let n = tokio::time::timeout(TIMEOUT, s.read(&mut buf)).await.expect("second event missing").unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
}

#[tokio::test]
async fn unknown_service_untrusted_cert_and_private_upstream_are_refused() {
    let (up, mut proxy, _ca) = setup().await;
    let out = curl(&["-w", "\nstatus=%{http_code}", &format!("{}/_svc/nope/x", proxy.url())]).await;
    assert!(
        stdout(&out).contains("status=404") && stdout(&out).contains("no service named \"nope\""),
        "{}",
        stdout(&out)
    );
    proxy.next_record().await;

    // Resolves to loopback without `private = true`.
    let out = curl(&["-w", "\nstatus=%{http_code}", &format!("{}/_svc/no-private/v1/models", proxy.url())]).await;
    assert!(stdout(&out).contains("status=403") && stdout(&out).contains("private-address"), "{}", stdout(&out));
    proxy.next_record().await;

    // A proxy that does not trust the test CA refuses the upstream.
    let opts = ProxyOptions { secrets: vec![("anthropic-key".into(), SECRET.into())], ..Default::default() };
    let mut untrusting = start_proxy(&service_policy(up.port()), opts).await;
    let out = curl(&["-w", "\nstatus=%{http_code}", &format!("{}/_svc/anthropic/v1/messages", untrusting.url())]).await;
    assert!(stdout(&out).contains("status=502") && stdout(&out).contains("TLS to localhost"), "{}", stdout(&out));
    assert!(!stdout(&out).contains(SECRET));
    let r = untrusting.next_record().await;
    assert!(r.error.as_deref().unwrap_or("").contains("TLS"), "{r:?}");
    assert_eq!(up.seen().len(), 0, "nothing may reach an untrusted upstream");
}

#[tokio::test]
async fn missing_secret_is_reported_by_name_only() {
    let ca = test_ca();
    let up = start_tls_upstream(&ca).await;
    let opts = ProxyOptions { ca_pem: Some(ca.ca_pem.clone()), ..Default::default() };
    let (proxy, _, _) = build_proxy(&service_policy(up.port()), opts);
    let missing = proxy.missing_secrets();
    assert_eq!(missing.len(), 3, "{missing:?}");
    assert!(missing[0].1.contains("anthropic-key"), "{missing:?}");
}

#[tokio::test]
async fn agent_env_lets_an_sdk_style_client_reach_the_service_with_only_the_placeholder() {
    // What an SDK does with ANTHROPIC_BASE_URL/ANTHROPIC_API_KEY and the
    // proxy variables: python's urllib honours HTTP_PROXY and NO_PROXY.
    let (up, mut proxy, _ca) = setup().await;
    let policy = paddock_egress::Policy::from_toml(&service_policy(up.port())).unwrap();
    let env = paddock_egress::agent_env(policy.services(), &proxy.url());
    assert!(!format!("{env:?}").contains(SECRET));
    let script = r#"
import json, os, urllib.request
req = urllib.request.Request(
    os.environ["ANTHROPIC_BASE_URL"] + "/v1/messages",
    data=json.dumps({"model": "m"}).encode(),
    headers={"x-api-key": os.environ["ANTHROPIC_API_KEY"], "content-type": "application/json"},
)
print(urllib.request.urlopen(req, timeout=60).read().decode())
"#;
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3").arg("-c").arg(script).env_clear().envs(env).output().unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("upstream saw: POST /v1/messages"), "{}", stdout(&out));
    assert_eq!(up.seen()[0].header("x-api-key"), Some(SECRET));
    assert_eq!(proxy.next_record().await.service.as_deref(), Some("anthropic"));
}

#[tokio::test]
async fn dot_segments_cannot_escape_the_service_base_path() {
    let (up, proxy, _ca) = setup().await;
    for path in ["/_svc/gh/../../admin", "/_svc/gh/%2e%2e/admin", "/_svc/gh/a/./b"] {
        let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let resp = raw_exchange(proxy.addr, req.as_bytes()).await;
        assert!(resp.starts_with("HTTP/1.1 400") && resp.contains("dot segments"), "{path}: {resp}");
    }
    assert!(up.seen().is_empty());
}
