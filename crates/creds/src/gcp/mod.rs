//! The GCP provider: one service account per lease, bound to the granted roles on the granted
//! project or buckets with a time-limited IAM condition, and an OAuth access token minted for it
//! with `generateAccessToken`. No service account key is ever created.
//!
//! Names are derived from the lease id, so revocation and the orphan sweep need nothing held in
//! memory: account `paddock-<22 hex of the lease id>` (30 characters, IAM's maximum), whose
//! description starts with `paddock lease <uuid>`; the sweep owns only accounts with both.
//!
//! Clients: Google's generated Rust clients (IAM admin, IAM credentials, Resource Manager v3,
//! HTTP/JSON transport) with google-cloud-auth for the admin's credentials; bucket policies go
//! over the Storage JSON API with reqwest and the same credentials. Every base URL can be
//! redirected with [`GcpConfig::endpoint_url`] (the tests' strict local fake).

mod account;
pub mod bindings;

use std::time::Duration;

use chrono::{DateTime, Utc};
use google_cloud_auth::credentials::{self as gauth, CacheableResource, Credentials};
use google_cloud_gax::error::Error as GaxError;
use google_cloud_gax::error::rpc::Code;
use google_cloud_gax::retry_policy::{Aip194Strict, RetryPolicy, RetryPolicyExt};
use google_cloud_gax::retry_result::RetryResult;
use google_cloud_gax::retry_state::RetryState;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::CredsError;
use crate::grants::Grant;
use crate::provider::{BoxFuture, Issued, LiveLeases, Orphan, Provider, RevokeProgress, Steps};
use crate::store::Lease;

/// Prefix of every account id (and so every email) the provider makes.
pub const ACCOUNT_PREFIX: &str = "paddock-";
/// Every description the provider writes starts with this, then the lease id.
pub const DESCRIPTION_PREFIX: &str = "paddock lease ";
/// `generateAccessToken`'s default ceiling; more needs the org policy
/// `constraints/iam.allowServiceAccountCredentialLifetimeExtension` (up to 12 h).
pub const DEFAULT_MAX_TOKEN_LIFETIME_SECS: u64 = 3600;
pub const EXTENDED_MAX_TOKEN_LIFETIME_SECS: u64 = 12 * 3600;
/// The roles `gcs:read` / `gcs:write` use, allowed unless the settings say otherwise.
pub const DEFAULT_ALLOWED_ROLES: &[&str] = &[bindings::OBJECT_VIEWER, bindings::OBJECT_CREATOR];
const CLOUD_PLATFORM_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// Where the admin (provisioning) credentials come from. Never from a file Paddock wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum GcpAdminSource {
    /// Application Default Credentials: `GOOGLE_APPLICATION_CREDENTIALS`, else gcloud's
    /// `application_default_credentials.json`, else the metadata server.
    Adc,
    /// A service-account JSON key kept in the OS keyring (`paddock creds admin-key --gcp`).
    Keyring { service: String, user: String },
    /// Application Default Credentials impersonating this service account (the admin holds
    /// `roles/iam.serviceAccountTokenCreator` on it; no key anywhere).
    Impersonate { service_account: String },
}

impl GcpAdminSource {
    pub fn describe(&self) -> String {
        match self {
            GcpAdminSource::Adc => "application default credentials".into(),
            GcpAdminSource::Keyring { service, user } => format!("service-account key in the keyring ({service}/{user})"),
            GcpAdminSource::Impersonate { service_account } => {
                format!("application default credentials impersonating {service_account}")
            }
        }
    }
}

/// Secret-free provider configuration, stored with each lease and in the settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GcpConfig {
    /// The project the service accounts live in (and `project:role` binds on).
    pub project: String,
    pub admin: GcpAdminSource,
    /// Roles a lease may bind. Basic roles and IAM/Resource-Manager administration roles are
    /// refused whatever this says (see [`GcpConfig::check_role`]).
    #[serde(default = "default_allowed_roles")]
    pub allowed_roles: Vec<String>,
    /// One base URL for every Google API instead of the real ones (tests).
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// The longest token to mint; a longer TTL is shortened to it. 3600 s unless the org allows more.
    #[serde(default = "default_max_lifetime")]
    pub max_token_lifetime_secs: u64,
    /// A service account IAM says is missing counts as gone only once created longer ago
    /// than this (IAM is eventually consistent).
    #[serde(default = "default_min_entity_age")]
    pub min_entity_age_secs: u64,
    /// How long a new account may take to become visible and usable before provisioning fails.
    #[serde(default = "default_visible_timeout")]
    pub visible_timeout_secs: u64,
}

fn default_allowed_roles() -> Vec<String> {
    DEFAULT_ALLOWED_ROLES.iter().map(|s| s.to_string()).collect()
}
fn default_max_lifetime() -> u64 {
    DEFAULT_MAX_TOKEN_LIFETIME_SECS
}
fn default_min_entity_age() -> u64 {
    60
}
fn default_visible_timeout() -> u64 {
    60
}

/// Roles that would let a task widen its own access, or everyone's: never bound to a lease.
fn refused_role(role: &str) -> Option<&'static str> {
    let id = role.rsplit('/').next().unwrap_or(role);
    if matches!(role, "roles/owner" | "roles/editor") {
        return Some("a basic role grants (nearly) everything in the project");
    }
    if role.starts_with("roles/iam.") || role.starts_with("roles/resourcemanager.") {
        return Some("IAM and Resource Manager roles can grant access or impersonate accounts");
    }
    if role == "roles/storage.admin" || id.ends_with("Admin") && role.starts_with("roles/") && id.contains("iam") {
        return Some("it can change IAM policies");
    }
    None
}

impl GcpConfig {
    pub fn new(project: impl Into<String>, admin: GcpAdminSource) -> Self {
        Self {
            project: project.into(),
            admin,
            allowed_roles: default_allowed_roles(),
            endpoint_url: None,
            max_token_lifetime_secs: default_max_lifetime(),
            min_entity_age_secs: default_min_entity_age(),
            visible_timeout_secs: default_visible_timeout(),
        }
    }

    pub fn validate(&self) -> Result<(), CredsError> {
        crate::grants::check_gcp_project(&self.project).map_err(CredsError::Config)?;
        if !(1..=EXTENDED_MAX_TOKEN_LIFETIME_SECS).contains(&self.max_token_lifetime_secs) {
            return Err(CredsError::Config(format!(
                "max token lifetime {} s: generateAccessToken allows 1 s … 12 h (over 1 h only where the org policy allows it)",
                self.max_token_lifetime_secs
            )));
        }
        for r in &self.allowed_roles {
            crate::grants::check_gcp_role(r).map_err(CredsError::Config)?;
            if let Some(why) = refused_role(r) {
                return Err(CredsError::Config(format!("allowed role `{r}` is refused: {why}")));
            }
        }
        if let GcpAdminSource::Impersonate { service_account } = &self.admin
            && !service_account.contains('@')
        {
            return Err(CredsError::Config(format!("`{service_account}` is not a service account email")));
        }
        if let Some(url) = &self.endpoint_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(CredsError::Config(format!("endpoint `{url}` must be an http(s) URL")));
        }
        Ok(())
    }

    /// Whether a lease may bind `role`: listed in `allowed_roles` and not an escalation role.
    pub fn check_role(&self, role: &str) -> Result<(), String> {
        if let Some(why) = refused_role(role) {
            return Err(format!("role `{role}` is never granted to a task: {why}"));
        }
        if !self.allowed_roles.iter().any(|r| r == role) {
            return Err(format!(
                "role `{role}` is not in the allowed GCP roles ({}); add it in Settings → GCP or with \
                 `paddock creds settings gcp --allow-role {role}`",
                self.allowed_roles.join(", ")
            ));
        }
        Ok(())
    }

    fn base(&self, default: &str) -> String {
        self.endpoint_url.clone().unwrap_or_else(|| default.to_string()).trim_end_matches('/').to_string()
    }
}

/// The account id of a lease: `paddock-` + the last 22 hex digits of its id (the random part of
/// a UUIDv7, plus the low timestamp bits).
pub fn account_id(lease: Uuid) -> String {
    let hex = lease.simple().to_string();
    format!("{ACCOUNT_PREFIX}{}", &hex[hex.len() - 22..])
}

pub fn account_email(lease: Uuid, project: &str) -> String {
    format!("{}@{project}.iam.gserviceaccount.com", account_id(lease))
}

/// The lease id in an account description written by [`description`], if the account id matches it.
pub fn lease_of(email: &str, description: &str) -> Option<Uuid> {
    let rest = description.strip_prefix(DESCRIPTION_PREFIX)?;
    let id = Uuid::parse_str(rest.split_whitespace().next()?).ok()?;
    (email.split('@').next() == Some(account_id(id).as_str())).then_some(id)
}

/// The account description: lease, task and deadline (IAM allows 256 characters).
pub fn description(lease: &Lease, deadline: DateTime<Utc>) -> String {
    let d = format!("{DESCRIPTION_PREFIX}{} task {} until {}", lease.id, lease.task, bindings::cel_time(deadline));
    d.chars().take(256).collect()
}

/// A Google error reduced to what may be shown: status code and message. Never the request.
#[derive(Debug, Clone)]
pub(crate) struct GcpErr {
    pub code: Option<Code>,
    pub http: Option<u16>,
    pub message: String,
}

impl std::fmt::Display for GcpErr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl GcpErr {
    pub fn not_found(&self) -> bool {
        self.code == Some(Code::NotFound) || self.http == Some(404)
    }
    /// A stale etag: Resource Manager answers 409 ABORTED, Cloud Storage 412 Precondition Failed.
    pub fn concurrent_change(&self) -> bool {
        self.code == Some(Code::Aborted) || matches!(self.http, Some(409 | 412))
    }
    pub fn into_creds(self, step: &'static str) -> CredsError {
        CredsError::Gcp { step, message: self.message }
    }
}

impl crate::provider::CloudError for GcpErr {
    fn is_gone(&self) -> bool {
        self.not_found()
    }
    fn into_creds(self, step: &'static str) -> CredsError {
        GcpErr::into_creds(self, step)
    }
}

pub(crate) fn gax_err(e: GaxError) -> GcpErr {
    match e.status() {
        Some(s) => GcpErr {
            code: Some(s.code),
            http: e.http_status_code(),
            message: format!("{}: {}", s.code.name(), s.message.chars().take(400).collect::<String>()),
        },
        None => GcpErr { code: None, http: e.http_status_code(), message: error_chain(&e) },
    }
}

/// `outer: inner: root cause`, each error's own Display.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(c) = cur {
        let text = c.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = c.source();
    }
    parts.join(": ")
}

/// AIP-194 retries (UNAVAILABLE, 503, I/O) plus rate-limit 429s — but not the "maximum number
/// of service accounts" RESOURCE_EXHAUSTED, which no retry will fix.
#[derive(Debug)]
struct Retry;

impl RetryPolicy for Retry {
    fn on_error(&self, state: &RetryState, error: GaxError) -> RetryResult {
        let rate_limited = error
            .status()
            .is_some_and(|s| s.code == Code::ResourceExhausted && !s.message.contains("Maximum number"));
        if rate_limited && state.idempotent {
            return RetryResult::Continue(error);
        }
        Aip194Strict.on_error(state, error)
    }
}

/// The GCP provider for one [`GcpConfig`].
pub struct GcpProvider {
    cfg: GcpConfig,
    creds: Credentials,
    iam: google_cloud_iam_admin_v1::client::Iam,
    tokens: google_cloud_iam_credentials_v1::client::IAMCredentials,
    projects: google_cloud_resourcemanager_v3::client::Projects,
    http: reqwest::Client,
}

/// rustls needs a process-wide crypto provider for Google's clients (built without aws-lc);
/// ring is the one the rest of Paddock uses. Installing twice is harmless. Call it before
/// building google-cloud-auth credentials yourself (their token cache starts signing at once).
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The admin credentials `cfg.admin` names. `adc_file` is the application default credentials
/// file's JSON ([`adc_file`]); the impersonation source wraps it.
pub fn admin_credentials(cfg: &GcpConfig, adc_file: Option<serde_json::Value>) -> Result<Credentials, CredsError> {
    install_crypto();
    let source = &cfg.admin;
    let built = match source {
        GcpAdminSource::Adc => gauth::Builder::default().with_scopes([CLOUD_PLATFORM_SCOPE]).build(),
        GcpAdminSource::Keyring { service, user } => {
            let key = service_account_json_from_keyring(service, user)?;
            gauth::service_account::Builder::new(key).build()
        }
        GcpAdminSource::Impersonate { service_account } => impersonated(cfg, service_account, adc_file),
    };
    built.map_err(|e| CredsError::AdminCredentials(format!("{}: {e}", source.describe())))
}

/// ADC impersonating `service_account`. With an ADC *file* (what `gcloud auth
/// application-default login` writes, or `GOOGLE_APPLICATION_CREDENTIALS`), google-cloud-auth
/// gets it wrapped as an `impersonated_service_account` whose `generateAccessToken` URL is built
/// here from the IAM Credentials base — so `endpoint_url` redirects it like every other call
/// (`with_target_principal` always builds `https://iamcredentials.<universe>`, which cannot be
/// redirected). The source's own token endpoint is the file's `token_uri`. Without a file
/// (metadata server), or when the file already impersonates, the library chains from ADC.
fn impersonated(
    cfg: &GcpConfig,
    service_account: &str,
    adc: Option<serde_json::Value>,
) -> Result<Credentials, google_cloud_auth::build_errors::Error> {
    let url = format!(
        "{}/v1/projects/-/serviceAccounts/{service_account}:generateAccessToken",
        cfg.base("https://iamcredentials.googleapis.com")
    );
    let wrappable = adc.as_ref().and_then(|v| v.get("type")).and_then(serde_json::Value::as_str).is_some_and(|t| {
        matches!(t, "authorized_user" | "service_account" | "external_account" | "external_account_authorized_user")
    });
    match adc {
        Some(adc) if wrappable => gauth::impersonated::Builder::new(serde_json::json!({
            "type": "impersonated_service_account",
            "service_account_impersonation_url": url,
            "source_credentials": adc,
        }))
        .with_scopes([CLOUD_PLATFORM_SCOPE])
        .build(),
        _ => {
            let source = gauth::Builder::default().build()?;
            gauth::impersonated::Builder::from_source_credentials(source)
                .with_target_principal(service_account)
                .with_scopes([CLOUD_PLATFORM_SCOPE])
                .build()
        }
    }
}

/// The ADC file's JSON, found as google-cloud-auth finds it (AIP-4110/4113):
/// `GOOGLE_APPLICATION_CREDENTIALS`, else gcloud's well-known file. `None` if there is none or
/// it does not parse (then the library's own loader reports the problem).
pub fn adc_file() -> Option<serde_json::Value> {
    let path = match std::env::var_os("GOOGLE_APPLICATION_CREDENTIALS") {
        Some(p) => std::path::PathBuf::from(p),
        None if cfg!(windows) => {
            std::path::PathBuf::from(std::env::var_os("APPDATA")?).join("gcloud/application_default_credentials.json")
        }
        None => std::path::PathBuf::from(std::env::var_os("HOME")?)
            .join(".config/gcloud/application_default_credentials.json"),
    };
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Checks a service-account key's shape without ever quoting it.
pub fn check_service_account_json(json: &str) -> Result<serde_json::Value, CredsError> {
    let v: serde_json::Value = serde_json::from_str(json)
        .map_err(|_| CredsError::AdminCredentials("the service-account key is not JSON".into()))?;
    let field = |k: &str| v.get(k).and_then(serde_json::Value::as_str).is_some_and(|s| !s.is_empty());
    if v.get("type").and_then(serde_json::Value::as_str) != Some("service_account")
        || !field("client_email")
        || !field("private_key")
    {
        return Err(CredsError::AdminCredentials(
            "expected a service-account key file (type service_account, with client_email and private_key)".into(),
        ));
    }
    Ok(v)
}

/// Stores a service-account key in the OS keyring (the only place Paddock keeps it). Returns
/// the account's email.
pub fn store_service_account_in_keyring(service: &str, user: &str, json: &str) -> Result<String, CredsError> {
    let v = check_service_account_json(json)?;
    let entry = keyring::Entry::new(service, user).map_err(|e| CredsError::AdminCredentials(e.to_string()))?;
    entry.set_password(json).map_err(|e| CredsError::AdminCredentials(format!("keyring: {e}")))?;
    Ok(v.get("client_email").and_then(serde_json::Value::as_str).unwrap_or_default().to_string())
}

fn service_account_json_from_keyring(service: &str, user: &str) -> Result<serde_json::Value, CredsError> {
    let entry = keyring::Entry::new(service, user).map_err(|e| CredsError::AdminCredentials(e.to_string()))?;
    let json = entry.get_password().map_err(|e| {
        CredsError::AdminCredentials(format!(
            "no keyring entry {service}/{user} ({e}); store a service-account key with `paddock creds admin-key --gcp`"
        ))
    })?;
    check_service_account_json(&json)
}

/// Fetches the impersonated admin token once, turning a refusal into an error that names the
/// admin account and the missing role.
async fn check_impersonation(creds: &Credentials, service_account: &str) -> Result<(), CredsError> {
    let Err(e) = creds.headers(http::Extensions::new()).await else { return Ok(()) };
    let chain = error_chain(&e);
    let hint = if chain.contains("iam.serviceAccounts.getAccessToken") || chain.contains("PERMISSION_DENIED") {
        format!(
            "the application default credentials' principal needs roles/iam.serviceAccountTokenCreator on \
             {service_account} (gcloud iam service-accounts add-iam-policy-binding {service_account} \
             --member=user:YOU --role=roles/iam.serviceAccountTokenCreator)"
        )
    } else {
        "check `gcloud auth application-default login` and that the account exists".to_string()
    };
    // The library's chain ends with the response body: show Google's status and message only.
    let google = chain
        .find("{\"error\"")
        .and_then(|i| serde_json::from_str::<serde_json::Value>(&chain[i..]).ok())
        .and_then(|v| Some(format!("{}: {}", v["error"]["status"].as_str()?, v["error"]["message"].as_str()?)))
        .unwrap_or_else(|| chain.chars().take(600).collect());
    Err(CredsError::AdminCredentials(format!(
        "could not impersonate the admin service account {service_account} with application default credentials: \
         {hint}. Google says: {google}"
    )))
}

impl GcpProvider {
    /// Builds the clients with the admin credentials `cfg.admin` names.
    pub async fn new(cfg: GcpConfig) -> Result<Self, CredsError> {
        Self::with_adc_file(cfg, adc_file()).await
    }

    /// Like [`GcpProvider::new`], with the application default credentials file's JSON given
    /// instead of found ([`adc_file`]); only the impersonation source reads it.
    pub async fn with_adc_file(cfg: GcpConfig, adc_file: Option<serde_json::Value>) -> Result<Self, CredsError> {
        cfg.validate()?;
        let creds = admin_credentials(&cfg, adc_file)?;
        if let GcpAdminSource::Impersonate { service_account } = &cfg.admin {
            // Impersonation fails only when the first token is fetched: fetch it now (the
            // token is cached for the calls that follow), before any lease exists.
            check_impersonation(&creds, service_account).await?;
        }
        Self::with_credentials(cfg, creds).await
    }

    /// Like [`GcpProvider::new`], with admin credentials the embedding app obtained itself
    /// (ignores `cfg.admin`). Call [`install_crypto`] before building them.
    pub async fn with_credentials(cfg: GcpConfig, creds: Credentials) -> Result<Self, CredsError> {
        cfg.validate()?;
        install_crypto();
        let retry = || Retry.with_attempt_limit(6);
        let backoff = || {
            google_cloud_gax::exponential_backoff::ExponentialBackoffBuilder::new()
                .with_initial_delay(Duration::from_millis(100))
                .with_maximum_delay(Duration::from_secs(5))
                .build()
        };
        let client_err = |what: &str, e: &dyn std::fmt::Display| CredsError::Config(format!("GCP {what} client: {e}"));
        macro_rules! client {
            ($builder:expr, $default:expr, $what:expr) => {{
                let mut b = $builder
                    .with_credentials(creds.clone())
                    .with_retry_policy(retry())
                    .with_backoff_policy(backoff().map_err(|e| client_err("backoff", &e))?)
                    .with_attempt_timeout(Duration::from_secs(30));
                if cfg.endpoint_url.is_some() {
                    b = b.with_endpoint(cfg.base($default));
                }
                b.build().await.map_err(|e| client_err($what, &e))?
            }};
        }
        let iam = client!(google_cloud_iam_admin_v1::client::Iam::builder(), "https://iam.googleapis.com", "IAM");
        let tokens = client!(
            google_cloud_iam_credentials_v1::client::IAMCredentials::builder(),
            "https://iamcredentials.googleapis.com",
            "IAM credentials"
        );
        let projects = client!(
            google_cloud_resourcemanager_v3::client::Projects::builder(),
            "https://cloudresourcemanager.googleapis.com",
            "Resource Manager"
        );
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| client_err("Storage", &e))?;
        Ok(Self { cfg, creds, iam, tokens, projects, http })
    }

    pub fn config(&self) -> &GcpConfig {
        &self.cfg
    }

    /// A cheap read that proves the admin credentials work on the project (the Settings
    /// screen's "Test" button): lists one service account. Returns how many `paddock-`
    /// accounts the first page shows.
    pub async fn probe(&self) -> Result<usize, CredsError> {
        let page = self
            .iam
            .list_service_accounts()
            .set_name(format!("projects/{}", self.cfg.project))
            .send()
            .await
            .map_err(|e| gax_err(e).into_creds("gcp.list_service_accounts"))?;
        Ok(page.accounts.iter().filter(|a| a.email.starts_with(ACCOUNT_PREFIX)).count())
    }

    fn min_age(&self) -> chrono::Duration {
        chrono::Duration::seconds(i64::try_from(self.cfg.min_entity_age_secs).unwrap_or(i64::MAX / 2))
    }

    /// True if an account created (intent) at `created` may still be invisible to IAM reads.
    fn maybe_invisible(&self, created: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now - created < self.min_age()
    }

    fn account_name(&self, email: &str) -> String {
        format!("projects/{}/serviceAccounts/{email}", self.cfg.project)
    }

    /// The Authorization header(s) for a raw Storage call, from the same admin credentials.
    async fn auth_headers(&self) -> Result<http::HeaderMap, GcpErr> {
        match self.creds.headers(http::Extensions::new()).await {
            Ok(CacheableResource::New { data, .. }) => Ok(data),
            Ok(CacheableResource::NotModified) => {
                Err(GcpErr { code: None, http: None, message: "credentials returned no headers".into() })
            }
            Err(e) => Err(GcpErr { code: None, http: None, message: format!("admin credentials: {}", error_chain(&e)) }),
        }
    }
}

impl Provider for GcpProvider {
    fn kind(&self) -> &'static str {
        "gcp"
    }

    fn validate(&self, lease: &Lease, grants: &[Grant]) -> Result<(), CredsError> {
        crate::policy::check_task_id(&lease.task)?;
        for g in grants {
            let role = match g {
                Grant::GcsRead { .. } => bindings::OBJECT_VIEWER,
                Grant::GcsWrite { .. } => bindings::OBJECT_CREATOR,
                Grant::GcsRole { role, .. } | Grant::ProjectRole { role } => role.as_str(),
                other => {
                    return Err(CredsError::InvalidGrant { grant: other.to_string(), why: "not a GCP grant".into() });
                }
            };
            self.cfg.check_role(role).map_err(|why| CredsError::InvalidGrant { grant: g.to_string(), why })?;
        }
        Ok(())
    }

    fn provision<'a>(
        &'a self,
        lease: &'a Lease,
        grants: &'a [Grant],
        steps: &'a Steps<'a>,
    ) -> BoxFuture<'a, Result<Issued, CredsError>> {
        Box::pin(self.provision_account(lease, grants, steps))
    }

    fn revoke<'a>(
        &'a self,
        lease: &'a Lease,
        steps: &'a Steps<'a>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<RevokeProgress, CredsError>> {
        Box::pin(self.revoke_account(lease, steps, now))
    }

    fn cleanup<'a>(&'a self, _lease: &'a Lease, _steps: &'a Steps<'a>) -> BoxFuture<'a, Result<(), CredsError>> {
        Box::pin(async { Ok(()) })
    }

    fn list_orphans<'a>(&'a self, live: &'a dyn LiveLeases) -> BoxFuture<'a, Result<Vec<Orphan>, CredsError>> {
        Box::pin(self.orphans(live))
    }

    fn remove_orphan<'a>(&'a self, orphan: &'a Orphan, steps: &'a Steps<'a>) -> BoxFuture<'a, Result<(), CredsError>> {
        Box::pin(self.remove(orphan, steps))
    }
}
