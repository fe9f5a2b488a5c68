//! Real peers for the proxy tests: an HTTP upstream, a TLS upstream with its
//! own CA (rcgen), the proxy on loopback, and curl/python3 runners.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns
#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use paddock_egress::{
    ChannelObserver, MemorySecretStore, Policy, Proxy, ProxyConfig, RequestRecord, Resolver, Secret, StaticResolver,
    UpstreamRoots,
};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

pub const TIMEOUT: Duration = Duration::from_secs(60);

/// What an upstream saw: method, path and headers of each request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Default)]
pub struct Upstream {
    pub addr: Option<SocketAddr>,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub hits: Arc<AtomicUsize>,
    /// `/sse` waits on this between its two events.
    pub sse_gate: Arc<tokio::sync::Notify>,
}

impl Upstream {
    pub fn port(&self) -> u16 {
        self.addr.unwrap().port()
    }
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

type Body = http_body_util::combinators::BoxBody<Bytes, Infallible>;

async fn upstream_handler(up: Upstream, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    up.hits.fetch_add(1, Ordering::SeqCst);
    let seen = Seen {
        method: req.method().to_string(),
        path: req.uri().to_string(),
        headers: req
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
    };
    up.seen.lock().unwrap().push(seen.clone());
    if req.uri().path() == "/sse" {
        let gate = up.sse_gate.clone();
        let (tx, rx) = mpsc::channel::<Bytes>(4);
        tokio::spawn(async move {
            tx.send(Bytes::from_static(b"data: first\n\n")).await.ok();
            gate.notified().await;
            tx.send(Bytes::from_static(b"data: second\n\n")).await.ok();
        });
        let mut resp = Response::new(BodyExt::boxed(ChannelBody(rx)));
        resp.headers_mut().insert("content-type", "text/event-stream".parse().unwrap());
        return Ok(resp);
    }
    let body = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let text = format!("upstream saw: {} {} body={}\n", seen.method, seen.path, body.len());
    Ok(Response::new(BodyExt::boxed(Full::new(Bytes::from(text)))))
}

/// A response body fed by a channel, frame by frame.
struct ChannelBody(mpsc::Receiver<Bytes>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}

/// Plain-HTTP upstream on 127.0.0.1.
pub async fn start_http_upstream() -> Upstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut up = Upstream { addr: Some(listener.local_addr().unwrap()), ..Default::default() };
    up.addr = Some(listener.local_addr().unwrap());
    let served = up.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let up = served.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| upstream_handler(up.clone(), req));
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
            });
        }
    });
    up
}

/// A CA and a server certificate for `localhost` and 127.0.0.1.
pub struct TestCa {
    pub ca_pem: String,
    pub server_config: Arc<rustls::ServerConfig>,
}

pub fn test_ca() -> TestCa {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "paddock egress test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
    server_config.alpn_protocols = vec![b"http/1.1".to_vec()];
    TestCa { ca_pem: ca.pem(), server_config: Arc::new(server_config) }
}

/// TLS-only upstream on 127.0.0.1 with a certificate from `ca`.
pub async fn start_tls_upstream(ca: &TestCa) -> Upstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let up = Upstream { addr: Some(listener.local_addr().unwrap()), ..Default::default() };
    let served = up.clone();
    let acceptor = tokio_rustls::TlsAcceptor::from(ca.server_config.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let up = served.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else { return };
                let svc = service_fn(move |req| upstream_handler(up.clone(), req));
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls), svc).await;
            });
        }
    });
    up
}

pub struct TestProxy {
    pub addr: SocketAddr,
    pub records: mpsc::UnboundedReceiver<RequestRecord>,
    pub secrets: Arc<MemorySecretStore>,
}

impl TestProxy {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits for the next record (records are emitted when a response ends).
    pub async fn next_record(&mut self) -> RequestRecord {
        tokio::time::timeout(TIMEOUT, self.records.recv()).await.expect("no record within timeout").unwrap()
    }
}

#[derive(Default)]
pub struct ProxyOptions {
    pub answers: HashMap<String, Vec<IpAddr>>,
    pub ca_pem: Option<String>,
    pub secrets: Vec<(String, String)>,
}

pub fn build_proxy(
    policy_toml: &str,
    opts: ProxyOptions,
) -> (Proxy, mpsc::UnboundedReceiver<RequestRecord>, Arc<MemorySecretStore>) {
    let policy = Policy::from_toml(policy_toml).unwrap_or_else(|e| panic!("test policy invalid: {e}\n{policy_toml}"));
    let secrets = Arc::new(MemorySecretStore::new());
    for (name, value) in &opts.secrets {
        secrets.insert(name, Secret::from(value.clone()));
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let mut roots = UpstreamRoots { without_webpki: true, ..Default::default() };
    if let Some(pem) = &opts.ca_pem {
        assert_eq!(roots.add_pem(pem.as_bytes()), 1);
    }
    let resolver: Arc<dyn Resolver> = Arc::new(StaticResolver { answers: opts.answers });
    let config = ProxyConfig {
        policy,
        secrets: secrets.clone(),
        resolver,
        roots,
        observers: vec![Arc::new(ChannelObserver(tx))],
    };
    (Proxy::new(config).unwrap(), rx, secrets)
}

pub async fn start_proxy(policy_toml: &str, opts: ProxyOptions) -> TestProxy {
    let (proxy, records, secrets) = build_proxy(policy_toml, opts);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { proxy.serve_tcp(listener).await });
    TestProxy { addr, records, secrets }
}

fn require_tool(name: &str) {
    if which(name).is_none() {
        panic!(
            "this test needs `{name}` on PATH (Debian package: {})",
            if name == "python3" { "python3" } else { name }
        );
    }
}

fn which(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| std::path::Path::new(d).join(name)).find(|p| p.is_file())
}

/// Runs curl with `args` (never through the environment's proxy settings).
pub async fn curl(args: &[&str]) -> Output {
    require_tool("curl");
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new("curl")
            .args(["--silent", "--show-error", "--max-time", "60"])
            .args(&args)
            .env_remove("http_proxy")
            .env_remove("https_proxy")
            .env_remove("HTTPS_PROXY")
            .env_remove("ALL_PROXY")
            .env_remove("no_proxy")
            .env_remove("NO_PROXY")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// Runs a python3 script with `args`.
pub async fn python(script: &str, args: &[String]) -> Output {
    require_tool("python3");
    let script = script.to_string();
    let args = args.to_vec();
    tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg("-c")
            .arg(script)
            .args(&args)
            .env_remove("http_proxy")
            .env_remove("https_proxy")
            .env_remove("no_proxy")
            .env_remove("NO_PROXY")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Sends raw bytes to the proxy and reads until the proxy closes the
/// connection; returns everything it sent back.
pub async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    // The proxy may answer and close before we finish writing a huge head.
    let _ = s.write_all(request).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(TIMEOUT, s.read_to_end(&mut out)).await.expect("proxy did not close the connection");
    String::from_utf8_lossy(&out).into_owned()
}
