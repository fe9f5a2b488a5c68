//! The HTTP listener (hyper 1, HTTP/1.1). See the crate doc for the order
//! of checks; this file keeps that order and records every outcome.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::body::Body;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use sha2::{Digest as _, Sha256};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::secret::ExposeSecret as _;

use crate::delivery::{Delivery, DeliveryObserver, Verdict};
use crate::parse::{Parsed, ProposalDraft, Route, parse_verified};
use crate::replay::ReplayGuard;
use crate::rules::Rules;
use crate::secret::{SecretError, SecretStore};
use crate::store::{Proposal, ProposalState, Store, StoreError};
use crate::verify::{self, SLACK_TOLERANCE_SECS, VerifyError};
use crate::{Clock, Source};

/// Limits and rules. The defaults suit Slack and GitHub issue traffic.
#[derive(Debug, Clone)]
pub struct ListenerConfig {
    /// Largest body accepted, in bytes (`Content-Length` or streamed).
    pub max_body_bytes: usize,
    /// Total time allowed to receive a body, however it trickles in.
    pub body_timeout: Duration,
    /// Time allowed for a request head (hyper's header timeout).
    pub header_timeout: Duration,
    /// Connections served at once; more wait in the accept queue.
    pub max_connections: usize,
    /// How long a GitHub delivery id is remembered (GitHub signs no time).
    pub github_dedupe_retention: chrono::Duration,
    /// Replay keys kept in memory; older ones are still in the database.
    pub replay_memory_entries: usize,
    pub rules: Rules,
}

impl Default for ListenerConfig {
    fn default() -> Self {
        ListenerConfig {
            max_body_bytes: 1024 * 1024,
            body_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            max_connections: 64,
            github_dedupe_retention: chrono::Duration::days(30),
            replay_memory_entries: 10_000,
            rules: Rules::default(),
        }
    }
}

/// Verifies deliveries and turns them into proposals. Cheap to clone.
#[derive(Clone)]
pub struct Listener {
    inner: Arc<Inner>,
}

struct Inner {
    config: ListenerConfig,
    secrets: Arc<dyn SecretStore>,
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    observers: Vec<Arc<dyn DeliveryObserver>>,
    replay: ReplayGuard,
    parse_calls: AtomicU64,
}

/// A refusal: the status and the reason recorded and sent back.
struct Refusal {
    status: StatusCode,
    reason: String,
}

fn refuse(status: StatusCode, reason: impl Into<String>) -> Refusal {
    Refusal {
        status,
        reason: reason.into(),
    }
}

struct Outcome {
    status: StatusCode,
    verdict: Verdict,
    reason: String,
    body: serde_json::Value,
    proposal_id: Option<Uuid>,
}

/// The signature material taken from headers before the body is read.
enum Claim {
    Slack {
        signature: String,
        timestamp: String,
        timestamp_secs: i64,
    },
    Github {
        signature: String,
        delivery_id: String,
    },
}

impl Listener {
    pub fn new(
        config: ListenerConfig,
        secrets: Arc<dyn SecretStore>,
        store: Arc<Store>,
        clock: Arc<dyn Clock>,
        observers: Vec<Arc<dyn DeliveryObserver>>,
    ) -> Listener {
        let replay = ReplayGuard::new(config.replay_memory_entries);
        Listener {
            inner: Arc::new(Inner {
                config,
                secrets,
                store,
                clock,
                observers,
                replay,
                parse_calls: AtomicU64::new(0),
            }),
        }
    }

    /// The clock, at the microsecond precision the database keeps, so a
    /// record reads back exactly as it was reported.
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        use chrono::SubsecRound as _;
        self.inner.clock.now().trunc_subsecs(6)
    }

    /// How many bodies reached the parser: the probe that proves nothing
    /// unverified is parsed.
    pub fn parse_calls(&self) -> u64 {
        self.inner.parse_calls.load(Ordering::SeqCst)
    }

    /// Replay keys held in memory (bounded by `replay_memory_entries`).
    pub fn replay_keys_in_memory(&self) -> usize {
        self.inner.replay.in_memory()
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.inner.store
    }

    /// The latest deliveries, newest first (Settings → Integrations).
    pub fn list_deliveries(&self, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        self.inner.store.list_deliveries(limit)
    }

    /// Proposals in a state (all when `None`), newest first.
    pub fn list_proposals(
        &self,
        state: Option<ProposalState>,
    ) -> Result<Vec<Proposal>, StoreError> {
        self.inner.store.list_proposals(state)
    }

    /// A person approves or rejects a pending proposal.
    pub fn decide_proposal(&self, id: Uuid, approve: bool) -> Result<Proposal, StoreError> {
        self.inner.store.decide_proposal(id, approve, self.now())
    }

    /// Accepts connections until the task is dropped or accepting fails
    /// for good.
    pub async fn serve(&self, listener: TcpListener) -> std::io::Result<()> {
        let permits = Arc::new(Semaphore::new(self.inner.config.max_connections.max(1)));
        loop {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return Ok(());
            };
            let (stream, peer) = match listener.accept().await {
                Ok(pair) => pair,
                Err(e) if is_transient_accept_error(&e) => {
                    tracing::warn!(error = %e, "accept failed; retrying");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let this = self.clone();
            tokio::spawn(async move {
                this.serve_connection(stream, peer).await;
                drop(permit);
            });
        }
    }

    async fn serve_connection(self, stream: tokio::net::TcpStream, peer: SocketAddr) {
        let this = self.clone();
        let service = service_fn(move |req| {
            let this = this.clone();
            async move { Ok::<_, Infallible>(this.handle(req, Some(peer)).await) }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.inner.config.header_timeout)
            .max_headers(64)
            .max_buf_size(64 * 1024)
            .keep_alive(true);
        if let Err(e) = builder
            .serve_connection(TokioIo::new(stream), service)
            .await
        {
            tracing::debug!(error = %e, %peer, "webhook connection ended with an error");
        }
    }

    /// Handles one request: the whole pipeline, then one delivery record.
    pub async fn handle<B>(
        &self,
        req: Request<B>,
        peer: Option<SocketAddr>,
    ) -> Response<Full<Bytes>>
    where
        B: Body<Data = Bytes> + Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let mut delivery = Delivery {
            id: Uuid::now_v7(),
            received_at: self.now(),
            source: None,
            endpoint: "other".into(),
            delivery_id: None,
            event: None,
            status: 0,
            verdict: Verdict::Rejected,
            reason: String::new(),
            body_bytes: None,
            body_sha256: None,
            proposal_id: None,
            peer: peer.map(|p| p.to_string()),
        };
        let response = match self.process(req, &mut delivery).await {
            Ok(outcome) => {
                delivery.status = outcome.status.as_u16();
                delivery.verdict = outcome.verdict;
                delivery.reason = outcome.reason;
                delivery.proposal_id = outcome.proposal_id;
                json_response(outcome.status, &outcome.body, false)
            }
            Err(refusal) => {
                delivery.status = refusal.status.as_u16();
                delivery.verdict = Verdict::Rejected;
                let body = serde_json::json!({ "error": refusal.reason });
                delivery.reason = refusal.reason;
                // The body may be unread: close rather than resync the stream.
                json_response(refusal.status, &body, true)
            }
        };
        self.record(&delivery);
        response
    }

    fn record(&self, delivery: &Delivery) {
        tracing::info!(
            endpoint = %delivery.endpoint,
            status = delivery.status,
            verdict = delivery.verdict.as_str(),
            reason = %delivery.reason,
            "webhook delivery"
        );
        if let Err(e) = self.inner.store.record_delivery(delivery) {
            tracing::error!(error = %e, "could not record a webhook delivery");
        }
        for observer in &self.inner.observers {
            observer.on_delivery(delivery);
        }
    }

    async fn process<B>(&self, req: Request<B>, d: &mut Delivery) -> Result<Outcome, Refusal>
    where
        B: Body<Data = Bytes> + Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (parts, body) = req.into_parts();
        let path = parts.uri.path();
        let slack_route = match path {
            "/slack/commands" => Some(Route::SlackCommand),
            "/slack/events" => Some(Route::SlackEvent),
            "/github" => None,
            _ => return Err(refuse(StatusCode::NOT_FOUND, "no such endpoint")),
        };
        d.endpoint = path.to_string();
        let source = if slack_route.is_some() {
            Source::Slack
        } else {
            Source::Github
        };
        d.source = Some(source);
        if parts.method != Method::POST {
            return Err(refuse(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("method {} not allowed; POST only", parts.method),
            ));
        }
        let now = self.now();

        // 1. Signature headers, before anything else is looked at.
        let headers = &parts.headers;
        let (route, claim) = match slack_route {
            Some(route) => {
                d.event = Some(
                    if route == Route::SlackCommand {
                        "command"
                    } else {
                        "event"
                    }
                    .into(),
                );
                let signature = signature_header(headers, "x-slack-signature")?;
                let timestamp = signature_header(headers, "x-slack-request-timestamp")?;
                let timestamp_secs =
                    verify::slack_timestamp(&timestamp, now).map_err(verify_refusal)?;
                (
                    route,
                    Claim::Slack {
                        signature,
                        timestamp,
                        timestamp_secs,
                    },
                )
            }
            None => {
                let event = token_header(headers, "x-github-event", |b| {
                    b.is_ascii_lowercase() || b == b'_'
                })?;
                d.event = Some(event.clone());
                let delivery_id = token_header(headers, "x-github-delivery", |b| {
                    b.is_ascii_alphanumeric() || b == b'-'
                })?;
                d.delivery_id = Some(delivery_id.clone());
                // Named before the signature is checked, so a refused delivery
                // can be matched with GitHub's own delivery log.
                let signature = signature_header(headers, "x-hub-signature-256")?;
                (
                    Route::Github { event },
                    Claim::Github {
                        signature,
                        delivery_id,
                    },
                )
            }
        };

        // 2. Size, from the declared length, before reading anything.
        let max = self.inner.config.max_body_bytes;
        if let Some(length) = headers.get(header::CONTENT_LENGTH) {
            let length: u64 = length
                .to_str()
                .ok()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| refuse(StatusCode::BAD_REQUEST, "malformed Content-Length"))?;
            if length > max as u64 {
                return Err(refuse(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("body of {length} bytes exceeds the {max}-byte limit"),
                ));
            }
        }

        // 3. The secret. Its value goes only into the MAC below.
        let secret = self.inner.secrets.get(source).map_err(|e| match e {
            SecretError::NotFound(_) => refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("no {source} webhook secret is configured"),
            ),
            SecretError::Store { .. } => refuse(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        })?;

        // 4. The body: capped while streaming, under one total deadline.
        let timeout = self.inner.config.body_timeout;
        let body = match tokio::time::timeout(timeout, Limited::new(body, max).collect()).await {
            Err(_) => {
                return Err(refuse(
                    StatusCode::REQUEST_TIMEOUT,
                    format!("body not received within {}s", timeout.as_secs_f64()),
                ));
            }
            Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
                return Err(refuse(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("body exceeds the {max}-byte limit"),
                ));
            }
            Ok(Err(_)) => return Err(refuse(StatusCode::BAD_REQUEST, "body could not be read")),
            Ok(Ok(collected)) => collected.to_bytes(),
        };
        d.body_bytes = Some(body.len() as u64);
        d.body_sha256 = Some(hex::encode(Sha256::digest(&body)));

        // 5. The signature, in constant time.
        let key = secret.expose_secret().as_bytes();
        let verified = match &claim {
            Claim::Slack {
                signature,
                timestamp,
                ..
            } => verify::verify_slack(key, timestamp, signature, &body),
            Claim::Github { signature, .. } => verify::verify_github(key, signature, &body),
        };
        drop(secret);
        verified.map_err(verify_refusal)?;

        // 6. Once only: the signature (Slack) or the delivery id (GitHub).
        let now_secs = now.timestamp();
        let (replay_key, expires_at, replay_reason) = match &claim {
            Claim::Slack {
                signature,
                timestamp_secs,
                ..
            } => (
                format!("slack-signature:{signature}"),
                // A signature can verify until its timestamp leaves the window.
                timestamp_secs + 2 * SLACK_TOLERANCE_SECS,
                "replayed request: this Slack signature was already accepted".to_string(),
            ),
            Claim::Github { delivery_id, .. } => (
                format!("github-delivery:{delivery_id}"),
                now_secs + self.inner.config.github_dedupe_retention.num_seconds(),
                format!("replayed request: GitHub delivery {delivery_id} was already received"),
            ),
        };
        if !self.first_time(&replay_key, expires_at, now_secs)? {
            return Err(refuse(StatusCode::CONFLICT, replay_reason));
        }

        // 7. Only now is the body looked into.
        self.inner.parse_calls.fetch_add(1, Ordering::SeqCst);
        let parsed = parse_verified(&route, &body)
            .map_err(|e| refuse(StatusCode::BAD_REQUEST, e.to_string()))?;
        self.act(parsed, &route, d, now_secs)
    }

    fn first_time(&self, key: &str, expires_at: i64, now_secs: i64) -> Result<bool, Refusal> {
        self.inner
            .replay
            .first_time(&self.inner.store, key, expires_at, now_secs)
            .map_err(|e| {
                tracing::error!(error = %e, "replay cache unavailable");
                refuse(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "replay cache unavailable",
                )
            })
    }

    fn act(
        &self,
        parsed: Parsed,
        route: &Route,
        d: &Delivery,
        now_secs: i64,
    ) -> Result<Outcome, Refusal> {
        let ok = |verdict, reason: &str, body| Outcome {
            status: StatusCode::OK,
            verdict,
            reason: reason.to_string(),
            body,
            proposal_id: None,
        };
        Ok(match parsed {
            Parsed::Challenge(challenge) => ok(
                Verdict::Accepted,
                "url_verification answered",
                serde_json::json!({ "challenge": challenge }),
            ),
            Parsed::Pong => ok(Verdict::Accepted, "ping", serde_json::json!({ "ok": true })),
            Parsed::Usage(text) => ok(
                Verdict::Ignored,
                "slash command without a valid run request",
                serde_json::json!({ "response_type": "ephemeral", "text": text }),
            ),
            Parsed::Ignored(why) => ok(
                Verdict::Ignored,
                &why,
                serde_json::json!({ "ignored": why }),
            ),
            Parsed::Proposal(draft) => {
                // Slack retries an event (new timestamp, new signature) when
                // it thinks we missed it: one proposal per event id.
                if let Some(event_id) = &draft.event_id {
                    let expires =
                        now_secs + self.inner.config.github_dedupe_retention.num_seconds();
                    if !self.first_time(&format!("slack-event:{event_id}"), expires, now_secs)? {
                        let why = "Slack retry of an event already received";
                        return Ok(ok(
                            Verdict::Ignored,
                            why,
                            serde_json::json!({ "ignored": why }),
                        ));
                    }
                }
                let proposal = self.propose(draft, d.id)?;
                let rule = proposal.decided_by.clone();
                let reason = match &rule {
                    Some(rule) => format!("proposal approved by {rule}"),
                    None => "proposal pending approval".to_string(),
                };
                let body = if *route == Route::SlackCommand {
                    let text = match &rule {
                        Some(_) => format!(
                            "Paddock task for {} approved by an auto-run rule.",
                            proposal.repo
                        ),
                        None => format!(
                            "Paddock task for {} is waiting for approval in the app.",
                            proposal.repo
                        ),
                    };
                    serde_json::json!({ "response_type": "ephemeral", "text": text })
                } else {
                    serde_json::json!({ "proposal": proposal.id, "state": proposal.state })
                };
                Outcome {
                    status: StatusCode::OK,
                    verdict: Verdict::Accepted,
                    reason,
                    body,
                    proposal_id: Some(proposal.id),
                }
            }
        })
    }

    fn propose(&self, draft: ProposalDraft, delivery: Uuid) -> Result<Proposal, Refusal> {
        let now = self.now();
        let rule = self
            .inner
            .config
            .rules
            .matching(&draft)
            .map(|r| format!("rule:{}", r.id));
        let proposal = Proposal {
            id: Uuid::now_v7(),
            created_at: now,
            source: draft.source,
            repo: draft.repo,
            prompt: draft.prompt,
            sender: draft.sender,
            labels: draft.labels,
            reference: draft.reference,
            delivery,
            state: if rule.is_some() {
                ProposalState::Approved
            } else {
                ProposalState::Pending
            },
            decided_at: rule.as_ref().map(|_| now),
            decided_by: rule,
            task_id: None,
            launch_error: None,
        };
        self.inner.store.insert_proposal(&proposal).map_err(|e| {
            tracing::error!(error = %e, "could not store a proposal");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "could not store the proposal",
            )
        })?;
        Ok(proposal)
    }
}

fn verify_refusal(e: VerifyError) -> Refusal {
    let status = match e {
        VerifyError::MissingHeader(_) | VerifyError::MalformedHeader(_) => StatusCode::UNAUTHORIZED,
        VerifyError::StaleTimestamp(_)
        | VerifyError::FutureTimestamp(_)
        | VerifyError::BadSignature => StatusCode::FORBIDDEN,
    };
    refuse(status, e.to_string())
}

/// A signature or timestamp header: missing or non-ASCII → 401.
fn signature_header(headers: &HeaderMap, name: &'static str) -> Result<String, Refusal> {
    let canonical = canonical_name(name);
    let value = headers
        .get(name)
        .ok_or_else(|| verify_refusal(VerifyError::MissingHeader(canonical)))?;
    if headers.get_all(name).iter().count() > 1 {
        return Err(verify_refusal(VerifyError::MalformedHeader(canonical)));
    }
    let value = value
        .to_str()
        .map_err(|_| verify_refusal(VerifyError::MalformedHeader(canonical)))?;
    if value.len() > 200 {
        return Err(verify_refusal(VerifyError::MalformedHeader(canonical)));
    }
    Ok(value.to_string())
}

/// A short token header (event name, delivery id): missing or odd → 400.
fn token_header(
    headers: &HeaderMap,
    name: &'static str,
    allowed: fn(u8) -> bool,
) -> Result<String, Refusal> {
    let canonical = canonical_name(name);
    let value = headers.get(name).ok_or_else(|| {
        refuse(
            StatusCode::BAD_REQUEST,
            format!("missing header {canonical}"),
        )
    })?;
    let bytes = value.as_bytes();
    if bytes.is_empty() || bytes.len() > 100 || !bytes.iter().all(|b| allowed(*b)) {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            format!("malformed header {canonical}"),
        ));
    }
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

fn canonical_name(name: &'static str) -> &'static str {
    match name {
        "x-slack-signature" => "X-Slack-Signature",
        "x-slack-request-timestamp" => "X-Slack-Request-Timestamp",
        "x-hub-signature-256" => "X-Hub-Signature-256",
        "x-github-event" => "X-GitHub-Event",
        "x-github-delivery" => "X-GitHub-Delivery",
        other => other,
    }
}

fn json_response(
    status: StatusCode,
    body: &serde_json::Value,
    close: bool,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    if close {
        headers.insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
    }
    response
}

fn is_transient_accept_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | Interrupted | WouldBlock | TimedOut
    ) || e
        .raw_os_error()
        .is_some_and(|code| code == 24 || code == 23) // EMFILE, ENFILE
}
