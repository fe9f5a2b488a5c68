//! A strict local fake of the Google Cloud APIs the GCP provider uses, on one loopback port:
//! IAM (service accounts, keys), IAM Credentials (`generateAccessToken`), Resource Manager v3
//! (project IAM policy), Cloud Storage JSON API (bucket IAM policy, plus object reads, lists and
//! uploads so a minted token can be tried), and an OAuth token endpoint for ADC user credentials.
//!
//! No public emulator covers these APIs, so this fake is what the provider is verified against —
//! not live GCP. It follows the documented shapes and behaviours:
//! - request bodies and query parameters are checked field by field: anything unknown is a
//!   400 `INVALID_ARGUMENT` ("Invalid JSON payload received. Unknown name …") *and* a recorded
//!   violation that fails the test; unknown paths are 404 + violation;
//! - errors are `google.rpc.Status` JSON (`{"error":{"code","message","status"}}`), Cloud
//!   Storage's are its own JSON error shape with `errors[].reason`;
//! - etags are base64 (Resource Manager: 8 bytes; Storage: a protobuf varint of the version);
//!   a stale etag is 409 `ABORTED` (Resource Manager) or 412 `conditionNotMet` (Storage); a
//!   write *without* an etag is legal for the API but a violation here (Paddock must never
//!   overwrite a policy blindly);
//! - conditions need policy version 3 and a valid expression (CEL subset, `cel.rs`); members
//!   naming a service account must name an existing one; deleting an account rewrites its
//!   memberships to `deleted:serviceAccount:<email>?uid=<id>`;
//! - a new account is invisible to reads for a while (eventual consistency, configurable);
//!   a disabled or deleted account's tokens are refused and it cannot mint new ones;
//! - the 101st account of a project is 429 `RESOURCE_EXHAUSTED` "Maximum number of service
//!   accounts on project reached." with a RetryInfo detail, as IAM answers;
//! - every API call needs `Authorization: Bearer` with a token of a principal: one from the
//!   token endpoint (ADC user credentials), a self-signed RS256 JWT of a registered admin service
//!   account (signature verified), or a `generateAccessToken` token of a service account;
//!   administration (IAM, Resource Manager, bucket policies) only for principals made project
//!   admins, and every authenticated call is recorded with its principal ([`FakeGcp::callers`]);
//! - `generateAccessToken` on a service account needs the caller to be a project admin or to
//!   hold `roles/iam.serviceAccountTokenCreator` on that account; otherwise 403
//!   `PERMISSION_DENIED` "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or
//!   it may not exist)." with an `IAM_PERMISSION_DENIED` ErrorInfo, as IAM Credentials answers.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde_json::{Value, json};

#[path = "cel.rs"]
pub mod cel;

pub const PROJECT: &str = "paddock-test-1";
pub const BUCKET: &str = "paddock-data";
pub const OTHER_BUCKET: &str = "other-data";
const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

#[derive(Debug, Clone)]
pub struct Account {
    pub email: String,
    pub unique_id: String,
    pub display_name: String,
    pub description: String,
    pub disabled: bool,
    pub keys: Vec<String>,
    created: Instant,
}

#[derive(Debug, Clone, Default)]
struct Policy {
    version: i64,
    bindings: Vec<Value>,
    /// Bumped on every write; the etag encodes it.
    generation: u64,
}

#[derive(Default)]
struct Bucket {
    policy: Policy,
    objects: BTreeMap<String, Vec<u8>>,
}

struct Token {
    email: String,
    expires: DateTime<Utc>,
}

#[derive(Default)]
struct State {
    accounts: BTreeMap<String, Account>,
    project_policy: Policy,
    buckets: BTreeMap<String, Bucket>,
    /// Token-endpoint tokens → their user principal (`user:<email>`).
    user_tokens: HashMap<String, String>,
    admin_keys: HashMap<String, Vec<u8>>,
    /// ADC user credentials the token endpoint accepts: (client id, secret, refresh token, email).
    users: Vec<(String, String, String, String)>,
    /// Principals (`user:…`, `serviceAccount:…`) that may administer the project.
    project_admins: Vec<String>,
    /// Service account email → principals holding roles/iam.serviceAccountTokenCreator on it.
    token_creators: HashMap<String, Vec<String>>,
    /// `METHOD path` → principal, for every authenticated request.
    callers: Vec<(String, String)>,
    tokens: HashMap<String, Token>,
    quota: usize,
    invisible_for: Duration,
    /// resource key (`project` or `bucket:<name>`) → how many more writes another admin races.
    interfere: HashMap<String, u32>,
    violations: Vec<String>,
    requests: Vec<String>,
    next_uid: u64,
    max_lifetime_secs: i64,
}

/// What exists, for leak checks: compare with the snapshot taken before the test's leases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub accounts: Vec<String>,
    pub keys: Vec<String>,
    pub project_bindings: Vec<String>,
    pub bucket_bindings: Vec<String>,
    /// Tokens that would still be accepted.
    pub usable_tokens: usize,
}

pub struct FakeGcp {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

fn b64_etag_rm(generation: u64) -> String {
    let mut b = generation.to_be_bytes();
    b[0] = 0x07;
    STANDARD.encode(b)
}

fn b64_etag_gcs(generation: u64) -> String {
    let mut v = vec![0x08u8];
    let mut n = generation;
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            v.push(byte);
            break;
        }
        v.push(byte | 0x80);
    }
    STANDARD.encode(v)
}

impl FakeGcp {
    /// Starts the fake on 127.0.0.1 with project [`PROJECT`], buckets [`BUCKET`] (objects
    /// `reports/q1.txt`, `private/salaries.txt`) and [`OTHER_BUCKET`] (`x.txt`), each policy
    /// holding one binding of someone else's.
    pub fn start() -> FakeGcp {
        // The server runs on its own thread and runtime, so it works under any test (sync or
        // async) and is never dropped inside an async context; it ends with the test process.
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let mut st = State {
            quota: 100,
            invisible_for: Duration::from_millis(300),
            next_uid: 10_451_822_347_001_500_000,
            max_lifetime_secs: 3600,
            ..State::default()
        };
        st.project_policy = Policy {
            version: 1,
            bindings: vec![json!({"role": "roles/owner", "members": ["user:owner@example.com"]})],
            generation: 1,
        };
        for (b, objects) in [
            (BUCKET, vec![("reports/q1.txt", "q1"), ("private/salaries.txt", "secret")]),
            (OTHER_BUCKET, vec![("x.txt", "x")]),
        ] {
            st.buckets.insert(
                b.to_string(),
                Bucket {
                    policy: Policy {
                        version: 1,
                        bindings: vec![json!({"role": "roles/storage.legacyBucketOwner", "members": [format!("projectOwner:{PROJECT}")]})],
                        generation: 1,
                    },
                    objects: objects.into_iter().map(|(k, v)| (k.to_string(), v.as_bytes().to_vec())).collect(),
                },
            );
        }
        let state = Arc::new(Mutex::new(st));
        let s2 = state.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                loop {
                    let Ok((stream, _)) = listener.accept().await else { return };
                    let s = s2.clone();
                    tokio::spawn(async move {
                        let svc = hyper::service::service_fn(move |req| {
                            let s = s.clone();
                            async move { Ok::<_, std::convert::Infallible>(handle(&s, req).await) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                            .await;
                    });
                }
            });
        });
        FakeGcp { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn st(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// Registers an admin service account's RSA public key (PKCS#1 DER) for JWT verification.
    pub fn register_admin_key(&self, email: &str, public_pkcs1_der: Vec<u8>) {
        self.st().admin_keys.insert(email.to_string(), public_pkcs1_der);
    }

    /// Registers ADC user credentials the token endpoint accepts, of a user who administers
    /// the project (`user:adc-admin@example.com`).
    pub fn register_refresh_token(&self, client_id: &str, client_secret: &str, refresh_token: &str) {
        self.register_user("adc-admin@example.com", client_id, client_secret, refresh_token);
        self.make_project_admin("user:adc-admin@example.com");
    }

    /// Registers ADC user credentials of `email`, who holds nothing on the project.
    pub fn register_user(&self, email: &str, client_id: &str, client_secret: &str, refresh_token: &str) {
        self.st().users.push((client_id.into(), client_secret.into(), refresh_token.into(), email.into()));
    }

    /// Lets `principal` (`user:…` or `serviceAccount:…`) administer the project: IAM, Resource
    /// Manager and bucket policies, and minting tokens of the project's service accounts.
    pub fn make_project_admin(&self, principal: &str) {
        self.st().project_admins.push(principal.to_string());
    }

    /// Grants `principal` roles/iam.serviceAccountTokenCreator on the service account `email`.
    pub fn grant_token_creator(&self, email: &str, principal: &str) {
        self.st().token_creators.entry(email.to_string()).or_default().push(principal.to_string());
    }

    /// `(METHOD path, principal)` of every authenticated request so far.
    pub fn callers(&self) -> Vec<(String, String)> {
        self.st().callers.clone()
    }

    /// How long a new account stays invisible to reads.
    pub fn set_invisible_for(&self, d: Duration) {
        self.st().invisible_for = d;
    }

    pub fn set_quota(&self, n: usize) {
        self.st().quota = n;
    }

    /// Makes another admin change `resource` (`project` or `bucket:<name>`) right before each of
    /// the next `n` policy writes to it, so those writes carry a stale etag.
    pub fn interfere(&self, resource: &str, n: u32) {
        self.st().interfere.insert(resource.to_string(), n);
    }

    /// Creates an account directly (as another admin would), returning its email.
    pub fn create_account(&self, id: &str, description: &str) -> String {
        let mut st = self.st();
        let email = format!("{id}@{PROJECT}.iam.gserviceaccount.com");
        st.next_uid += 1;
        let uid = st.next_uid.to_string();
        st.accounts.insert(
            email.clone(),
            Account {
                email: email.clone(),
                unique_id: uid,
                display_name: id.into(),
                description: description.into(),
                disabled: false,
                keys: vec![],
                created: Instant::now() - Duration::from_secs(3600),
            },
        );
        email
    }

    /// Adds a user-managed key to an account (as someone with the console would).
    pub fn add_key(&self, email: &str) {
        let mut st = self.st();
        let a = st.accounts.get_mut(email).unwrap();
        let id = format!("{:040x}", a.keys.len() as u128 + 0xabc0);
        a.keys.push(id);
    }

    /// Adds a binding to the project policy directly.
    pub fn add_project_binding(&self, binding: Value) {
        let mut st = self.st();
        st.project_policy.bindings.push(binding);
        st.project_policy.version = 3;
        st.project_policy.generation += 1;
    }

    pub fn account(&self, email: &str) -> Option<Account> {
        self.st().accounts.get(email).cloned()
    }

    pub fn project_bindings(&self) -> Vec<Value> {
        self.st().project_policy.bindings.clone()
    }

    pub fn bucket_bindings(&self, bucket: &str) -> Vec<Value> {
        self.st().buckets[bucket].policy.bindings.clone()
    }

    /// Protocol violations seen so far (a correct client causes none).
    pub fn violations(&self) -> Vec<String> {
        self.st().violations.clone()
    }

    /// `METHOD path → status` of every request so far (no bodies, no headers).
    pub fn requests(&self) -> Vec<String> {
        self.st().requests.clone()
    }

    pub fn assert_no_violations(&self) {
        let v = self.violations();
        assert!(v.is_empty(), "the fake GCP saw requests a correct client never sends:\n{}", v.join("\n"));
    }

    pub fn snapshot(&self) -> Snapshot {
        let st = self.st();
        let now = Utc::now();
        let mut s = Snapshot {
            accounts: st.accounts.keys().cloned().collect(),
            keys: st.accounts.values().flat_map(|a| a.keys.iter().map(move |k| format!("{}:{k}", a.email))).collect(),
            project_bindings: st.project_policy.bindings.iter().map(Value::to_string).collect(),
            bucket_bindings: st
                .buckets
                .iter()
                .flat_map(|(n, b)| b.policy.bindings.iter().map(move |x| format!("{n}:{x}")))
                .collect(),
            // The admin's own (impersonated) tokens are not a lease's leftovers.
            usable_tokens: st
                .tokens
                .values()
                .filter(|t| t.expires > now && st.accounts.get(&t.email).is_some_and(|a| !a.disabled))
                .filter(|t| !st.project_admins.contains(&format!("serviceAccount:{}", t.email)))
                .count(),
        };
        s.project_bindings.sort();
        s.bucket_bindings.sort();
        s
    }
}

fn resp(status: u16, body: Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=UTF-8")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

fn rpc_status(code: u16) -> &'static str {
    match code {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ALREADY_EXISTS",
        412 => "FAILED_PRECONDITION",
        429 => "RESOURCE_EXHAUSTED",
        _ => "INTERNAL",
    }
}

/// A `google.rpc.Status` error body.
fn rpc_err(code: u16, status: &str, message: &str) -> Response<Full<Bytes>> {
    resp(code, json!({"error": {"code": code, "message": message, "status": status}}))
}

/// A Cloud Storage JSON API error body.
fn gcs_err(code: u16, reason: &str, message: &str) -> Response<Full<Bytes>> {
    resp(code, json!({"error": {"code": code, "message": message, "errors": [{"message": message, "domain": "global", "reason": reason}]}}))
}

fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let hex = b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).to_string()
}

fn query(q: Option<&str>) -> Vec<(String, String)> {
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (pct_decode(&k.replace('+', " ")), pct_decode(&v.replace('+', " ")))
        })
        .collect()
}

/// Checks that `v` is an object whose keys are all in `allowed`; the error names the first
/// unknown key as Google's JSON parser does.
fn check_fields(v: &Value, allowed: &[&str], at: &str) -> Result<(), String> {
    let Some(o) = v.as_object() else { return Err(format!("Invalid JSON payload received. Expected an object at '{at}'.")) };
    for k in o.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(format!("Invalid JSON payload received. Unknown name \"{k}\" at '{at}': Cannot find field."));
        }
    }
    Ok(())
}

struct Req {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    auth: Option<String>,
    body: Vec<u8>,
}

async fn handle(state: &Arc<Mutex<State>>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = req.method().to_string();
    // Segments are decoded one by one: an object name's `%2F` is part of the name, not a separator.
    let path = req.uri().path().split('/').map(pct_decode).collect::<Vec<_>>().join("\u{1}");
    let q = query(req.uri().query());
    let auth = req.headers().get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
    let body = req.into_body().collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
    let r = Req { method, path, query: q, auth, body };
    let mut st = state.lock().unwrap();
    let (response, violation) = route(&mut st, &r);
    let status = response.status().as_u16();
    let shown = r.path.replace('\u{1}', "/");
    st.requests.push(format!("{} {shown} → {status}", r.method));
    if let Some(v) = violation {
        st.violations.push(format!("{} {shown}: {v}", r.method));
    }
    response
}

type Out = (Response<Full<Bytes>>, Option<String>);

/// A response that also fails the test: the request is one a correct client never sends.
fn violation(code: u16, message: &str) -> Out {
    (rpc_err(code, rpc_status(code), message), Some(message.to_string()))
}

fn ok(v: Value) -> Out {
    (resp(200, v), None)
}

fn plain(r: Response<Full<Bytes>>) -> Out {
    (r, None)
}

/// Query parameters a route accepts, besides the system parameters every Google client may send.
fn check_query(r: &Req, allowed: &[&str]) -> Result<(), String> {
    for (k, v) in &r.query {
        let system = match k.as_str() {
            "$alt" | "alt" => v == "json;enum-encoding=int" || v == "json" || (v == "media" && allowed.contains(&"alt")),
            "prettyPrint" => true,
            _ => false,
        };
        if !system && !allowed.contains(&k.as_str()) {
            return Err(format!("unknown query parameter `{k}`"));
        }
    }
    Ok(())
}

fn body_json(r: &Req) -> Result<Value, String> {
    if r.body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(&r.body).map_err(|e| format!("Invalid JSON payload received. {e}"))
}

enum Caller {
    /// A project admin, by principal.
    Admin(String),
    /// A service account's token (a lease's account), by email.
    Task(String),
    /// A user who is no project admin, by principal.
    User(String),
}

impl Caller {
    fn principal(&self) -> String {
        match self {
            Caller::Admin(p) | Caller::User(p) => p.clone(),
            Caller::Task(e) => format!("serviceAccount:{e}"),
        }
    }
}

fn authenticate(st: &State, r: &Req) -> Result<Caller, String> {
    let Some(token) = r.auth.as_deref().and_then(|a| a.strip_prefix("Bearer ")) else {
        return Err("missing bearer token".into());
    };
    let is_admin = |p: &str| st.project_admins.iter().any(|a| a == p);
    if let Some(p) = st.user_tokens.get(token) {
        return Ok(if is_admin(p) { Caller::Admin(p.clone()) } else { Caller::User(p.clone()) });
    }
    if let Some(t) = st.tokens.get(token) {
        let alive = t.expires > Utc::now() && st.accounts.get(&t.email).is_some_and(|a| !a.disabled);
        if !alive {
            return Err("token of a disabled, deleted or expired account".into());
        }
        let p = format!("serviceAccount:{}", t.email);
        return Ok(if is_admin(&p) { Caller::Admin(p) } else { Caller::Task(t.email.clone()) });
    }
    verify_jwt(st, token)
}

/// A self-signed JWT (AIP-4111) of a registered admin account: RS256 over `header.claims`.
fn verify_jwt(st: &State, token: &str) -> Result<Caller, String> {
    let parts: Vec<&str> = token.split('.').collect();
    let [h, c, sig] = parts.as_slice() else { return Err("not a known token".into()) };
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).map_err(|_| "bad JWT header")?).map_err(|_| "bad JWT header")?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(c).map_err(|_| "bad JWT claims")?).map_err(|_| "bad JWT claims")?;
    if header["alg"] != "RS256" {
        return Err("JWT alg must be RS256".into());
    }
    let iss = claims["iss"].as_str().unwrap_or_default();
    let key = st.admin_keys.get(iss).ok_or("JWT from an unknown account")?;
    let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| "bad JWT signature encoding")?;
    ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, key)
        .verify(format!("{h}.{c}").as_bytes(), &sig)
        .map_err(|_| "JWT signature does not verify")?;
    if claims["sub"] != claims["iss"] || claims["exp"].as_i64().unwrap_or(0) <= Utc::now().timestamp() {
        return Err("JWT expired or sub != iss".into());
    }
    if claims["scope"].as_str() != Some(SCOPE) && claims["aud"].as_str().is_none() {
        return Err("JWT has neither the cloud-platform scope nor an audience".into());
    }
    Ok(Caller::Admin(format!("serviceAccount:{iss}")))
}

const UNAUTHENTICATED: &str = "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";

fn route(st: &mut State, r: &Req) -> Out {
    let segs: Vec<&str> = r.path.trim_start_matches('\u{1}').split('\u{1}').collect();
    if r.method == "POST" && segs == ["token"] {
        return token_endpoint(st, r);
    }
    let caller = match authenticate(st, r) {
        Ok(c) => {
            st.callers.push((format!("{} {}", r.method, r.path.replace('\u{1}', "/")), c.principal()));
            c
        }
        Err(why) => {
            // Storage answers in its own error shape.
            if matches!(segs.first(), Some(&"storage" | &"upload")) {
                return plain(gcs_err(401, "authError", &format!("Invalid Credentials ({why})")));
            }
            return plain(rpc_err(401, "UNAUTHENTICATED", UNAUTHENTICATED));
        }
    };
    match (r.method.as_str(), segs.as_slice()) {
        // Cloud Storage: objects, for trying a task token.
        ("GET", ["storage", "v1", "b", b, "o", object]) => gcs_object_get(st, r, &caller, b, object),
        ("GET", ["storage", "v1", "b", b, "o"]) => gcs_object_list(st, r, &caller, b),
        ("POST", ["upload", "storage", "v1", "b", b, "o"]) => gcs_object_upload(st, r, &caller, b),
        ("POST", ["v1", "projects", "-", "serviceAccounts", rest]) if rest.ends_with(":generateAccessToken") => {
            generate_token(st, r, &caller, rest.trim_end_matches(":generateAccessToken"))
        }
        _ => {
            let Caller::Admin(_) = caller else {
                return plain(rpc_err(403, "PERMISSION_DENIED", "The caller does not have permission"));
            };
            admin_route(st, r, &segs)
        }
    }
}

fn token_endpoint(st: &mut State, r: &Req) -> Out {
    let Ok(v) = body_json(r) else { return violation(400, "token request is not JSON") };
    if let Err(e) = check_fields(&v, &["grant_type", "client_id", "client_secret", "refresh_token", "scopes"], "token") {
        return violation(400, &e);
    }
    let got = (v["client_id"].as_str(), v["client_secret"].as_str(), v["refresh_token"].as_str());
    let user = st
        .users
        .iter()
        .find(|(id, secret, refresh, _)| got == (Some(id.as_str()), Some(secret.as_str()), Some(refresh.as_str())))
        .map(|u| u.3.clone());
    match user {
        Some(email) if v["grant_type"] == "refresh_token" => {
            let token = format!("ya29.user-{}", uuid::Uuid::new_v4().simple());
            st.user_tokens.insert(token.clone(), format!("user:{email}"));
            ok(json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer", "scope": SCOPE}))
        }
        _ => plain(resp(400, json!({"error": "invalid_grant", "error_description": "Bad Request"}))),
    }
}

fn account_json(a: &Account) -> Value {
    let mut v = json!({
        "name": format!("projects/{PROJECT}/serviceAccounts/{}", a.email),
        "projectId": PROJECT,
        "uniqueId": a.unique_id,
        "email": a.email,
        "displayName": a.display_name,
        "etag": "MDEwMjE5MjA=",
        "description": a.description,
        "oauth2ClientId": a.unique_id,
    });
    if a.disabled {
        v["disabled"] = json!(true);
    }
    v
}

fn visible<'a>(st: &'a State, email: &str) -> Option<&'a Account> {
    st.accounts.get(email).filter(|a| a.created.elapsed() >= st.invisible_for)
}

fn not_found_account(email: &str) -> Out {
    plain(rpc_err(404, "NOT_FOUND", &format!("Service account projects/{PROJECT}/serviceAccounts/{email} does not exist.")))
}

fn admin_route(st: &mut State, r: &Req, segs: &[&str]) -> Out {
    let project_ok = |p: &str| p == PROJECT;
    match (r.method.as_str(), segs) {
        ("POST", ["v1", "projects", p, "serviceAccounts"]) if project_ok(p) => create_account(st, r),
        ("GET", ["v1", "projects", p, "serviceAccounts"]) if project_ok(p) => list_accounts(st, r),
        ("GET", ["v1", "projects", p, "serviceAccounts", email]) if project_ok(p) => {
            if let Err(e) = check_query(r, &[]) {
                return violation(400, &e);
            }
            match visible(st, email) {
                Some(a) => ok(account_json(a)),
                None => not_found_account(email),
            }
        }
        ("POST", ["v1", "projects", p, "serviceAccounts", rest]) if project_ok(p) && rest.ends_with(":disable") => {
            let email = rest.trim_end_matches(":disable");
            if let Err(e) = body_json(r).and_then(|v| check_fields(&v, &[], "")).and_then(|_| check_query(r, &[])) {
                return violation(400, &e);
            }
            if visible(st, email).is_none() {
                return not_found_account(email);
            }
            if let Some(a) = st.accounts.get_mut(email) {
                a.disabled = true;
            }
            ok(json!({}))
        }
        ("DELETE", ["v1", "projects", p, "serviceAccounts", email]) if project_ok(p) => {
            if let Err(e) = check_query(r, &[]) {
                return violation(400, &e);
            }
            if visible(st, email).is_none() {
                return not_found_account(email);
            }
            let a = st.accounts.remove(*email).unwrap();
            // IAM keeps the memberships, in their deleted form.
            let live = format!("serviceAccount:{email}");
            let dead = format!("deleted:serviceAccount:{email}?uid={}", a.unique_id);
            let rewrite = |p: &mut Policy| {
                for b in &mut p.bindings {
                    for m in b["members"].as_array_mut().into_iter().flatten() {
                        if m.as_str() == Some(live.as_str()) {
                            *m = json!(dead);
                        }
                    }
                }
            };
            rewrite(&mut st.project_policy);
            for b in st.buckets.values_mut() {
                rewrite(&mut b.policy);
            }
            ok(json!({}))
        }
        ("GET", ["v1", "projects", p, "serviceAccounts", email, "keys"]) if project_ok(p) => {
            if let Err(e) = check_query(r, &["keyTypes"]) {
                return violation(400, &e);
            }
            let types: Vec<&str> = r.query.iter().filter(|(k, _)| k == "keyTypes").map(|(_, v)| v.as_str()).collect();
            if types.iter().any(|t| !matches!(*t, "USER_MANAGED" | "1" | "SYSTEM_MANAGED" | "2")) {
                return violation(400, &format!("unknown keyTypes {types:?}"));
            }
            let Some(a) = visible(st, email) else { return not_found_account(email) };
            let keys: Vec<Value> = a
                .keys
                .iter()
                .map(|k| json!({"name": format!("projects/{PROJECT}/serviceAccounts/{email}/keys/{k}"), "keyAlgorithm": 2, "keyOrigin": 1, "keyType": 1, "validAfterTime": "2024-01-01T00:00:00Z", "validBeforeTime": "9999-12-31T23:59:59Z"}))
                .collect();
            ok(if keys.is_empty() { json!({}) } else { json!({"keys": keys}) })
        }
        ("DELETE", ["v1", "projects", p, "serviceAccounts", email, "keys", key]) if project_ok(p) => {
            if let Err(e) = check_query(r, &[]) {
                return violation(400, &e);
            }
            let Some(a) = st.accounts.get_mut(*email) else { return not_found_account(email) };
            let before = a.keys.len();
            a.keys.retain(|k| k != key);
            if a.keys.len() == before {
                return plain(rpc_err(404, "NOT_FOUND", &format!("Service account key {key} does not exist.")));
            }
            ok(json!({}))
        }
        ("POST", ["v3", "projects", rest]) if *rest == format!("{PROJECT}:getIamPolicy") => {
            let v = match body_json(r) {
                Ok(v) => v,
                Err(e) => return violation(400, &e),
            };
            if let Err(e) = check_fields(&v, &["options"], "").and_then(|_| {
                v.get("options").map_or(Ok(()), |o| check_fields(o, &["requestedPolicyVersion"], "options"))
            }) {
                return violation(400, &e);
            }
            if v.pointer("/options/requestedPolicyVersion").and_then(Value::as_i64) != Some(3) {
                return violation(400, "policy read without requestedPolicyVersion 3 (conditional bindings would be hidden)");
            }
            ok(policy_json(&st.project_policy, b64_etag_rm(st.project_policy.generation)))
        }
        ("POST", ["v3", "projects", rest]) if *rest == format!("{PROJECT}:setIamPolicy") => {
            let v = match body_json(r) {
                Ok(v) => v,
                Err(e) => return violation(400, &e),
            };
            if let Err(e) = check_fields(&v, &["policy", "updateMask"], "") {
                return violation(400, &e);
            }
            set_policy(st, "project", &v["policy"], &["version", "bindings", "etag", "auditConfigs"])
        }
        ("GET", ["storage", "v1", "b", b, "iam"]) => {
            if let Err(e) = check_query(r, &["optionsRequestedPolicyVersion"]) {
                return violation(400, &e);
            }
            if !r.query.iter().any(|(k, v)| k == "optionsRequestedPolicyVersion" && v == "3") {
                return violation(400, "bucket policy read without optionsRequestedPolicyVersion=3");
            }
            let Some(bucket) = st.buckets.get(*b) else {
                return plain(gcs_err(404, "notFound", "The specified bucket does not exist."));
            };
            let mut p = policy_json(&bucket.policy, b64_etag_gcs(bucket.policy.generation));
            p["kind"] = json!("storage#policy");
            p["resourceId"] = json!(format!("projects/_/buckets/{b}"));
            ok(p)
        }
        ("PUT", ["storage", "v1", "b", b, "iam"]) => {
            if let Err(e) = check_query(r, &[]) {
                return violation(400, &e);
            }
            if !st.buckets.contains_key(*b) {
                return plain(gcs_err(404, "notFound", "The specified bucket does not exist."));
            }
            let v = match body_json(r) {
                Ok(v) => v,
                Err(e) => return violation(400, &e),
            };
            set_policy(st, &format!("bucket:{b}"), &v, &["version", "bindings", "etag", "kind", "resourceId"])
        }
        _ => violation(404, &format!("no such method in the fake GCP: {} /{}", r.method, segs.join("/"))),
    }
}

fn policy_json(p: &Policy, etag: String) -> Value {
    let mut v = json!({"version": p.version, "etag": etag});
    if !p.bindings.is_empty() {
        v["bindings"] = json!(p.bindings);
    }
    v
}

fn create_account(st: &mut State, r: &Req) -> Out {
    let v = match body_json(r) {
        Ok(v) => v,
        Err(e) => return violation(400, &e),
    };
    if let Err(e) = check_query(r, &[]).and_then(|_| check_fields(&v, &["accountId", "serviceAccount"], "")).and_then(|_| {
        v.get("serviceAccount").map_or(Ok(()), |s| check_fields(s, &["displayName", "description"], "service_account"))
    }) {
        return violation(400, &e);
    }
    let id = v["accountId"].as_str().unwrap_or_default();
    let id_ok = (6..=30).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !id_ok {
        return violation(400, &format!("accountId `{id}` does not match [a-z]([-a-z0-9]*[a-z0-9]) of 6-30 characters"));
    }
    let display = v.pointer("/serviceAccount/displayName").and_then(Value::as_str).unwrap_or_default();
    let description = v.pointer("/serviceAccount/description").and_then(Value::as_str).unwrap_or_default();
    if display.chars().count() > 100 || description.chars().count() > 256 {
        return violation(400, "displayName over 100 or description over 256 characters");
    }
    let email = format!("{id}@{PROJECT}.iam.gserviceaccount.com");
    if st.accounts.contains_key(&email) {
        return plain(rpc_err(409, "ALREADY_EXISTS", &format!("Service account {id} already exists within project projects/{PROJECT}.")));
    }
    if st.accounts.len() >= st.quota {
        return plain(resp(
            429,
            json!({"error": {"code": 429, "message": "Maximum number of service accounts on project reached.", "status": "RESOURCE_EXHAUSTED",
                "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "86401s"}]}}),
        ));
    }
    st.next_uid += 1;
    let a = Account {
        email: email.clone(),
        unique_id: st.next_uid.to_string(),
        display_name: display.into(),
        description: description.into(),
        disabled: false,
        keys: vec![],
        created: Instant::now(),
    };
    let out = account_json(&a);
    st.accounts.insert(email, a);
    ok(out)
}

fn list_accounts(st: &State, r: &Req) -> Out {
    if let Err(e) = check_query(r, &["pageSize", "pageToken"]) {
        return violation(400, &e);
    }
    let get = |k: &str| r.query.iter().find(|(kk, _)| kk == k).map(|(_, v)| v.clone());
    // A small default page (real: 20 by default, at most 100) so clients must paginate.
    let size = get("pageSize").and_then(|s| s.parse::<usize>().ok()).filter(|n| *n > 0).unwrap_or(20).min(100);
    let start = get("pageToken").filter(|s| !s.is_empty()).map(|t| t.parse::<usize>().unwrap_or(usize::MAX)).unwrap_or(0);
    let all: Vec<&Account> = st.accounts.values().filter(|a| a.created.elapsed() >= st.invisible_for).collect();
    if start > all.len() {
        return violation(400, "invalid pageToken");
    }
    let page: Vec<Value> = all.iter().skip(start).take(size).map(|a| account_json(a)).collect();
    let mut v = json!({"accounts": page});
    if start + size < all.len() {
        v["nextPageToken"] = json!((start + size).to_string());
    }
    ok(v)
}

/// `generateAccessToken`: for project admins (project-level Token Creator) on the project's
/// accounts, and for holders of roles/iam.serviceAccountTokenCreator on that very account.
fn generate_token(st: &mut State, r: &Req, caller: &Caller, email: &str) -> Out {
    let principal = caller.principal();
    let creator = st.token_creators.get(email).is_some_and(|m| m.contains(&principal));
    let project_admin = matches!(caller, Caller::Admin(_)) && email.ends_with(&format!("@{PROJECT}.iam.gserviceaccount.com"));
    if !creator && !project_admin {
        return plain(resp(
            403,
            json!({"error": {"code": 403,
                "message": "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
                "status": "PERMISSION_DENIED",
                "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "IAM_PERMISSION_DENIED",
                    "domain": "iam.googleapis.com", "metadata": {"permission": "iam.serviceAccounts.getAccessToken"}}]}}),
        ));
    }
    let v = match body_json(r) {
        Ok(v) => v,
        Err(e) => return violation(400, &e),
    };
    if let Err(e) = check_query(r, &[]).and_then(|_| check_fields(&v, &["scope", "lifetime", "delegates"], "")) {
        return violation(400, &e);
    }
    let scopes: Vec<&str> = v["scope"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    if scopes.is_empty() {
        return violation(400, "generateAccessToken without scope");
    }
    let lifetime = v["lifetime"].as_str().unwrap_or("3600s");
    let Some(secs) = lifetime.strip_suffix('s').and_then(|s| s.parse::<f64>().ok()) else {
        return violation(400, &format!("lifetime `{lifetime}` is not a google.protobuf.Duration"));
    };
    if secs < 1.0 || secs as i64 > st.max_lifetime_secs {
        return plain(rpc_err(400, "INVALID_ARGUMENT", &format!("The lifetime must be between 1s and {}s.", st.max_lifetime_secs)));
    }
    let Some(a) = visible(st, email) else {
        return plain(rpc_err(404, "NOT_FOUND", "Requested entity was not found."));
    };
    if a.disabled {
        return plain(rpc_err(400, "FAILED_PRECONDITION", &format!("Service account {email} is disabled.")));
    }
    let token = format!("ya29.c.{}", URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes()));
    let expires = Utc::now() + chrono::Duration::seconds(secs as i64);
    st.tokens.insert(token.clone(), Token { email: email.into(), expires });
    ok(json!({"accessToken": token, "expireTime": expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)}))
}

const KNOWN_ROLES: &[&str] = &[
    "roles/owner",
    "roles/editor",
    "roles/viewer",
    "roles/browser",
    "roles/storage.objectViewer",
    "roles/storage.objectCreator",
    "roles/storage.objectAdmin",
    "roles/storage.legacyBucketOwner",
    "roles/storage.legacyBucketReader",
];

fn permissions(role: &str) -> &'static [&'static str] {
    match role {
        "roles/storage.objectViewer" => &["storage.objects.get", "storage.objects.list"],
        "roles/storage.objectCreator" => &["storage.objects.create"],
        "roles/storage.objectAdmin" => &["storage.objects.get", "storage.objects.list", "storage.objects.create"],
        "roles/viewer" | "roles/browser" => &["resourcemanager.projects.get"],
        _ => &[],
    }
}

fn set_policy(st: &mut State, key: &str, p: &Value, allowed: &[&str]) -> Out {
    let gcs = key.starts_with("bucket:");
    if let Err(e) = check_fields(p, allowed, "policy") {
        return violation(400, &e);
    }
    let Some(etag) = p.get("etag").and_then(Value::as_str) else {
        return violation(400, "policy written without an etag: a blind overwrite can lose someone else's change");
    };
    if STANDARD.decode(etag).is_err() {
        return violation(400, &format!("etag `{etag}` is not base64"));
    }
    let version = p.get("version").and_then(Value::as_i64).unwrap_or(1);
    let bindings: Vec<Value> = p.get("bindings").and_then(Value::as_array).cloned().unwrap_or_default();
    for b in &bindings {
        if let Err(e) = check_fields(b, &["role", "members", "condition"], "policy.bindings") {
            return violation(400, &e);
        }
        let role = b["role"].as_str().unwrap_or_default();
        if !KNOWN_ROLES.contains(&role) || (gcs && !role.starts_with("roles/storage.")) {
            return plain(rpc_err(400, "INVALID_ARGUMENT", &format!("Role {role} is not supported for this resource.")));
        }
        if let Some(c) = b.get("condition") {
            if let Err(e) = check_fields(c, &["title", "description", "expression"], "policy.bindings.condition") {
                return violation(400, &e);
            }
            if version != 3 {
                return violation(400, "a conditional binding needs policy version 3");
            }
            if c["title"].as_str().is_none_or(|t| t.is_empty() || t.len() > 100) {
                return violation(400, "condition title missing or over 100 characters");
            }
            if let Err(e) = cel::parse(c["expression"].as_str().unwrap_or_default()) {
                return plain(rpc_err(400, "INVALID_ARGUMENT", &format!("Condition expression is invalid: {e}")));
            }
        }
        let members = b["members"].as_array().cloned().unwrap_or_default();
        if members.is_empty() {
            return violation(400, "a binding without members");
        }
        for m in members.iter().filter_map(Value::as_str) {
            if let Some(email) = m.strip_prefix("serviceAccount:")
                && email.ends_with(&format!("@{PROJECT}.iam.gserviceaccount.com"))
                && !st.accounts.contains_key(email)
            {
                return plain(rpc_err(400, "INVALID_ARGUMENT", &format!("Service account {email} does not exist.")));
            }
            let known = ["user:", "group:", "serviceAccount:", "domain:", "deleted:serviceAccount:", "projectOwner:", "projectViewer:", "projectEditor:"];
            if !known.iter().any(|k| m.starts_with(k)) && m != "allUsers" && m != "allAuthenticatedUsers" {
                return violation(400, &format!("member `{m}` is not a principal identifier"));
            }
        }
    }
    // Another admin gets in first.
    if let Some(n) = st.interfere.get_mut(key).filter(|n| **n > 0) {
        *n -= 1;
        let other = json!({"role": if gcs { "roles/storage.objectViewer" } else { "roles/viewer" }, "members": [format!("user:other-admin-{n}@example.com")]});
        let pol = policy_mut(st, key);
        pol.bindings.push(other);
        pol.generation += 1;
    }
    let pol = policy_mut(st, key);
    let current = if gcs { b64_etag_gcs(pol.generation) } else { b64_etag_rm(pol.generation) };
    if etag != current {
        return plain(if gcs {
            gcs_err(412, "conditionNotMet", "Precondition Failed")
        } else {
            rpc_err(
                409,
                "ABORTED",
                &format!("There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff. The request's ETag '{etag}' did not match the current policy's ETag '{current}'."),
            )
        });
    }
    pol.version = version;
    pol.bindings = bindings;
    pol.generation += 1;
    let mut out = policy_json(pol, if gcs { b64_etag_gcs(pol.generation) } else { b64_etag_rm(pol.generation) });
    if gcs {
        out["kind"] = json!("storage#policy");
        out["resourceId"] = json!(format!("projects/_/buckets/{}", &key[7..]));
    }
    ok(out)
}

fn policy_mut<'a>(st: &'a mut State, key: &str) -> &'a mut Policy {
    match key.strip_prefix("bucket:") {
        Some(b) => &mut st.buckets.get_mut(b).unwrap().policy,
        None => &mut st.project_policy,
    }
}

/// IAM's decision for a task token: a binding on the bucket or the project (inherited) whose
/// role has `permission`, whose members include the account, and whose condition holds.
fn allowed(st: &State, email: &str, bucket: &str, permission: &str, resource_name: &str, list_prefix: Option<&str>) -> bool {
    let member = format!("serviceAccount:{email}");
    let ctx = cel::Ctx {
        now: Utc::now(),
        resource_name,
        resource_type: if resource_name.contains("/objects/") { "storage.googleapis.com/Object" } else { "storage.googleapis.com/Bucket" },
        list_prefix,
    };
    let bucket_bindings = st.buckets.get(bucket).map(|b| b.policy.bindings.as_slice()).unwrap_or(&[]);
    bucket_bindings.iter().chain(st.project_policy.bindings.iter()).any(|b| {
        permissions(b["role"].as_str().unwrap_or_default()).contains(&permission)
            && b["members"].as_array().is_some_and(|m| m.iter().any(|m| m.as_str() == Some(member.as_str())))
            && b.get("condition").is_none_or(|c| cel::parse(c["expression"].as_str().unwrap_or_default()).is_ok_and(|e| e.eval(&ctx)))
    })
}

fn denied(email: &str, permission: &str, what: &str) -> Out {
    plain(gcs_err(403, "forbidden", &format!("{email} does not have {permission} access to the Google Cloud Storage {what}. Permission '{permission}' denied on resource (or it may not exist).")))
}

fn task_email(caller: &Caller) -> Option<&str> {
    match caller {
        Caller::Task(e) => Some(e),
        Caller::Admin(_) | Caller::User(_) => None,
    }
}

fn gcs_object_get(st: &State, r: &Req, caller: &Caller, b: &str, object: &str) -> Out {
    if let Err(e) = check_query(r, &["alt"]) {
        return violation(400, &e);
    }
    let Some(email) = task_email(caller) else { return violation(400, "object reads are for task tokens in this fake") };
    if !allowed(st, email, b, "storage.objects.get", &format!("projects/_/buckets/{b}/objects/{object}"), None) {
        return denied(email, "storage.objects.get", "object");
    }
    match st.buckets.get(b).and_then(|x| x.objects.get(object)) {
        Some(data) => plain(Response::builder().status(200).body(Full::new(Bytes::from(data.clone()))).unwrap()),
        None => plain(gcs_err(404, "notFound", "No such object.")),
    }
}

fn gcs_object_list(st: &State, r: &Req, caller: &Caller, b: &str) -> Out {
    if let Err(e) = check_query(r, &["prefix"]) {
        return violation(400, &e);
    }
    let Some(email) = task_email(caller) else { return violation(400, "object lists are for task tokens in this fake") };
    let prefix = r.query.iter().find(|(k, _)| k == "prefix").map(|(_, v)| v.as_str());
    if !allowed(st, email, b, "storage.objects.list", &format!("projects/_/buckets/{b}"), prefix) {
        return denied(email, "storage.objects.list", "bucket");
    }
    let items: Vec<Value> = st.buckets[b]
        .objects
        .keys()
        .filter(|k| k.starts_with(prefix.unwrap_or("")))
        .map(|k| json!({"kind": "storage#object", "name": k, "bucket": b}))
        .collect();
    ok(json!({"kind": "storage#objects", "items": items}))
}

fn gcs_object_upload(st: &mut State, r: &Req, caller: &Caller, b: &str) -> Out {
    if let Err(e) = check_query(r, &["uploadType", "name"]) {
        return violation(400, &e);
    }
    let Some(email) = task_email(caller).map(str::to_string) else { return violation(400, "uploads are for task tokens in this fake") };
    let name = r.query.iter().find(|(k, _)| k == "name").map(|(_, v)| v.clone()).unwrap_or_default();
    if !allowed(st, &email, b, "storage.objects.create", &format!("projects/_/buckets/{b}/objects/{name}"), None) {
        return denied(&email, "storage.objects.create", "object");
    }
    st.buckets.get_mut(b).unwrap().objects.insert(name.clone(), r.body.clone());
    ok(json!({"kind": "storage#object", "name": name, "bucket": b}))
}

/// An RSA key pair for an admin service account, made with the `openssl` command line (Debian
/// package `openssl`): the service-account JSON (PKCS#8 private key) and the PKCS#1 public key
/// the fake verifies JWTs with.
pub fn admin_service_account(dir: &std::path::Path, email: &str) -> (String, Vec<u8>) {
    let key = dir.join("admin-key.pem");
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl").args(args).output().unwrap_or_else(|e| {
            panic!("the GCP tests need the `openssl` command (Debian package openssl) to make a test RSA key: {e}")
        });
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    run(&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key.to_str().unwrap()]);
    let public = run(&["rsa", "-in", key.to_str().unwrap(), "-RSAPublicKey_out", "-outform", "DER"]);
    let pem = std::fs::read_to_string(&key).unwrap();
    std::fs::remove_file(&key).unwrap();
    let json = json!({
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": "0123456789abcdef0123456789abcdef01234567",
        "private_key": pem,
        "client_email": email,
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
    });
    (json.to_string(), public)
}

/// Plain HTTP calls with a task token, to see what it may do.
pub fn call(fake: &FakeGcp, method: &str, path: &str, token: &str, body: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(fake.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        fake.addr,
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}
