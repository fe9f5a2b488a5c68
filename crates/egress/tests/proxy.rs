//! The proxy with real clients (curl, python3, raw sockets) and real
//! upstreams, all on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

mod common;

use std::collections::HashMap;
use std::net::IpAddr;

use common::*;
use paddock_egress::{Decision, RequestKind};

fn local_policy(port: u16) -> String {
    format!(
        r#"
[[deny]]
id = "no-blocked"
hosts = ["blocked.test"]
reason = "blocked.test is off limits for agents: it is the production admin site."

[[deny]]
id = "no-deny-sub"
hosts = ["deny.wild.test"]
reason = "deny.wild.test is denied even though *.wild.test is allowed."

[[allow]]
id = "local-upstream"
hosts = ["127.0.0.1"]
ports = [{port}]

[[allow]]
id = "wild"
hosts = ["*.wild.test"]
ports = [{port}]
private = true

[[allow]]
id = "localhost-name"
hosts = ["localhost", "rebind.test"]
ports = [{port}]
"#
    )
}

fn wild_answers() -> HashMap<String, Vec<IpAddr>> {
    let lo: IpAddr = "127.0.0.1".parse().unwrap();
    HashMap::from([
        ("api.wild.test".to_string(), vec![lo]),
        ("deny.wild.test".to_string(), vec![lo]),
        ("wild.test".to_string(), vec![lo]),
        ("rebind.test".to_string(), vec!["93.184.216.34".parse().unwrap(), lo]),
    ])
}

#[tokio::test]
async fn curl_forward_to_granted_local_upstream_is_allowed_and_recorded() {
    let up = start_http_upstream().await;
    let mut proxy = start_proxy(&local_policy(up.port()), ProxyOptions::default()).await;
    let url = format!("http://127.0.0.1:{}/hello?token=s3cr3tvalue&x=1", up.port());
    let out = curl(&["-x", &proxy.url(), &url]).await;
    assert!(out.status.success(), "curl failed: {}", stderr(&out));
    assert!(stdout(&out).contains("upstream saw: GET /hello?token=s3cr3tvalue&x=1"), "{}", stdout(&out));
    let seen = up.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("host"), Some(format!("127.0.0.1:{}", up.port()).as_str()));
    assert!(seen[0].header("proxy-connection").is_none(), "hop-by-hop header forwarded");
    let first = proxy.next_record().await;
    // The Host header names what the policy checked: a spoofed client Host
    // header (and URL userinfo) is not passed on.
    let url = format!("http://127.0.0.1:{}/userinfo", up.port());
    let out = curl(&["-x", &proxy.url(), "-H", "Host: evil.test", &url.replace("http://", "http://u:p@")]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(up.seen()[1].header("host"), Some(format!("127.0.0.1:{}", up.port()).as_str()));
    let r = first;
    assert_eq!(r.kind, RequestKind::Forward);
    assert_eq!(r.decision, Decision::Allowed);
    assert_eq!(r.rule.as_deref(), Some("local-upstream"));
    assert_eq!(r.status, Some(200));
    assert_eq!(r.path, "/hello?token=&x=", "query values must not be recorded");
    assert!(r.bytes_down > 0);
}

#[tokio::test]
async fn python_forward_to_granted_local_upstream_posts_a_body() {
    let up = start_http_upstream().await;
    let mut proxy = start_proxy(&local_policy(up.port()), ProxyOptions::default()).await;
    let script = r#"
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": sys.argv[1]}))
resp = opener.open(urllib.request.Request(sys.argv[2], data=b"x" * 1000, method="POST"), timeout=60)
print(resp.status, resp.read().decode())
"#;
    let url = format!("http://127.0.0.1:{}/upload", up.port());
    let out = python(script, &[proxy.url(), url]).await;
    assert!(out.status.success(), "python failed: {}", stderr(&out));
    assert!(stdout(&out).contains("200 upstream saw: POST /upload body=1000"), "{}", stdout(&out));
    let r = proxy.next_record().await;
    assert_eq!(r.method, "POST");
    assert_eq!(r.bytes_up, 1000);
}

#[tokio::test]
async fn denied_host_is_refused_with_the_rule_reason_in_the_body() {
    let up = start_http_upstream().await;
    let mut proxy = start_proxy(&local_policy(up.port()), ProxyOptions::default()).await;
    let out = curl(&["-x", &proxy.url(), "-w", "\nstatus=%{http_code}", "http://blocked.test/admin"]).await;
    let body = stdout(&out);
    assert!(body.contains("status=403"), "{body}");
    assert!(body.contains("production admin site"), "custom reason missing: {body}");
    assert!(body.contains("retrying will not help"), "{body}");
    let r = proxy.next_record().await;
    assert_eq!(r.decision, Decision::Denied);
    assert_eq!(r.rule.as_deref(), Some("no-blocked"));
    assert_eq!(r.status, Some(403));
}

#[tokio::test]
async fn unlisted_host_is_refused_by_default() {
    let up = start_http_upstream().await;
    let mut proxy = start_proxy(&local_policy(up.port()), ProxyOptions::default()).await;
    let out = curl(&["-x", &proxy.url(), "-w", "\nstatus=%{http_code}", "http://not-listed.test/"]).await;
    let body = stdout(&out);
    assert!(body.contains("status=403") && body.contains("not on this task's allowlist"), "{body}");
    assert_eq!(proxy.next_record().await.rule.as_deref(), Some("default-deny"));
}

/// IP literals in every spelling, sent verbatim on a raw socket so no
/// client normalises them first. Cases in tests/data/ip_literal_requests.toml.
#[tokio::test]
async fn ip_literals_in_any_spelling_are_refused_unless_granted() {
    #[derive(serde::Deserialize)]
    struct Cases {
        case: Vec<Case>,
    }
    #[derive(serde::Deserialize)]
    struct Case {
        name: String,
        host: String,
        /// Expected rule id in the refusal.
        rule: String,
        /// Part of the refusal reason (proves how the host was parsed).
        reason: String,
    }
    let up = start_http_upstream().await;
    // The granted literal is 127.0.0.1 on the upstream port; every case uses
    // another port or another address, so each must be refused.
    let proxy = start_proxy(&local_policy(up.port()), ProxyOptions::default()).await;
    let cases: Cases = toml::from_str(include_str!("data/ip_literal_requests.toml")).unwrap();
    for c in &cases.case {
        let target = c.host.replace("{port}", &up.port().to_string());
        let req = format!("GET http://{target}/ HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n");
        let resp = raw_exchange(proxy.addr, req.as_bytes()).await;
        assert!(resp.starts_with("HTTP/1.1 403") || resp.starts_with("HTTP/1.1 400"), "case {:?}: {resp}", c.name);
        assert!(resp.contains(&format!("rule: {}", c.rule)), "case {:?}: {resp}", c.name);
        assert!(resp.contains(&c.reason), "case {:?}: {resp}", c.name);
    }
    assert_eq!(up.hits.load(std::sync::atomic::Ordering::SeqCst), 0, "a refused request reached the upstream");
    // Control: the granted literal itself goes through.
    let req = format!("GET http://127.0.0.1:{0}/ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", up.port());
    let resp = raw_exchange(proxy.addr, req.as_bytes()).await;
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
}

#[tokio::test]
async fn wildcard_port_and_deny_precedence_rules() {
    let up = start_http_upstream().await;
    let opts = ProxyOptions { answers: wild_answers(), ..Default::default() };
    let mut proxy = start_proxy(&local_policy(up.port()), opts).await;
    let p = up.port();
    let cases = [
        (format!("http://api.wild.test:{p}/"), "200", "wild"),
        (format!("http://wild.test:{p}/"), "403", "default-deny"), // wildcard excludes the apex
        (format!("http://api.wild.test:{}/", p.wrapping_add(1)), "403", "default-deny"), // port not listed
        (format!("http://deny.wild.test:{p}/"), "403", "no-deny-sub"), // deny wins
    ];
    for (url, status, rule) in cases {
        let out = curl(&["-x", &proxy.url(), "-w", "\nstatus=%{http_code}", &url]).await;
        assert!(stdout(&out).contains(&format!("status={status}")), "{url}: {}", stdout(&out));
        let r = proxy.next_record().await;
        assert_eq!(r.rule.as_deref(), Some(rule), "{url}");
    }
    assert!(stdout(&curl(&["-x", &proxy.url(), &format!("http://deny.wild.test:{p}/")]).await).contains("even though"));
}

#[tokio::test]
async fn names_resolving_to_loopback_are_refused_without_a_private_grant() {
    let up = start_http_upstream().await;
    let opts = ProxyOptions { answers: wild_answers(), ..Default::default() };
    let proxy = start_proxy(&local_policy(up.port()), opts).await;
    // `localhost` really resolves to 127.0.0.1 (system resolver); `rebind.test`
    // answers with one public and one loopback address, as a rebinding
    // attacker would.
    for host in ["localhost", "rebind.test"] {
        let url = format!("http://{host}:{}/", up.port());
        let out = curl(&["-x", &proxy.url(), "-w", "\nstatus=%{http_code}", &url]).await;
        let body = stdout(&out);
        assert!(body.contains("status=403") && body.contains("rule: private-address"), "{host}: {body}");
        let out = curl(&["-p", "-x", &proxy.url(), &url]).await;
        assert!(!out.status.success() && stderr(&out).contains("403"), "CONNECT {host}: {}", stderr(&out));
    }
    assert_eq!(up.hits.load(std::sync::atomic::Ordering::SeqCst), 0);
    // Control: with `private = true` the same name is reached.
    let granted = local_policy(up.port()).replace(
        "id = \"localhost-name\"\nhosts = [\"localhost\", \"rebind.test\"]",
        "id = \"localhost-name\"\nprivate = true\nhosts = [\"localhost\", \"rebind.test\"]",
    );
    let proxy = start_proxy(&granted, ProxyOptions::default()).await;
    let out = curl(&["-x", &proxy.url(), &format!("http://localhost:{}/ok", up.port())]).await;
    assert!(stdout(&out).contains("upstream saw: GET /ok"), "{}", stdout(&out));
}

#[tokio::test]
async fn connect_tunnel_to_allowed_host_works_and_to_denied_host_is_refused() {
    let up = start_http_upstream().await;
    let mut proxy = start_proxy(&local_policy(up.port()), ProxyOptions::default()).await;
    let ok_url = format!("http://127.0.0.1:{}/through-tunnel", up.port());
    let out = curl(&["-p", "-x", &proxy.url(), &ok_url]).await;
    assert!(stdout(&out).contains("upstream saw: GET /through-tunnel"), "{}", stderr(&out));
    let r = proxy.next_record().await;
    assert_eq!((r.kind, r.decision, r.status), (RequestKind::Tunnel, Decision::Allowed, Some(200)));
    assert!(r.bytes_up > 0 && r.bytes_down > 0, "{r:?}");

    let out = curl(&["-p", "-x", &proxy.url(), "http://blocked.test:443/"]).await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("403"), "{}", stderr(&out));
    let r = proxy.next_record().await;
    assert_eq!((r.kind, r.decision), (RequestKind::Tunnel, Decision::Denied));

    // python3's CONNECT (http.client set_tunnel) to a denied host.
    let script = r#"
import sys, http.client
host, port = sys.argv[1].split(":")
c = http.client.HTTPConnection(host, int(port), timeout=60)
c.set_tunnel("blocked.test", 443)
try:
    c.request("GET", "/")
    print("UNEXPECTED", c.getresponse().status)
except OSError as e:
    print("refused:", e)
"#;
    let out = python(script, &[proxy.addr.to_string()]).await;
    assert!(stdout(&out).contains("refused:") && stdout(&out).contains("403"), "{}{}", stdout(&out), stderr(&out));
}

#[tokio::test]
async fn trace_is_refused_and_never_reaches_upstream() {
    let up = start_http_upstream().await;
    let mut proxy = start_proxy(&local_policy(up.port()), ProxyOptions::default()).await;
    let url = format!("http://127.0.0.1:{}/", up.port());
    let out = curl(&["-X", "TRACE", "-x", &proxy.url(), "-w", "\nstatus=%{http_code}", &url]).await;
    assert!(stdout(&out).contains("status=405"), "{}", stdout(&out));
    assert!(stdout(&out).contains("TRACE is not allowed"), "{}", stdout(&out));
    assert_eq!(up.hits.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!(proxy.next_record().await.rule.as_deref(), Some("method"));
}

#[tokio::test]
async fn oversized_and_malformed_requests_get_a_clean_4xx_and_a_closed_connection() {
    let up = start_http_upstream().await;
    let policy = format!(
        "{}\n[limits]\nmax_header_bytes = 16384\nmax_headers = 50\nmax_uri_bytes = 4096\n",
        local_policy(up.port())
    );
    let proxy = start_proxy(&policy, ProxyOptions::default()).await;
    let target = format!("http://127.0.0.1:{}/", up.port());
    let big_header = format!("GET {target} HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(40_000));
    let many_headers = format!(
        "GET {target} HTTP/1.1\r\nHost: x\r\n{}\r\n",
        (0..80).map(|i| format!("X-H{i}: v\r\n")).collect::<String>()
    );
    let long_uri = format!("GET {target}{} HTTP/1.1\r\nHost: x\r\n\r\n", "p".repeat(5000));
    let cases: Vec<(&str, String, &str)> = vec![
        ("header too large", big_header, "HTTP/1.1 431"),
        ("too many headers", many_headers, "HTTP/1.1 431"),
        ("request target too long", long_uri, "HTTP/1.1 414"),
        ("garbage request line", "GARBAGE\r\n\r\n".into(), "HTTP/1.1 400"),
        ("bad version", format!("GET {target} HTTP/9.9\r\n\r\n"), "HTTP/1.1 400"),
        ("space in header name", format!("GET {target} HTTP/1.1\r\nBad Header: x\r\n\r\n"), "HTTP/1.1 400"),
        (
            "conflicting lengths",
            format!("POST {target} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx"),
            "HTTP/1.1 400",
        ),
    ];
    let mut proxy = proxy;
    for (name, request, want) in cases {
        // raw_exchange returns only once the proxy has closed the connection.
        let resp = raw_exchange(proxy.addr, request.as_bytes()).await;
        assert!(resp.starts_with(want), "case {name:?}: got {resp:?}");
        // Every refusal is recorded for the audit trail, with its status.
        let r = proxy.next_record().await;
        assert_eq!(r.decision, Decision::Denied, "case {name:?}");
        assert_eq!(Some(&want[9..12]), r.status.map(|s| s.to_string()).as_deref(), "case {name:?}: {r:?}");
    }
    assert_eq!(up.hits.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test]
async fn slow_request_head_gets_408_and_is_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let up = start_http_upstream().await;
    let policy = format!("{}\n[limits]\nheader_timeout_secs = 1\n", local_policy(up.port()));
    let proxy = start_proxy(&policy, ProxyOptions::default()).await;
    let mut s = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    s.write_all(b"GET http://127.0.0.1/ HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(TIMEOUT, s.read_to_end(&mut out)).await.expect("slowloris connection kept open").ok();
    let out = String::from_utf8_lossy(&out);
    assert!(out.starts_with("HTTP/1.1 408"), "{out:?}");
}

#[tokio::test]
async fn unix_socket_listener_serves_forward_requests() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let up = start_http_upstream().await;
    let (proxy, _records, _) = build_proxy(&local_policy(up.port()), ProxyOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("egress.sock");
    let listener = tokio::net::UnixListener::bind(&sock).unwrap();
    tokio::spawn(async move { proxy.serve_unix(listener).await });
    let mut s = tokio::net::UnixStream::connect(&sock).await.unwrap();
    let req = format!("GET http://127.0.0.1:{}/via-unix HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", up.port());
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    tokio::time::timeout(TIMEOUT, s.read_to_string(&mut out)).await.unwrap().unwrap();
    assert!(out.contains("upstream saw: GET /via-unix"), "{out}");
    // And the blocked host over the same socket kind.
    let mut s = tokio::net::UnixStream::connect(&sock).await.unwrap();
    s.write_all(b"GET http://blocked.test/ HTTP/1.1\r\nHost: blocked.test\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut out = String::new();
    tokio::time::timeout(TIMEOUT, s.read_to_string(&mut out)).await.unwrap().unwrap();
    assert!(out.starts_with("HTTP/1.1 403"), "{out}");
}

#[tokio::test]
async fn idle_keep_alive_connection_is_closed_without_a_stray_response() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let up = start_http_upstream().await;
    let policy = format!("{}\n[limits]\nheader_timeout_secs = 1\n", local_policy(up.port()));
    let proxy = start_proxy(&policy, ProxyOptions::default()).await;
    let mut s = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    let req = format!("GET http://127.0.0.1:{}/one HTTP/1.1\r\nHost: x\r\n\r\n", up.port());
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(TIMEOUT, s.read_to_end(&mut out)).await.expect("idle connection kept open").ok();
    let out = String::from_utf8_lossy(&out);
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(!out.contains("408"), "an idle keep-alive connection got a 408: {out}");
}

#[tokio::test]
async fn silent_tunnel_is_closed_after_the_idle_timeout_and_recorded_with_bytes() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // An upstream that accepts and never speaks.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut s, _)) = silent.accept().await {
            let mut b = [0u8; 64];
            let _ = s.read(&mut b).await;
            held.push(s);
        }
    });
    let policy = format!("{}\n[limits]\nidle_timeout_secs = 1\n", local_policy(port));
    let mut proxy = start_proxy(&policy, ProxyOptions::default()).await;
    let mut s = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    s.write_all(format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes()).await.unwrap();
    let mut head = [0u8; 19];
    s.read_exact(&mut head).await.unwrap();
    assert!(head.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&head));
    s.write_all(b"hello").await.unwrap();
    let mut rest = Vec::new();
    tokio::time::timeout(TIMEOUT, s.read_to_end(&mut rest)).await.expect("silent tunnel kept open").ok();
    let r = proxy.next_record().await;
    assert_eq!(r.kind, RequestKind::Tunnel);
    assert_eq!(r.bytes_up, 5, "{r:?}");
    assert!(r.error.as_deref().unwrap_or("").contains("idle"), "{r:?}");
}
