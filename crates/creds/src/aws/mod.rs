//! The AWS provider: assumed-role sessions (default) or IAM users, over the official SDK.
//!
//! Names are derived from the lease id so that revocation and the orphan sweep never need
//! anything remembered in memory: user and boundary policy `paddock-<lease hex>` under the
//! configured path (default `/paddock/`), revocation Deny `paddock-revoke-<lease hex>` on the base role.

mod role;
mod user;

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_iam::config::{Credentials, Region, SharedCredentialsProvider};
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls;
use aws_smithy_runtime::client::retries::{RetryPartition, TokenBucket};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::error::CredsError;
use crate::grants::Grant;
use crate::policy;
use crate::provider::{BoxFuture, ExposeSecret as _, Issued, LiveLeases, Orphan, Provider, RevokeProgress, Steps};
use crate::store::Lease;

/// How a lease's principal is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AwsMode {
    /// `AssumeRole` on a base role with a session policy (default: nothing long-lived is created).
    AssumedRole,
    /// A fresh IAM user with an access key, for tools that cannot use session credentials.
    IamUser,
}

impl AwsMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AwsMode::AssumedRole => "assumed_role",
            AwsMode::IamUser => "iam_user",
        }
    }
}

/// Where the admin (provisioning) credentials come from. Never from disk written by us, never
/// from the environment (which the agent may share).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum AdminSource {
    /// A keyring entry holding `{"access_key_id": …, "secret_access_key": …, "session_token"?: …}`.
    Keyring { service: String, user: String },
    /// A named profile of the user's own `~/.aws/config` / `~/.aws/credentials`.
    Profile { name: String },
}

/// Secret-free provider configuration, stored with each lease.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AwsConfig {
    pub mode: AwsMode,
    pub region: String,
    #[serde(default)]
    pub endpoint_url: Option<String>,
    pub admin: AdminSource,
    /// Base role for [`AwsMode::AssumedRole`].
    #[serde(default)]
    pub role_arn: Option<String>,
    /// IAM path of users and policies; the orphan sweep owns everything under it.
    #[serde(default = "default_path")]
    pub path: String,
    /// An entity IAM says is missing counts as gone only if it was created longer ago than this
    /// (IAM is eventually consistent: a fresh entity may not be visible yet).
    #[serde(default = "default_min_entity_age")]
    pub min_entity_age_secs: u64,
    /// How long a new access key may take to start working before provisioning fails.
    #[serde(default = "default_verify_timeout")]
    pub verify_timeout_secs: u64,
}

fn default_path() -> String {
    "/paddock/".into()
}
fn default_min_entity_age() -> u64 {
    30
}
fn default_verify_timeout() -> u64 {
    60
}

impl AwsConfig {
    pub fn new(mode: AwsMode, region: impl Into<String>, admin: AdminSource) -> Self {
        Self {
            mode,
            region: region.into(),
            endpoint_url: None,
            admin,
            role_arn: None,
            path: default_path(),
            min_entity_age_secs: default_min_entity_age(),
            verify_timeout_secs: default_verify_timeout(),
        }
    }

    pub fn validate(&self) -> Result<(), CredsError> {
        let p = &self.path;
        if !p.starts_with('/') || !p.ends_with('/') || !p.starts_with("/paddock/") || p.len() > 512 {
            return Err(CredsError::Config(format!("IAM path `{p}` must start with /paddock/ and end with /")));
        }
        if self.mode == AwsMode::AssumedRole {
            match &self.role_arn {
                Some(arn) if arn.starts_with("arn:") && arn.contains(":role/") => {}
                Some(arn) => return Err(CredsError::Config(format!("`{arn}` is not a role ARN"))),
                None => {
                    return Err(CredsError::Config(
                        "assumed-role mode needs the base role's ARN (--role-arn); or use --mode iam-user".into(),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The admin credentials stored in the keyring, as JSON.
#[derive(Deserialize, Serialize)]
pub struct KeyringCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    #[serde(default)]
    pub session_token: Option<String>,
}

/// Stores admin credentials in the OS keyring (the only place Paddock keeps them).
pub fn store_admin_in_keyring(service: &str, user: &str, creds: &KeyringCredentials) -> Result<(), CredsError> {
    let entry = keyring::Entry::new(service, user).map_err(|e| CredsError::AdminCredentials(e.to_string()))?;
    let json = serde_json::to_string(creds).map_err(|e| CredsError::AdminCredentials(e.to_string()))?;
    entry.set_password(&json).map_err(|e| CredsError::AdminCredentials(format!("keyring: {e}")))
}

/// Whether admin credentials are stored in a keyring entry, for the Credentials screen. Only a
/// fingerprint of the access key *id* comes out (`AKIA…WXYZ`); the secret is read (to check the
/// entry is usable) and dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminKeyStatus {
    Configured { key_id: String },
    Missing,
    Unreadable(String),
}

/// The keyring entry `paddock creds admin-key` writes by default.
pub const ADMIN_KEYRING_SERVICE: &str = "paddock";
pub const ADMIN_KEYRING_USER: &str = "aws-admin";

pub fn admin_key_status(service: &str, user: &str) -> AdminKeyStatus {
    let entry = match keyring::Entry::new(service, user) {
        Ok(e) => e,
        Err(e) => return AdminKeyStatus::Unreadable(keyring_problem(&e)),
    };
    let json = match entry.get_password() {
        Ok(j) => j,
        Err(keyring::Error::NoEntry) => return AdminKeyStatus::Missing,
        Err(e) => return AdminKeyStatus::Unreadable(keyring_problem(&e)),
    };
    match serde_json::from_str::<KeyringCredentials>(&json) {
        Ok(k) if !k.access_key_id.is_empty() && !k.secret_access_key.is_empty() => {
            AdminKeyStatus::Configured { key_id: key_id_fingerprint(&k.access_key_id) }
        }
        // Deliberately no serde detail: it could quote the secret.
        _ => AdminKeyStatus::Unreadable(format!(
            "keyring entry {service}/{user} is not the expected JSON; store it again with `paddock creds admin-key`"
        )),
    }
}

/// `AKIA…WXYZ`: the issuer prefix and the last four characters of an access key id.
pub fn key_id_fingerprint(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 8 {
        return "…".to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// A keyring failure described by its kind (never by anything it might quote).
fn keyring_problem(e: &keyring::Error) -> String {
    match e {
        keyring::Error::PlatformFailure(_) => {
            "the OS keyring failed (on Linux: is there a session keyring? try `keyctl session -`)".into()
        }
        keyring::Error::NoStorageAccess(_) => "the OS keyring is locked or not accessible".into(),
        keyring::Error::BadEncoding(_) => "the keyring entry is not UTF-8".into(),
        keyring::Error::Ambiguous(_) => "more than one matching keyring entry".into(),
        _ => "the OS keyring could not be read".into(),
    }
}

fn admin_from_keyring(service: &str, user: &str) -> Result<Credentials, CredsError> {
    let entry = keyring::Entry::new(service, user).map_err(|e| CredsError::AdminCredentials(e.to_string()))?;
    let json = entry.get_password().map_err(|e| {
        CredsError::AdminCredentials(format!(
            "no keyring entry {service}/{user} ({e}); store one with `paddock creds admin-key`"
        ))
    })?;
    let k: KeyringCredentials = serde_json::from_str(&json).map_err(|_| {
        // Deliberately no serde detail: it could quote the secret.
        CredsError::AdminCredentials(format!("keyring entry {service}/{user} is not the expected JSON"))
    })?;
    Ok(Credentials::new(k.access_key_id, k.secret_access_key, k.session_token, None, "paddock-keyring"))
}

/// An AWS error reduced to what may be shown: code, message, HTTP status. Never the request.
#[derive(Debug, Clone)]
pub(crate) struct AwsErr {
    pub code: Option<String>,
    pub status: Option<u16>,
    pub message: String,
}

impl std::fmt::Display for AwsErr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl AwsErr {
    pub fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
    pub fn no_such_entity(&self) -> bool {
        self.is("NoSuchEntity") || self.status == Some(404)
    }
    pub fn into_creds(self, step: &'static str) -> CredsError {
        CredsError::Aws { step, message: self.message }
    }
}

impl crate::provider::CloudError for AwsErr {
    fn is_gone(&self) -> bool {
        self.no_such_entity()
    }
    fn into_creds(self, step: &'static str) -> CredsError {
        AwsErr::into_creds(self, step)
    }
}

pub(crate) fn aws_err<E>(e: SdkError<E, HttpResponse>) -> AwsErr
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = e.code().map(str::to_string);
    let status = e.raw_response().map(|r| r.status().as_u16());
    // Some endpoints (moto's auth errors, proxies) answer in a shape the SDK cannot parse: take
    // the code and message out of the raw XML ourselves rather than dumping the response.
    let raw = e.raw_response().and_then(|r| r.body().bytes()).map(|b| String::from_utf8_lossy(b).to_string());
    let code = code.or_else(|| raw.as_deref().and_then(|b| xml_text(b, "Code")));
    let message = e.message().map(str::to_string).or_else(|| raw.as_deref().and_then(|b| xml_text(b, "Message")));
    let message = match (&code, message, status) {
        (Some(c), Some(m), _) => format!("{c}: {m}"),
        (Some(c), None, _) => c.clone(),
        (None, _, Some(s)) => format!("HTTP {s} without an error code"),
        (None, _, None) => error_chain(&e),
    };
    AwsErr { code, status, message }
}

/// `outer: inner: root cause`, each error's own Display (no Debug dumps of requests).
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

/// The text of the first `<tag>…</tag>` (error bodies only; no general XML parsing needed).
fn xml_text(body: &str, tag: &str) -> Option<String> {
    let start = body.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = body[start..].find(&format!("</{tag}>"))? + start;
    Some(body[start..end].chars().take(300).collect())
}

pub(crate) fn smithy_time(t: &aws_sdk_sts::primitives::DateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos()).unwrap_or_else(Utc::now)
}

pub(crate) fn lease_hex(id: Uuid) -> String {
    id.simple().to_string()
}

/// The lease id in a name like `paddock-<hex>` or `paddock-revoke-<hex>`.
pub(crate) fn lease_in_name(name: &str, prefix: &str) -> Option<Uuid> {
    let hex = name.strip_prefix(prefix)?;
    if hex.len() == 32 { Uuid::parse_str(hex).ok() } else { None }
}

/// The AWS provider for one [`AwsConfig`].
pub struct AwsProvider {
    cfg: AwsConfig,
    sdk: aws_config::SdkConfig,
    iam: aws_sdk_iam::Client,
    sts: aws_sdk_sts::Client,
    /// (partition, account id) of the admin principal, looked up once.
    account: OnceCell<(String, String)>,
}

impl AwsProvider {
    /// Builds SDK clients: hyper 1 + rustls (ring), standard retry with backoff for throttling and 5xx.
    pub async fn new(cfg: AwsConfig) -> Result<Self, CredsError> {
        Self::build(cfg, None).await
    }

    /// Like [`AwsProvider::new`], with admin credentials the embedding app obtained itself
    /// (ignores `cfg.admin`). Used by the tests against moto.
    pub async fn with_admin_credentials(
        cfg: AwsConfig,
        access_key_id: &str,
        secret_access_key: &crate::provider::Secret,
    ) -> Result<Self, CredsError> {
        let creds = Credentials::new(access_key_id, secret_access_key.expose_secret(), None, None, "paddock-embedder");
        Self::build(cfg, Some(SharedCredentialsProvider::new(creds))).await
    }

    async fn build(cfg: AwsConfig, given: Option<SharedCredentialsProvider>) -> Result<Self, CredsError> {
        cfg.validate()?;
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
            .build_https();
        let region = Region::new(cfg.region.clone());
        let credentials = match (&cfg.admin, given) {
            (_, Some(c)) => c,
            (AdminSource::Keyring { service, user }, None) => {
                SharedCredentialsProvider::new(admin_from_keyring(service, user)?)
            }
            (AdminSource::Profile { name }, None) => {
                let pc = ProviderConfig::without_region().with_http_client(http.clone()).with_region(Some(region.clone()));
                SharedCredentialsProvider::new(
                    ProfileFileCredentialsProvider::builder().configure(&pc).profile_name(name).build(),
                )
            }
        };
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(region)
            .http_client(http)
            .credentials_provider(credentials)
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(8)
                    .with_initial_backoff(Duration::from_millis(50))
                    .with_max_backoff(Duration::from_secs(5)),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .operation_attempt_timeout(Duration::from_secs(30))
                    .operation_timeout(Duration::from_secs(120))
                    .build(),
            );
        if let Some(url) = &cfg.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let sdk = loader.load().await;
        // The SDK's retry quota (a token bucket) only refills on success by default: under a long
        // run of throttling it stops retrying altogether. Ours refills with time, so a reaper
        // pass after a storm retries again.
        let partition = RetryPartition::custom("paddock-creds")
            .token_bucket(TokenBucket::builder().capacity(500).refill_rate(50.0).build())
            .build();
        let iam = aws_sdk_iam::Client::from_conf(
            aws_sdk_iam::config::Builder::from(&sdk).retry_partition(partition.clone()).build(),
        );
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&sdk).retry_partition(partition).build(),
        );
        Ok(Self { cfg, sdk, iam, sts, account: OnceCell::new() })
    }

    pub fn config(&self) -> &AwsConfig {
        &self.cfg
    }

    async fn account(&self) -> Result<&(String, String), CredsError> {
        self.account
            .get_or_try_init(|| async {
                let me = self.sts.get_caller_identity().send().await.map_err(|e| {
                    CredsError::AdminCredentials(format!("cannot identify the admin principal: {}", aws_err(e)))
                })?;
                let arn = me.arn().unwrap_or_default();
                let partition = arn.split(':').nth(1).filter(|p| !p.is_empty()).unwrap_or("aws").to_string();
                let account = me.account().unwrap_or_default().to_string();
                Ok((partition, account))
            })
            .await
    }

    fn min_age(&self) -> chrono::Duration {
        chrono::Duration::seconds(i64::try_from(self.cfg.min_entity_age_secs).unwrap_or(i64::MAX / 2))
    }

    /// True if an entity created (intent) at `created` may still be invisible to IAM reads.
    fn maybe_invisible(&self, created: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now - created < self.min_age()
    }

    fn lease_tags(lease: &Lease) -> Vec<(String, String)> {
        vec![
            ("paddock:task".into(), lease.task.clone()),
            ("paddock:lease".into(), lease.id.to_string()),
            ("paddock:expires".into(), crate::policy::rfc3339(lease.expires_at)),
        ]
    }
}

impl Provider for AwsProvider {
    fn kind(&self) -> &'static str {
        "aws"
    }

    fn validate(&self, lease: &Lease, grants: &[Grant]) -> Result<(), CredsError> {
        policy::check_task_id(&lease.task)?;
        policy::check_tags(&Self::lease_tags(lease))?;
        match self.cfg.mode {
            AwsMode::AssumedRole => {
                policy::check_size("session policy", &policy::session_policy(grants), policy::SESSION_POLICY_MAX_CHARS)?;
            }
            AwsMode::IamUser => {
                user::user_docs(grants, lease.expires_at)?;
            }
        }
        Ok(())
    }

    fn provision<'a>(
        &'a self,
        lease: &'a Lease,
        grants: &'a [Grant],
        steps: &'a Steps<'a>,
    ) -> BoxFuture<'a, Result<Issued, CredsError>> {
        Box::pin(async move {
            match self.cfg.mode {
                AwsMode::AssumedRole => self.provision_session(lease, grants, steps).await,
                AwsMode::IamUser => self.provision_user(lease, grants, steps).await,
            }
        })
    }

    fn revoke<'a>(
        &'a self,
        lease: &'a Lease,
        steps: &'a Steps<'a>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<RevokeProgress, CredsError>> {
        Box::pin(async move {
            match self.cfg.mode {
                AwsMode::AssumedRole => self.revoke_session(lease, steps, now).await,
                AwsMode::IamUser => self.revoke_user(lease, steps, now).await,
            }
        })
    }

    fn cleanup<'a>(&'a self, lease: &'a Lease, steps: &'a Steps<'a>) -> BoxFuture<'a, Result<(), CredsError>> {
        Box::pin(async move {
            match self.cfg.mode {
                AwsMode::AssumedRole => self.remove_revocation(lease.id, steps).await,
                AwsMode::IamUser => Ok(()),
            }
        })
    }

    fn list_orphans<'a>(&'a self, live: &'a dyn LiveLeases) -> BoxFuture<'a, Result<Vec<Orphan>, CredsError>> {
        Box::pin(async move {
            let mut out = self.orphan_users_and_policies(live).await?;
            if self.cfg.role_arn.is_some() {
                out.extend(self.orphan_revocations(live).await?);
            }
            Ok(out)
        })
    }

    fn remove_orphan<'a>(&'a self, orphan: &'a Orphan, steps: &'a Steps<'a>) -> BoxFuture<'a, Result<(), CredsError>> {
        Box::pin(async move {
            match orphan.kind.as_str() {
                "user" => self.delete_user_fully(&orphan.name, steps, None, Utc::now()).await.map(|_| ()),
                "policy" => self.delete_policy_fully(&orphan.name, steps).await,
                "role_policy" => match orphan.lease {
                    Some(id) => self.remove_revocation(id, steps).await,
                    None => Ok(()),
                },
                other => Err(CredsError::Config(format!("unknown orphan kind `{other}`"))),
            }
        })
    }
}

impl AwsProvider {
    async fn orphan_users_and_policies(&self, live: &dyn LiveLeases) -> Result<Vec<Orphan>, CredsError> {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .iam
                .list_users()
                .path_prefix(&self.cfg.path)
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| aws_err(e).into_creds("aws.list_users"))?;
            for u in page.users() {
                let lease = lease_in_name(u.user_name(), "paddock-");
                if lease.is_none_or(|id| !live.is_live(id)) {
                    out.push(Orphan { kind: "user".into(), name: u.user_name().to_string(), lease });
                }
            }
            match (page.is_truncated(), page.marker()) {
                (true, Some(m)) => marker = Some(m.to_string()),
                _ => break,
            }
        }
        loop {
            let page = self
                .iam
                .list_policies()
                .scope(aws_sdk_iam::types::PolicyScopeType::Local)
                .path_prefix(&self.cfg.path)
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| aws_err(e).into_creds("aws.list_policies"))?;
            for p in page.policies() {
                let name = p.policy_name().unwrap_or_default();
                let lease = lease_in_name(name, "paddock-");
                if lease.is_none_or(|id| !live.is_live(id)) {
                    out.push(Orphan { kind: "policy".into(), name: p.arn().unwrap_or_default().to_string(), lease });
                }
            }
            match (page.is_truncated(), page.marker()) {
                (true, Some(m)) => marker = Some(m.to_string()),
                _ => break,
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod admin_status_tests {
    use super::key_id_fingerprint;

    #[test]
    fn key_id_fingerprints_show_prefix_and_last_four_only() {
        assert_eq!(key_id_fingerprint("AKIAIOSFODNN7EXAMPLE"), "AKIA…MPLE");
        assert_eq!(key_id_fingerprint("ASIA1234"), "…");
        assert_eq!(key_id_fingerprint(""), "…");
    }
}
