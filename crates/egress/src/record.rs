//! Request records: one per proxied request, tunnel or refusal, for the
//! per-task network panel and the audit trail. Records never hold a secret
//! or a query-string value.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Absolute-form `http://` request forwarded by the proxy.
    Forward,
    /// `CONNECT` tunnel.
    Tunnel,
    /// `/_svc/<name>/...` request with an injected credential.
    Service,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allowed,
    Denied,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    pub id: Uuid,
    pub started_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub kind: RequestKind,
    pub method: String,
    /// Target host as the client named it (or the service's upstream).
    pub host: String,
    pub port: u16,
    /// Path with query values removed (`/q?a=&b=`).
    pub path: String,
    pub decision: Decision,
    /// Id of the rule that decided (`default-deny` when none matched).
    pub rule: Option<String>,
    /// Why it was denied, as told to the client.
    pub reason: Option<String>,
    /// Injected service name; never the credential.
    pub service: Option<String>,
    /// Status sent to the client (200 for an established tunnel).
    pub status: Option<u16>,
    pub bytes_up: u64,
    pub bytes_down: u64,
    /// Upstream failure description (connection refused, TLS error...).
    pub error: Option<String>,
}

/// Receives every record once, when the request is finished.
/// Called on the proxy's tasks: implementations must not block.
pub trait EgressObserver: Send + Sync {
    fn on_record(&self, record: &RequestRecord);
}

/// Forwards records into an unbounded channel (nothing is dropped; the
/// audit trail needs every record).
pub struct ChannelObserver(pub tokio::sync::mpsc::UnboundedSender<RequestRecord>);

impl EgressObserver for ChannelObserver {
    fn on_record(&self, record: &RequestRecord) {
        let _ = self.0.send(record.clone());
    }
}

/// Publishes records on a broadcast channel (live UI panels; slow
/// subscribers lose old records rather than slowing the proxy).
pub struct BroadcastObserver(pub tokio::sync::broadcast::Sender<RequestRecord>);

impl EgressObserver for BroadcastObserver {
    fn on_record(&self, record: &RequestRecord) {
        let _ = self.0.send(record.clone());
    }
}

/// Logs each record with `tracing` at info level.
pub struct TracingObserver;

impl EgressObserver for TracingObserver {
    fn on_record(&self, r: &RequestRecord) {
        tracing::info!(
            kind = ?r.kind, method = %r.method, host = %r.host, port = r.port, path = %r.path,
            decision = ?r.decision, rule = r.rule.as_deref().unwrap_or(""), service = r.service.as_deref().unwrap_or(""),
            status = r.status.unwrap_or(0), up = r.bytes_up, down = r.bytes_down,
            "egress"
        );
    }
}

pub(crate) type Observers = Arc<Vec<Arc<dyn EgressObserver>>>;

/// `/p?a=1&b=2` becomes `/p?a=&b=`: keys tell what was asked, values may be
/// tokens.
pub fn redact_query(path_and_query: &str) -> String {
    match path_and_query.split_once('?') {
        None => path_and_query.to_string(),
        Some((path, query)) => {
            let keys: Vec<String> = query
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|pair| format!("{}=", pair.split_once('=').map_or(pair, |(k, _)| k)))
                .collect();
            format!("{path}?{}", keys.join("&"))
        }
    }
}
