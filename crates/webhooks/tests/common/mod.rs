//! A real listener on loopback and a raw HTTP/1.1 client, so tests control
//! every byte (lying lengths, chunked bodies, stalls).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use paddock_webhooks::{
    Clock, Delivery, DeliveryObserver, Listener, ListenerConfig, MemorySecretStore, Secret,
    SecretStore, Source, Store, SystemClock,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

pub const SLACK_SECRET: &str = "slack-test-signing-secret-7c1e";
pub const GITHUB_SECRET: &str = "github-test-webhook-secret-93ad";

/// Keeps every delivery the listener reports.
#[derive(Default)]
pub struct Recorder(pub Mutex<Vec<Delivery>>);

impl DeliveryObserver for Recorder {
    fn on_delivery(&self, delivery: &Delivery) {
        self.0.lock().unwrap().push(delivery.clone());
    }
}

pub struct Harness {
    pub addr: SocketAddr,
    pub listener: Listener,
    pub recorder: Arc<Recorder>,
    pub db: PathBuf,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn secrets() -> Arc<MemorySecretStore> {
    let s = MemorySecretStore::new();
    s.insert(Source::Slack, Secret::from(SLACK_SECRET));
    s.insert(Source::Github, Secret::from(GITHUB_SECRET));
    Arc::new(s)
}

pub fn test_config() -> ListenerConfig {
    ListenerConfig {
        max_body_bytes: 4096,
        body_timeout: Duration::from_secs(1),
        header_timeout: Duration::from_secs(1),
        ..ListenerConfig::default()
    }
}

pub async fn start(db: &Path, config: ListenerConfig) -> Harness {
    start_with(db, config, secrets(), Arc::new(SystemClock)).await
}

pub async fn start_with(
    db: &Path,
    config: ListenerConfig,
    secrets: Arc<dyn SecretStore>,
    clock: Arc<dyn Clock>,
) -> Harness {
    start_store(
        Arc::new(Store::open(db).unwrap()),
        db,
        config,
        secrets,
        clock,
    )
    .await
}

pub async fn start_store(
    store: Arc<Store>,
    db: &Path,
    config: ListenerConfig,
    secrets: Arc<dyn SecretStore>,
    clock: Arc<dyn Clock>,
) -> Harness {
    let recorder = Arc::new(Recorder::default());
    let listener = Listener::new(
        config,
        secrets,
        store,
        clock,
        vec![recorder.clone() as Arc<dyn DeliveryObserver>],
    );
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let l = listener.clone();
    let task = tokio::spawn(async move { l.serve(tcp).await });
    Harness {
        addr,
        listener,
        recorder,
        db: db.to_path_buf(),
        task,
    }
}

impl Harness {
    /// The last delivery, from the database, checked against what the
    /// observer saw.
    pub fn last_delivery(&self) -> Delivery {
        let stored = self
            .listener
            .list_deliveries(1)
            .unwrap()
            .pop()
            .expect("no delivery recorded");
        let observed = self
            .recorder
            .0
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("observer saw nothing");
        assert_eq!(stored, observed, "the database and the observer disagree");
        stored
    }
}

pub struct Reply {
    pub status: u16,
    pub body: String,
}

/// Sends raw bytes and reads the reply until the server closes.
pub async fn send_raw(addr: SocketAddr, bytes: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // The server may answer (and close) before taking everything.
    let _ = stream.write_all(bytes).await;
    read_reply(&mut stream).await
}

pub async fn read_reply(stream: &mut TcpStream) -> Reply {
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), async {
        let mut chunk = [0u8; 8192];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "no reply within 30s; got so far: {:?}",
        String::from_utf8_lossy(&buf)
    );
    parse_reply(&buf)
}

pub fn parse_reply(buf: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(buf).into_owned();
    let status_line = text.lines().next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP reply: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Reply { status, body }
}

/// A request with a Content-Length and `Connection: close`.
pub fn request(method: &str, path: &str, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Slack headers for `body` at `timestamp`, signed with `secret`.
pub fn slack_headers(secret: &str, timestamp: i64, body: &[u8]) -> Vec<(String, String)> {
    let ts = timestamp.to_string();
    vec![
        (
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        ),
        ("X-Slack-Request-Timestamp".into(), ts.clone()),
        (
            "X-Slack-Signature".into(),
            paddock_webhooks::sign_slack(secret.as_bytes(), &ts, body),
        ),
    ]
}

pub fn github_headers(
    secret: &str,
    event: &str,
    delivery: &str,
    body: &[u8],
) -> Vec<(String, String)> {
    vec![
        ("Content-Type".into(), "application/json".into()),
        ("X-GitHub-Event".into(), event.into()),
        ("X-GitHub-Delivery".into(), delivery.into()),
        (
            "X-Hub-Signature-256".into(),
            paddock_webhooks::sign_github(secret.as_bytes(), body),
        ),
    ]
}

pub fn slack_command_body(text: &str) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("token", "legacy-token-unused")
        .append_pair("team_id", "T0001")
        .append_pair("channel_id", "C2147483705")
        .append_pair("user_id", "U2147483697")
        .append_pair("command", "/paddock")
        .append_pair("text", text)
        .finish()
        .into_bytes()
}

pub fn github_issue_labeled(repo: &str, sender: &str, labels: &[&str]) -> Vec<u8> {
    let labels: Vec<_> = labels
        .iter()
        .map(|l| serde_json::json!({ "name": l }))
        .collect();
    serde_json::json!({
        "action": "labeled",
        "label": { "name": "paddock" },
        "issue": {
            "title": "Flaky login test",
            "body": "The login test fails one run in ten.",
            "html_url": format!("https://github.com/{repo}/issues/7"),
            "labels": labels,
        },
        "repository": { "full_name": repo },
        "sender": { "login": sender, "type": "User" },
    })
    .to_string()
    .into_bytes()
}
