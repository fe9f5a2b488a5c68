//! The proxy server: HTTP/1.1 forward proxying, CONNECT tunnels and
//! credential-injecting service routes, on a unix socket or TCP.

use std::convert::Infallible;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream, UnixListener};
use uuid::Uuid;

use crate::host::Host;
use crate::io::{Counted, CountingBody, IdleTimeout};
use crate::policy::{Policy, Verdict, check_resolved};
use crate::record::{Decision, EgressObserver, Observers, RequestKind, RequestRecord, redact_query};
use crate::resolve::{Resolver, SystemResolver};
use crate::secrets::SecretStore;
use crate::service::{SERVICE_PREFIX, Service};
use crate::tls::{TlsError, UpstreamRoots};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// Response body type of the proxy.
pub type ProxyBody = BoxBody<Bytes, BoxError>;

const TUNNEL_BUFFER: usize = 64 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Everything a proxy instance needs.
pub struct ProxyConfig {
    pub policy: Policy,
    pub secrets: Arc<dyn SecretStore>,
    pub resolver: Arc<dyn Resolver>,
    pub roots: UpstreamRoots,
    pub observers: Vec<Arc<dyn EgressObserver>>,
}

impl ProxyConfig {
    /// System resolver, Mozilla roots, no observers.
    pub fn new(policy: Policy, secrets: Arc<dyn SecretStore>) -> Self {
        ProxyConfig {
            policy,
            secrets,
            resolver: Arc::new(SystemResolver),
            roots: UpstreamRoots::default(),
            observers: Vec::new(),
        }
    }
}

/// A running proxy's shared state; cheap to clone.
#[derive(Clone)]
pub struct Proxy {
    inner: Arc<Inner>,
}

struct Inner {
    policy: Policy,
    secrets: Arc<dyn SecretStore>,
    resolver: Arc<dyn Resolver>,
    tls: tokio_rustls::TlsConnector,
    observers: Observers,
}

impl Proxy {
    pub fn new(config: ProxyConfig) -> Result<Proxy, TlsError> {
        let tls = tokio_rustls::TlsConnector::from(config.roots.client_config()?);
        Ok(Proxy {
            inner: Arc::new(Inner {
                policy: config.policy,
                secrets: config.secrets,
                resolver: config.resolver,
                tls,
                observers: Arc::new(config.observers),
            }),
        })
    }

    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    /// Services whose secret cannot be read now (name, error). Checked at
    /// start so a missing keyring entry is reported before the agent runs.
    pub fn missing_secrets(&self) -> Vec<(String, String)> {
        self.inner
            .policy
            .services()
            .iter()
            .filter_map(|s| self.inner.secrets.get(&s.secret_name).err().map(|e| (s.name.clone(), e.to_string())))
            .collect()
    }

    /// Accepts connections until the task is dropped or the listener fails.
    pub async fn serve_tcp(&self, listener: TcpListener) -> std::io::Result<()> {
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            tokio::spawn(self.clone().serve_connection(stream));
        }
    }

    /// Accepts connections on a unix socket (the sandbox bridge).
    pub async fn serve_unix(&self, listener: UnixListener) -> std::io::Result<()> {
        loop {
            let (stream, _) = listener.accept().await?;
            tokio::spawn(self.clone().serve_connection(stream));
        }
    }

    /// Serves one client connection to completion.
    pub async fn serve_connection<S>(self, stream: S)
    where
        S: AsyncRead + AsyncWrite + AsFd + Unpin + Send + 'static,
    {
        let limits = &self.inner.policy.limits;
        // A second handle on the socket, to answer 408 after hyper gives up
        // on a slow request head (hyper closes without a response).
        let late_writer = stream.as_fd().try_clone_to_owned().ok().map(std::fs::File::from);
        // No idle timeout on the client side: hyper's header timeout covers
        // idle keep-alive connections, and the upstream side's idle timeout
        // covers stalled bodies and tunnels without cutting off a client
        // that is waiting for a slow (non-streamed) model response.
        let io = IdleTimeout::new(stream, None);
        let mid_request = io.mid_request_flag();
        let io = TokioIo::new(io);
        let inner = self.inner.clone();
        let service = service_fn(move |req| {
            let inner = inner.clone();
            async move { Ok::<_, Infallible>(handle(inner, req).await) }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .max_headers(limits.max_headers)
            .max_header_size(limits.max_header_bytes)
            .keep_alive(true);
        let result = builder.serve_connection(io, service).with_upgrades().await;
        if let Err(e) = result {
            tracing::debug!(error = %e, "client connection ended with an error");
            self.record_rejected_head(&e, mid_request.load(Ordering::Relaxed));
            // Only when part of a head arrived: a keep-alive connection that
            // simply went quiet is closed without a stray response.
            if e.is_timeout()
                && mid_request.load(Ordering::Relaxed)
                && let Some(mut w) = late_writer
            {
                let body = "Paddock egress proxy: the request head took too long.\n";
                let _ = write!(
                    w,
                    "HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n\
                     connection: close\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
            }
        }
    }
}

impl Proxy {
    /// Requests that hyper refused before they reached us (malformed,
    /// oversized, too slow) are refusals too, and go to the audit trail.
    fn record_rejected_head(&self, e: &hyper::Error, mid_request: bool) {
        let (status, rule, reason) = if e.is_parse_too_large() {
            (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "limits",
                "request head too large, too many headers or URI too long",
            )
        } else if e.is_parse() {
            (StatusCode::BAD_REQUEST, "malformed-request", "the request is not valid HTTP/1.1")
        } else if e.is_timeout() && mid_request {
            (StatusCode::REQUEST_TIMEOUT, "limits", "the request head took too long")
        } else {
            return;
        };
        let mut t = Tracker::new(&self.inner, RequestKind::Forward, &Method::GET, "", 0, "");
        t.record.method = String::new();
        t.record.decision = Decision::Denied;
        t.record.rule = Some(rule.into());
        t.record.reason = Some(reason.into());
        t.record.status = Some(status.as_u16());
    }
}

/// Builds and emits the record for one request. Emitted exactly once, on
/// drop: when a denial is answered, when a response body ends or the
/// client goes away, or when a tunnel closes.
struct Tracker {
    record: RequestRecord,
    started: Instant,
    up: Arc<AtomicU64>,
    down: Arc<AtomicU64>,
    observers: Observers,
}

impl Tracker {
    fn new(inner: &Inner, kind: RequestKind, method: &Method, host: &str, port: u16, path: &str) -> Tracker {
        Tracker {
            record: RequestRecord {
                id: Uuid::now_v7(),
                started_at: Utc::now(),
                duration_ms: 0,
                kind,
                method: method.as_str().to_string(),
                host: host.to_string(),
                port,
                path: redact_query(path),
                decision: Decision::Denied,
                rule: None,
                reason: None,
                service: None,
                status: None,
                bytes_up: 0,
                bytes_down: 0,
                error: None,
            },
            started: Instant::now(),
            up: Arc::new(AtomicU64::new(0)),
            down: Arc::new(AtomicU64::new(0)),
            observers: inner.observers.clone(),
        }
    }

    fn deny(mut self, status: StatusCode, rule: &str, reason: &str) -> Response<ProxyBody> {
        self.record.decision = Decision::Denied;
        self.record.rule = Some(rule.to_string());
        self.record.reason = Some(reason.to_string());
        self.record.status = Some(status.as_u16());
        let target = format!("{}:{}", self.record.host, self.record.port);
        let mut resp = denial(status, &target, rule, reason);
        // A malformed or oversized request ends the connection; a policy
        // refusal (403) leaves it usable for the next request.
        if status != StatusCode::FORBIDDEN {
            resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        resp
    }

    fn fail(mut self, status: StatusCode, message: String) -> Response<ProxyBody> {
        self.record.status = Some(status.as_u16());
        self.record.error = Some(message.clone());
        text(status, format!("Paddock egress proxy: {message}\n"))
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        self.record.duration_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.record.bytes_up = self.up.load(Ordering::Relaxed);
        self.record.bytes_down = self.down.load(Ordering::Relaxed);
        for o in self.observers.iter() {
            o.on_record(&self.record);
        }
    }
}

fn text(status: StatusCode, body: String) -> Response<ProxyBody> {
    let mut resp = Response::new(Full::new(Bytes::from(body)).map_err(|e| match e {}).boxed());
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    resp
}

/// The 403 an agent sees: plain text, saying this is policy and that
/// retrying will not help, so it stops.
fn denial(status: StatusCode, target: &str, rule: &str, reason: &str) -> Response<ProxyBody> {
    let body = format!(
        "Paddock egress proxy: request refused.\n\
         target: {target}\n\
         reason: {reason}\n\
         rule: {rule}\n\
         This is the task's network policy, not a network failure: retrying will not help. \
         If this host is needed, ask the user to allow it in the task's egress policy.\n"
    );
    let mut resp = text(status, body);
    if let Ok(v) = HeaderValue::from_str(rule) {
        resp.headers_mut().insert(HeaderName::from_static("x-paddock-egress-rule"), v);
    }
    resp
}

async fn handle(inner: Arc<Inner>, req: Request<Incoming>) -> Response<ProxyBody> {
    let uri = req.uri().clone();
    let method = req.method().clone();
    let target_len =
        uri.path_and_query().map_or(0, |p| p.as_str().len()) + uri.authority().map_or(0, |a| a.as_str().len());
    if target_len > inner.policy.limits.max_uri_bytes {
        let t = Tracker::new(&inner, RequestKind::Forward, &method, uri.host().unwrap_or(""), 0, "");
        return t.deny(StatusCode::URI_TOO_LONG, "limits", "the request target is longer than the proxy allows");
    }
    if method == Method::TRACE || method.as_str() == "TRACK" {
        let host = uri.host().unwrap_or("");
        let t = Tracker::new(&inner, RequestKind::Forward, &method, host, uri.port_u16().unwrap_or(80), uri.path());
        let mut resp = t.deny(StatusCode::METHOD_NOT_ALLOWED, "method", "TRACE is not allowed through the proxy");
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"));
        return resp;
    }
    if method == Method::CONNECT {
        return tunnel(inner, req).await;
    }
    let is_local_service = match uri.host() {
        None => true,
        Some(h) => {
            matches!(Host::parse(h), Ok(Host::Ip(ip)) if ip.is_loopback()) || h.eq_ignore_ascii_case("localhost")
        }
    };
    if is_local_service && uri.path().starts_with(SERVICE_PREFIX) {
        return service(inner, req).await;
    }
    match uri.scheme_str() {
        Some("http") => forward(inner, req).await,
        Some(_) => {
            let t = Tracker::new(&inner, RequestKind::Forward, &method, uri.host().unwrap_or(""), 0, uri.path());
            t.deny(StatusCode::BAD_REQUEST, "scheme", "only http:// URLs are forwarded; use CONNECT for https")
        }
        None => {
            let t = Tracker::new(&inner, RequestKind::Forward, &method, "", 0, uri.path());
            t.deny(
                StatusCode::BAD_REQUEST,
                "not-a-proxy-request",
                "this is an HTTP proxy: send absolute-form requests (http://host/path), CONNECT, or /_svc/<service>/...",
            )
        }
    }
}

/// Outcome of checking and resolving a target.
enum Admission {
    Connect { addrs: Vec<SocketAddr>, rule: String },
    Denied { rule: String, reason: String },
    Failed(String),
}

async fn admit(inner: &Inner, raw_host: &str, port: u16) -> Admission {
    let (host, verdict) = inner.policy.decide(raw_host, port);
    let (host, rule, private) = match (host, verdict) {
        (_, Verdict::Deny { rule, reason }) => return Admission::Denied { rule, reason },
        (Err(reason), _) => return Admission::Denied { rule: crate::policy::INVALID_HOST_RULE.into(), reason },
        (Ok(host), Verdict::Allow { rule, private }) => (host, rule, private),
    };
    resolve_checked(inner, &host, port, private, rule).await
}

async fn resolve_checked(inner: &Inner, host: &Host, port: u16, private: bool, rule: String) -> Admission {
    let ips: Vec<IpAddr> = match host {
        Host::Ip(ip) => vec![*ip],
        Host::Domain(name) => match inner.resolver.resolve(name).await {
            Ok(ips) if !ips.is_empty() => ips,
            Ok(_) => return Admission::Failed(format!("{name} has no address")),
            Err(e) => return Admission::Failed(format!("cannot resolve {name}: {e}")),
        },
    };
    if let Err(reason) = check_resolved(host, &ips, private) {
        return Admission::Denied { rule: "private-address".into(), reason };
    }
    Admission::Connect { addrs: ips.into_iter().map(|ip| SocketAddr::new(ip, port)).collect(), rule }
}

async fn connect(addrs: &[SocketAddr]) -> Result<TcpStream, String> {
    match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addrs)).await {
        Ok(Ok(s)) => {
            let _ = s.set_nodelay(true);
            Ok(s)
        }
        Ok(Err(e)) => Err(format!("cannot connect to upstream: {e}")),
        Err(_) => Err("connecting to upstream timed out".into()),
    }
}

/// Hop-by-hop headers (RFC 9110 §7.6.1) and any the client listed in
/// `Connection` are not forwarded in either direction.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let listed: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for name in listed {
        headers.remove(name);
    }
    for name in [
        header::CONNECTION,
        header::PROXY_AUTHORIZATION,
        header::PROXY_AUTHENTICATE,
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
        HeaderName::from_static("keep-alive"),
        HeaderName::from_static("proxy-connection"),
    ] {
        headers.remove(name);
    }
}

/// Sends `req` over an established upstream connection and streams the
/// response back, counting bytes; the tracker is finished when the
/// response body ends.
async fn exchange<IO>(io: IO, req: Request<CountingBody<Incoming>>, mut tracker: Tracker) -> Response<ProxyBody>
where
    IO: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = match hyper::client::conn::http1::handshake(io).await {
        Ok(pair) => pair,
        Err(e) => return tracker.fail(StatusCode::BAD_GATEWAY, format!("upstream HTTP handshake failed: {e}")),
    };
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "upstream connection ended with an error");
        }
    });
    let resp = match sender.send_request(req).await {
        Ok(r) => r,
        Err(e) => return tracker.fail(StatusCode::BAD_GATEWAY, format!("upstream request failed: {e}")),
    };
    let (mut parts, body) = resp.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    tracker.record.status = Some(parts.status.as_u16());
    let down = tracker.down.clone();
    let tracker = Mutex::new(Some(tracker));
    let finish: Box<dyn FnOnce() + Send + Sync> = Box::new(move || {
        if let Ok(mut t) = tracker.lock() {
            t.take();
        }
    });
    let body = CountingBody::new(body, down, Some(finish)).map_err(BoxError::from).boxed();
    Response::from_parts(parts, body)
}

async fn forward(inner: Arc<Inner>, req: Request<Incoming>) -> Response<ProxyBody> {
    let (mut parts, body) = req.into_parts();
    let Some(authority) = parts.uri.authority().cloned() else {
        let t = Tracker::new(&inner, RequestKind::Forward, &parts.method, "", 0, parts.uri.path());
        return t.deny(StatusCode::BAD_REQUEST, "invalid-host", "the URL has no host");
    };
    let port = authority.port_u16().unwrap_or(80);
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    let mut tracker = Tracker::new(&inner, RequestKind::Forward, &parts.method, authority.host(), port, &path);
    let (addrs, rule) = match admit(&inner, authority.host(), port).await {
        Admission::Connect { addrs, rule } => (addrs, rule),
        Admission::Denied { rule, reason } => return tracker.deny(StatusCode::FORBIDDEN, &rule, &reason),
        Admission::Failed(message) => return tracker.fail(StatusCode::BAD_GATEWAY, message),
    };
    tracker.record.decision = Decision::Allowed;
    tracker.record.rule = Some(rule);
    let stream = match connect(&addrs).await {
        Ok(s) => s,
        Err(message) => return tracker.fail(StatusCode::BAD_GATEWAY, message),
    };
    strip_hop_by_hop(&mut parts.headers);
    // The Host header must name what the policy checked, not what the
    // client claims in a header.
    // Built from host and port only: userinfo (`user:pass@`) is never sent on.
    let host_header = match authority.port_u16() {
        Some(p) => format!("{}:{p}", authority.host()),
        None => authority.host().to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&host_header) {
        parts.headers.insert(header::HOST, v);
    }
    parts.uri = match path.parse::<Uri>() {
        Ok(u) => u,
        Err(_) => return tracker.fail(StatusCode::BAD_REQUEST, "the request path is not valid".into()),
    };
    parts.version = http::Version::HTTP_11;
    let body = CountingBody::new(body, tracker.up.clone(), None);
    let stream = IdleTimeout::new(stream, Some(inner.policy.limits.idle_timeout));
    exchange(TokioIo::new(stream), Request::from_parts(parts, body), tracker).await
}

async fn service(inner: Arc<Inner>, req: Request<Incoming>) -> Response<ProxyBody> {
    let (mut parts, body) = req.into_parts();
    let rest_of_path = parts.uri.path().strip_prefix(SERVICE_PREFIX).unwrap_or("");
    let (name, rest) = rest_of_path.split_once('/').map_or((rest_of_path, ""), |(n, r)| (n, r));
    let Some(svc) = inner.policy.service(name).cloned() else {
        let known: Vec<&str> = inner.policy.services().iter().map(|s| s.name.as_str()).collect();
        let t = Tracker::new(&inner, RequestKind::Service, &parts.method, "", 0, parts.uri.path());
        return t.deny(
            StatusCode::NOT_FOUND,
            "unknown-service",
            &format!("no service named {name:?} is configured (configured: {})", known.join(", ")),
        );
    };
    let up = &svc.upstream;
    if rest.split('/').any(|seg| {
        let seg = seg.to_ascii_lowercase().replace("%2e", ".");
        seg == ".." || seg == "."
    }) {
        let t = Tracker::new(&inner, RequestKind::Service, &parts.method, &up.host, up.port, parts.uri.path());
        return t.deny(StatusCode::BAD_REQUEST, "path", "dot segments are not allowed in service paths");
    }
    let mut path = format!("{}/{}", up.base_path, rest);
    if let Some(q) = parts.uri.query() {
        path.push('?');
        path.push_str(q);
    }
    let mut tracker = Tracker::new(&inner, RequestKind::Service, &parts.method, &up.host, up.port, &path);
    tracker.record.service = Some(svc.name.clone());
    let secret = match inner.secrets.get(&svc.secret_name) {
        Ok(s) => s,
        Err(e) => return tracker.fail(StatusCode::BAD_GATEWAY, format!("service {}: {e}", svc.name)),
    };
    let host = match Host::parse(&up.host) {
        Ok(h) => h,
        Err(e) => return tracker.fail(StatusCode::BAD_GATEWAY, format!("service {} upstream host: {e}", svc.name)),
    };
    let rule = format!("service:{}", svc.name);
    let addrs = match resolve_checked(&inner, &host, up.port, svc.private, rule.clone()).await {
        Admission::Connect { addrs, .. } => addrs,
        Admission::Denied { rule, reason } => return tracker.deny(StatusCode::FORBIDDEN, &rule, &reason),
        Admission::Failed(message) => return tracker.fail(StatusCode::BAD_GATEWAY, message),
    };
    tracker.record.decision = Decision::Allowed;
    tracker.record.rule = Some(rule);
    let stream = match connect(&addrs).await {
        Ok(s) => s,
        Err(message) => return tracker.fail(StatusCode::BAD_GATEWAY, message),
    };
    let server_name = match rustls_pki_types::ServerName::try_from(up.host.clone()) {
        Ok(n) => n,
        Err(_) => return tracker.fail(StatusCode::BAD_GATEWAY, format!("{:?} is not a TLS server name", up.host)),
    };
    let stream = IdleTimeout::new(stream, Some(inner.policy.limits.idle_timeout));
    let tls = match inner.tls.connect(server_name, stream).await {
        Ok(t) => t,
        Err(e) => return tracker.fail(StatusCode::BAD_GATEWAY, format!("TLS to {} failed: {e}", up.authority())),
    };
    if let Some(err) = request_headers_for_service(&svc, &mut parts.headers, &secret) {
        return tracker.fail(StatusCode::BAD_GATEWAY, err);
    }
    parts.uri = match path.parse::<Uri>() {
        Ok(u) => u,
        Err(_) => return tracker.fail(StatusCode::BAD_REQUEST, "the request path is not valid".into()),
    };
    parts.version = http::Version::HTTP_11;
    let body = CountingBody::new(body, tracker.up.clone(), None);
    exchange(TokioIo::new(tls), Request::from_parts(parts, body), tracker).await
}

/// Removes every client credential and adds the real one.
fn request_headers_for_service(
    svc: &Service,
    headers: &mut HeaderMap,
    secret: &crate::secrets::Secret,
) -> Option<String> {
    strip_hop_by_hop(headers);
    let names: Vec<HeaderName> = headers.keys().filter(|n| svc.strips(n)).cloned().collect();
    for n in names {
        headers.remove(n);
    }
    let Ok(host) = HeaderValue::from_str(&svc.upstream.authority()) else {
        return Some("the upstream authority is not a valid Host header".into());
    };
    headers.insert(header::HOST, host);
    match svc.header_value(secret) {
        Some(v) => {
            headers.insert(svc.header.clone(), v);
            None
        }
        // Deliberately says nothing about the value.
        None => Some(format!("the secret for service {} cannot be used in an HTTP header", svc.name)),
    }
}

async fn tunnel(inner: Arc<Inner>, req: Request<Incoming>) -> Response<ProxyBody> {
    let method = req.method().clone();
    let Some(authority) = req.uri().authority().cloned() else {
        let t = Tracker::new(&inner, RequestKind::Tunnel, &method, "", 0, "");
        return t.deny(StatusCode::BAD_REQUEST, "invalid-host", "CONNECT needs host:port");
    };
    let Some(port) = authority.port_u16() else {
        let t = Tracker::new(&inner, RequestKind::Tunnel, &method, authority.host(), 0, "");
        return t.deny(StatusCode::BAD_REQUEST, "invalid-host", "CONNECT needs an explicit port (host:port)");
    };
    let mut tracker = Tracker::new(&inner, RequestKind::Tunnel, &method, authority.host(), port, "");
    let (addrs, rule) = match admit(&inner, authority.host(), port).await {
        Admission::Connect { addrs, rule } => (addrs, rule),
        Admission::Denied { rule, reason } => return tracker.deny(StatusCode::FORBIDDEN, &rule, &reason),
        Admission::Failed(message) => return tracker.fail(StatusCode::BAD_GATEWAY, message),
    };
    tracker.record.decision = Decision::Allowed;
    tracker.record.rule = Some(rule);
    let mut upstream = match connect(&addrs).await {
        Ok(s) => s,
        Err(message) => return tracker.fail(StatusCode::BAD_GATEWAY, message),
    };
    tracker.record.status = Some(200);
    let idle = inner.policy.limits.idle_timeout;
    tokio::spawn(async move {
        match hyper::upgrade::on(req).await {
            Ok(upgraded) => {
                let mut client = TokioIo::new(upgraded);
                let mut upstream_io =
                    Counted::new(IdleTimeout::new(&mut upstream, Some(idle)), tracker.up.clone(), tracker.down.clone());
                let copied = tokio::io::copy_bidirectional_with_sizes(
                    &mut client,
                    &mut upstream_io,
                    TUNNEL_BUFFER,
                    TUNNEL_BUFFER,
                )
                .await;
                if let Err(e) = copied {
                    tracker.record.error = Some(format!("tunnel ended: {e}"));
                }
            }
            Err(e) => tracker.record.error = Some(format!("upgrade failed: {e}")),
        }
        drop(tracker); // emits the record
    });
    Response::new(http_body_util::Empty::new().map_err(|e| match e {}).boxed())
}
