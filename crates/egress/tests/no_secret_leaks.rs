//! The planted secret appears in no log line (captured at TRACE), no
//! request record, no response to the client and no error, across success
//! and every failure path of an injected request.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use paddock_egress::{EgressObserver, MemorySecretStore, Secret, SecretStore, TracingObserver};

const SECRET: &str = "PLANTED-SECRET-d41d8cd98f00b204e9800998ecf8427e";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_secret_never_appears_in_logs_records_responses_or_errors() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let ca = test_ca();
    let up = start_tls_upstream(&ca).await;
    let port = up.port();
    let policy = format!(
        r#"
[[service]]
name = "good"
kind = "anthropic"
secret = "k"
upstream = "https://localhost:{port}"
private = true

[[service]]
name = "bad-header-secret"
kind = "custom"
secret = "k-bad"
upstream = "https://localhost:{port}"
header = "x-api-key"
private = true

[[service]]
name = "dead-upstream"
kind = "openai"
secret = "k"
upstream = "https://localhost:1"
private = true

[[service]]
name = "wrong-name"
kind = "openai"
secret = "k"
upstream = "https://127.0.0.1:{port}"
private = true
"#
    );
    let opts = ProxyOptions {
        ca_pem: Some(ca.ca_pem.clone()),
        // The second secret cannot be a header value (newline): the error
        // path must not echo it.
        secrets: vec![("k".into(), SECRET.into()), ("k-bad".into(), format!("{SECRET}\nX-Injected: 1"))],
        ..Default::default()
    };
    let mut proxy = start_proxy(&policy, opts).await;

    let mut client_saw = String::new();
    for path in
        ["good/v1/messages?key=abc", "bad-header-secret/v1", "dead-upstream/v1", "wrong-name/v1", "good/sse-missing"]
    {
        let out = curl(&["-i", "-H", "x-api-key: placeholder", &format!("{}/_svc/{path}", proxy.url())]).await;
        client_saw.push_str(&stdout(&out));
        client_saw.push_str(&stderr(&out));
    }
    let mut records = String::new();
    for _ in 0..5 {
        let r = proxy.next_record().await;
        TracingObserver.on_record(&r);
        records.push_str(&serde_json::to_string(&r).unwrap());
        records.push_str(&format!("{r:?}"));
    }
    // The first request really carried the secret upstream (so the secret
    // was in play, and the checks below are meaningful).
    assert_eq!(up.seen()[0].header("x-api-key"), Some(SECRET));
    assert!(client_saw.contains("HTTP/1.1 502"), "failure paths not exercised: {client_saw}");

    let store = MemorySecretStore::new();
    store.insert("k", Secret::from(SECRET));
    let debug_forms = format!("{:?} {:?}", store.get("k"), store.get("missing"));

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("egress"), "log capture did not work: {logs}");
    for (what, text) in [("logs", &logs), ("records", &records), ("client", &client_saw), ("debug", &debug_forms)] {
        assert!(!text.contains(SECRET), "the secret leaked into {what}:\n{text}");
        assert!(!text.contains("d41d8cd98f00b204"), "part of the secret leaked into {what}");
    }
}
