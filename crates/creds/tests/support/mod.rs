//! Test support: a real moto server per test on a loopback port, SigV4-signed raw requests
//! (moto's 403 auth errors do not parse in the SDK, so we assert on status and body), account
//! set-up and a whole-account listing for leak checks, and a fault-injecting proxy.
//! Shared with crates/cli/tests/creds.rs via `#[path]`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "moto_start.rs"]
mod moto_start;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};

pub const REGION: &str = "us-east-1";
pub const BUCKET: &str = "paddock-data";
pub const OTHER_BUCKET: &str = "other-data";
pub const BASE_ROLE: &str = "paddock-base";

fn moto_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../creds/tests/support/moto.sh")
}

/// The venv python that has moto, installing it (once, idempotently) if needed. Fails the
/// test, loudly, if it cannot.
pub fn moto_python() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let out = Command::new("bash").arg(moto_script()).stderr(Stdio::inherit()).output().unwrap_or_else(|e| {
            panic!("cannot run {}: {e}", moto_script().display())
        });
        assert!(
            out.status.success(),
            "installing moto failed (tests/support/moto.sh needs python3 -m venv and PyPI for `moto[server]`); see stderr above"
        );
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
    .clone()
}

pub struct Moto {
    pub port: u16,
    child: Child,
}

impl Moto {
    /// A moto server of this test's own (see [`moto_start::start`]).
    pub fn start() -> Moto {
        let launcher = moto_script().with_file_name("moto_launch.py");
        let answers = |port| matches!(http(port, "GET", "/moto-api/data.json", &[], b""), Ok((200, _)));
        let (child, port) = moto_start::start(&moto_python(), &launcher, &answers).unwrap_or_else(|e| panic!("{e}"));
        Moto { port, child }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Turns moto's IAM enforcement on: from now on every request must be signed by a known
    /// key and be allowed by its policies. (moto 5: the body is the number of requests still
    /// let through unauthenticated.)
    pub fn enable_auth(&self) {
        let (status, body) = http(self.port, "POST", "/moto-api/reset-auth", &[], b"0").unwrap();
        assert_eq!(status, 200, "reset-auth: {body}");
    }

    pub fn disable_auth(&self) {
        let (status, body) = http(self.port, "POST", "/moto-api/reset-auth", &[], b"inf").unwrap();
        assert_eq!(status, 200, "reset-auth: {body}");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One plain HTTP/1.1 request (Connection: close). Returns status and body.
pub fn http(port: u16, method: &str, path: &str, headers: &[(String, String)], body: &[u8]) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        if !k.eq_ignore_ascii_case("host") && !k.eq_ignore_ascii_case("content-length") {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp)?;
    let text = String::from_utf8_lossy(&resp).to_string();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}

#[derive(Clone)]
pub struct Keys {
    pub id: String,
    pub secret: String,
    pub token: Option<String>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keys({})", self.id)
    }
}

/// A SigV4-signed request (signed with aws-sigv4, sent raw), for asserting what a key may do.
pub fn signed(port: u16, method: &str, path: &str, service: &str, keys: &Keys, body: &[u8]) -> (u16, String) {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    let url = format!("http://127.0.0.1:{port}{path}");
    let identity = Credentials::new(&keys.id, &keys.secret, keys.token.clone(), None, "test").into();
    let mut settings = SigningSettings::default();
    if service == "s3" {
        settings.payload_checksum_kind = aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name(service)
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let host = format!("127.0.0.1:{port}");
    let mut headers = vec![("host".to_string(), host)];
    if service != "s3" {
        headers.push(("content-type".into(), "application/x-www-form-urlencoded; charset=utf-8".into()));
    }
    let signable = SignableRequest::new(
        method,
        url.clone(),
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    for (k, v) in instructions.headers() {
        headers.push((k.to_string(), v.to_string()));
    }
    http(port, method, path, &headers, body).unwrap()
}

/// An SDK config pointed at moto with the given keys (hyper 1 + rustls, like the crate).
pub async fn sdk_config(port: u16, keys: &Keys) -> aws_config::SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .http_client(http)
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .credentials_provider(Credentials::new(&keys.id, &keys.secret, keys.token.clone(), None, "test"))
        .load()
        .await
}

pub struct Fixture {
    pub admin: Keys,
    pub admin_arn: String,
    pub role_arn: String,
}

/// With auth off: an admin user (Allow *), the base role (trusting the admin, allowed to read
/// `paddock-data/*`), two buckets with objects. Then auth on.
pub async fn bootstrap(moto: &Moto) -> Fixture {
    let anyone = Keys { id: "AKIABOOTSTRAP0000000".into(), secret: "bootstrap".into(), token: None };
    let iam = aws_sdk_iam::Client::new(&sdk_config(moto.port, &anyone).await);
    let user = iam.create_user().user_name("admin").send().await.unwrap();
    let admin_arn = user.user().unwrap().arn().to_string();
    iam.put_user_policy()
        .user_name("admin")
        .policy_name("admin-all")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    let key = iam.create_access_key().user_name("admin").send().await.unwrap();
    let key = key.access_key().unwrap();
    let admin = Keys { id: key.access_key_id().into(), secret: key.secret_access_key().into(), token: None };
    let trust = serde_json::json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Principal":{"AWS": admin_arn},"Action":["sts:AssumeRole","sts:SetSourceIdentity","sts:TagSession"]}]});
    let role = iam
        .create_role()
        .role_name(BASE_ROLE)
        .assume_role_policy_document(trust.to_string())
        .max_session_duration(3600)
        .send()
        .await
        .unwrap();
    let role_arn = role.role().unwrap().arn().to_string();
    iam.put_role_policy()
        .role_name(BASE_ROLE)
        .policy_name("base-s3")
        .policy_document(
            serde_json::json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",
                "Resource":format!("arn:aws:s3:::{BUCKET}/*")}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    for bucket in [BUCKET, OTHER_BUCKET] {
        let (st, body) = signed(moto.port, "PUT", &format!("/{bucket}"), "s3", &admin, b"");
        assert_eq!(st, 200, "create bucket {bucket}: {body}");
    }
    for (path, data) in [
        (format!("/{BUCKET}/reports/q1.txt"), "q1"),
        (format!("/{BUCKET}/private/salaries.txt"), "secret"),
        (format!("/{OTHER_BUCKET}/x.txt"), "x"),
    ] {
        let (st, body) = signed(moto.port, "PUT", &path, "s3", &admin, data.as_bytes());
        assert_eq!(st, 200, "put {path}: {body}");
    }
    moto.enable_auth();
    Fixture { admin, admin_arn, role_arn }
}

/// Everything identity-related in the account, as sorted strings, for leak checks.
#[derive(Debug, PartialEq, Eq)]
pub struct Account {
    pub users: Vec<String>,
    pub access_keys: Vec<String>,
    pub user_policies: Vec<String>,
    pub local_policies: Vec<String>,
    pub roles: Vec<String>,
    pub role_policies: Vec<String>,
}

pub async fn account(port: u16, admin: &Keys) -> Account {
    let iam = aws_sdk_iam::Client::new(&sdk_config(port, admin).await);
    let mut a = Account {
        users: vec![],
        access_keys: vec![],
        user_policies: vec![],
        local_policies: vec![],
        roles: vec![],
        role_policies: vec![],
    };
    for u in iam.list_users().send().await.unwrap().users() {
        let name = u.user_name().to_string();
        for k in iam.list_access_keys().user_name(&name).send().await.unwrap().access_key_metadata() {
            a.access_keys.push(format!("{name}:{}", k.access_key_id().unwrap()));
        }
        for p in iam.list_user_policies().user_name(&name).send().await.unwrap().policy_names() {
            a.user_policies.push(format!("{name}:{p}"));
        }
        a.users.push(name);
    }
    for p in iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).send().await.unwrap().policies() {
        a.local_policies.push(p.arn().unwrap().to_string());
    }
    for r in iam.list_roles().send().await.unwrap().roles() {
        let name = r.role_name().to_string();
        for p in iam.list_role_policies().role_name(&name).send().await.unwrap().policy_names() {
            a.role_policies.push(format!("{name}:{p}"));
        }
        a.roles.push(name);
    }
    for v in [&mut a.users, &mut a.access_keys, &mut a.user_policies, &mut a.local_policies, &mut a.roles, &mut a.role_policies] {
        v.sort();
    }
    a
}

/// The account as [`bootstrap`] left it: anything more is a leak.
pub fn pristine(f: &Fixture) -> Account {
    Account {
        users: vec!["admin".into()],
        access_keys: vec![format!("admin:{}", f.admin.id)],
        user_policies: vec!["admin:admin-all".into()],
        local_policies: vec![],
        roles: vec![BASE_ROLE.into()],
        role_policies: vec![format!("{BASE_ROLE}:base-s3")],
    }
}

/// What the fault proxy does to request number `n` (0-based).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fault {
    Pass,
    /// 503 without forwarding.
    Unavailable,
    /// 400 `Throttling` without forwarding.
    Throttle,
    /// Forward (the call happens), then answer 500 (the client never learns it happened).
    LoseResponse,
}

/// A tiny HTTP/1.1 proxy in front of moto that injects faults per `plan`.
pub struct FaultProxy {
    pub port: u16,
    pub injected: Arc<AtomicUsize>,
    counter: Arc<AtomicUsize>,
}

impl FaultProxy {
    pub fn start(upstream: u16, plan: fn(usize) -> Fault) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let injected = Arc::new(AtomicUsize::new(0));
        let counter = Arc::new(AtomicUsize::new(0));
        let inj = injected.clone();
        let count = counter.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { return };
                let (inj, counter) = (inj.clone(), count.clone());
                std::thread::spawn(move || {
                    let _ = serve(conn, upstream, plan, &inj, &counter);
                });
            }
        });
        FaultProxy { port, injected, counter }
    }

    /// Requests seen so far.
    pub fn requests(&self) -> usize {
        self.counter.load(Ordering::SeqCst)
    }
}

fn read_message(r: &mut BufReader<TcpStream>) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let len = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-length")))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    Ok(Some((head, body)))
}

fn serve(conn: TcpStream, upstream: u16, plan: fn(usize) -> Fault, injected: &AtomicUsize, counter: &AtomicUsize) -> std::io::Result<()> {
    let mut out = conn.try_clone()?;
    let mut r = BufReader::new(conn);
    while let Some((head, body)) = read_message(&mut r)? {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        let fault = plan(n);
        let error = |status: &str, code: &str| {
            let xml = format!(
                "<ErrorResponse><Error><Type>Receiver</Type><Code>{code}</Code><Message>injected by the test proxy</Message></Error><RequestId>fault-{n}</RequestId></ErrorResponse>"
            );
            format!("HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{xml}", xml.len())
        };
        let reply = match fault {
            Fault::Unavailable => error("503 Service Unavailable", "ServiceUnavailable").into_bytes(),
            Fault::Throttle => error("400 Bad Request", "Throttling").into_bytes(),
            Fault::Pass | Fault::LoseResponse => {
                let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
                up.write_all(head.as_bytes())?;
                up.write_all(&body)?;
                let mut ur = BufReader::new(up);
                let (rh, rb) = read_message(&mut ur)?.unwrap_or_default();
                if fault == Fault::LoseResponse {
                    error("500 Internal Server Error", "InternalFailure").into_bytes()
                } else {
                    let mut v = rh.into_bytes();
                    v.extend_from_slice(&rb);
                    v
                }
            }
        };
        if fault != Fault::Pass {
            injected.fetch_add(1, Ordering::SeqCst);
        }
        out.write_all(&reply)?;
    }
    Ok(())
}
