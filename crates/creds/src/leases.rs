//! [`Leases`]: grant, revoke, reap, sweep and list — the API the CLI and the app use.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::aws::{AwsConfig, AwsProvider};
use crate::error::CredsError;
use crate::grants::{Grant, parse_grants};
use crate::observer::CredsObserver;
use crate::provider::{BoxFuture, Issued, LiveLeases, Orphan, Provider, RevokeProgress, Steps};
use crate::store::{JournalEntry, Lease, LeaseState, LeaseStore};

/// Builds a provider from a lease's stored configuration (so any process can revoke any lease).
pub trait ProviderFactory: Send + Sync {
    fn build<'a>(
        &'a self,
        provider: &'a str,
        config: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<Arc<dyn Provider>, CredsError>>;
}

/// The factory of this build: `aws`.
pub struct DefaultFactory;

impl ProviderFactory for DefaultFactory {
    fn build<'a>(
        &'a self,
        provider: &'a str,
        config: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<Arc<dyn Provider>, CredsError>> {
        Box::pin(async move {
            match provider {
                "aws" => {
                    let cfg: AwsConfig = serde_json::from_value(config.clone())
                        .map_err(|e| CredsError::Corrupt(format!("stored AWS configuration: {e}")))?;
                    Ok(Arc::new(AwsProvider::new(cfg).await?) as Arc<dyn Provider>)
                }
                other => Err(CredsError::UnknownProvider(other.to_string())),
            }
        })
    }
}

/// One lease as the Credentials screen and `paddock creds list` show it.
#[derive(Debug, Clone, Serialize)]
pub struct LeaseRow {
    pub id: Uuid,
    pub task: String,
    pub provider: String,
    pub mode: String,
    pub state: LeaseState,
    pub failure: Option<String>,
    pub principal: Option<String>,
    /// The grants joined with `; `.
    pub scope_summary: String,
    pub scope: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// A revoked assumed-role lease keeps a revocation Deny on the base role until then.
    pub cleanup_after: Option<DateTime<Utc>>,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub history: Vec<JournalEntry>,
}

/// What one reaper pass did.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct ReapReport {
    pub revoked: Vec<Uuid>,
    pub failed: Vec<Uuid>,
    /// Still revoking (will retry with backoff), with the reason.
    pub retrying: Vec<(Uuid, String)>,
    /// Revocation Denies removed after their session's max life.
    pub cleaned: Vec<Uuid>,
    pub orphans_removed: Vec<Orphan>,
}

/// A lease request in a provider-neutral form.
pub struct GrantRequest {
    pub task: String,
    pub grants: Vec<String>,
    pub ttl: Duration,
    pub provider: String,
    pub mode: String,
    /// The provider's secret-free configuration (e.g. a serialized [`AwsConfig`]).
    pub config: serde_json::Value,
}

impl GrantRequest {
    pub fn aws(task: impl Into<String>, grants: Vec<String>, ttl: Duration, cfg: &AwsConfig) -> Result<Self, CredsError> {
        Ok(Self {
            task: task.into(),
            grants,
            ttl,
            provider: "aws".into(),
            mode: cfg.mode.as_str().into(),
            config: serde_json::to_value(cfg).map_err(|e| CredsError::Config(e.to_string()))?,
        })
    }
}

/// Retry delay after `attempts` failed revocation attempts: 5 s doubling, at most 15 min.
pub fn backoff(attempts: u32) -> Duration {
    let secs = 5i64.saturating_mul(1i64 << attempts.min(12));
    Duration::seconds(secs.min(15 * 60))
}

/// A provisioning lease whose owner died (or that is far too old) has been abandoned.
fn abandoned(lease: &Lease, now: DateTime<Utc>) -> bool {
    let me = std::process::id();
    match lease.owner_pid {
        Some(pid) if pid == me => false,
        Some(pid) if cfg!(target_os = "linux") && std::path::Path::new(&format!("/proc/{pid}")).exists() => {
            now - lease.created_at > Duration::minutes(15)
        }
        _ => true,
    }
}

pub struct Leases {
    store: LeaseStore,
    observer: Arc<dyn CredsObserver>,
    factory: Box<dyn ProviderFactory>,
    providers: tokio::sync::Mutex<HashMap<String, Arc<dyn Provider>>>,
}

struct Live(HashMap<Uuid, (bool, bool)>);

impl LiveLeases for Live {
    fn is_live(&self, lease: Uuid) -> bool {
        self.0.get(&lease).is_some_and(|(live, _)| *live)
    }
    fn cleanup_pending(&self, lease: Uuid) -> bool {
        self.0.get(&lease).is_some_and(|(_, pending)| *pending)
    }
}

impl Leases {
    pub fn new(store: LeaseStore, observer: Arc<dyn CredsObserver>) -> Self {
        Self::with_factory(store, observer, Box::new(DefaultFactory))
    }

    pub fn with_factory(store: LeaseStore, observer: Arc<dyn CredsObserver>, factory: Box<dyn ProviderFactory>) -> Self {
        Self { store, observer, factory, providers: tokio::sync::Mutex::new(HashMap::new()) }
    }

    pub fn store(&self) -> &LeaseStore {
        &self.store
    }

    async fn provider(&self, kind: &str, config: &serde_json::Value) -> Result<Arc<dyn Provider>, CredsError> {
        let key = format!("{kind}\n{config}");
        let mut cache = self.providers.lock().await;
        if let Some(p) = cache.get(&key) {
            return Ok(p.clone());
        }
        let p = self.factory.build(kind, config).await?;
        cache.insert(key, p.clone());
        Ok(p)
    }

    fn steps<'a>(&'a self, lease: &'a Lease) -> Steps<'a> {
        Steps::new(&self.store, self.observer.as_ref(), lease.id, &lease.task)
    }

    /// Validates everything offline, journals the lease, provisions it, and returns working
    /// credentials. On failure, whatever was created is revoked before the error is returned
    /// (or, if that fails too, left to the reaper: the lease stays `revoking`).
    pub async fn grant(&self, req: GrantRequest) -> Result<(Lease, Issued), CredsError> {
        crate::policy::check_task_id(&req.task)?;
        let grants: Vec<Grant> = parse_grants(&req.grants)?;
        if req.ttl < Duration::seconds(1) {
            return Err(CredsError::InvalidTask("the TTL must be positive".into()));
        }
        let provider = self.provider(&req.provider, &req.config).await?;
        let now = Utc::now();
        let mut lease = Lease {
            id: Uuid::now_v7(),
            task: req.task,
            provider: req.provider,
            mode: req.mode,
            state: LeaseState::Provisioning,
            failure: None,
            principal: None,
            scope: grants.iter().map(Grant::to_string).collect(),
            config: req.config,
            created_at: now,
            expires_at: now + req.ttl,
            revoked_at: None,
            cleanup_after: None,
            attempts: 0,
            next_attempt_at: None,
            last_error: None,
            owner_pid: Some(std::process::id()),
        };
        provider.validate(&lease, &grants)?;
        self.store.insert(&lease)?;
        self.steps(&lease).state("provisioning", &lease.scope.join("; "))?;
        let result = provider.provision(&lease, &grants, &self.steps(&lease)).await;
        // Re-read: the provider may have moved the recorded expiry.
        let stored = self.store.get(lease.id)?;
        lease.expires_at = stored.expires_at;
        match result {
            Ok(issued) => {
                lease.state = LeaseState::Active;
                lease.principal = Some(issued.principal.clone());
                lease.expires_at = issued.expires_at;
                self.store.update(&lease)?;
                self.steps(&lease).state("active", &format!("{} until {}", issued.principal, issued.expires_at))?;
                Ok((lease, issued))
            }
            Err(e) => {
                lease.state = LeaseState::Revoking;
                lease.failure = Some(e.to_string());
                self.store.update(&lease)?;
                self.steps(&lease).state("revoking", &format!("provisioning failed: {e}"))?;
                // Best effort now; the reaper retries if this does not finish.
                let _ = self.revoke_once(&mut lease, provider.as_ref(), Utc::now()).await;
                Err(e)
            }
        }
    }

    /// Revokes one lease now (on demand, or at task end). Returns its state afterwards:
    /// `revoked`, or `revoking` if it must be retried (the reaper does).
    pub async fn revoke(&self, id: Uuid, reason: &str) -> Result<Lease, CredsError> {
        let mut lease = self.store.get(id)?;
        match lease.state {
            LeaseState::Revoked | LeaseState::Failed => return Ok(lease),
            LeaseState::Provisioning if !abandoned(&lease, Utc::now()) && lease.owner_pid != Some(std::process::id()) => {
                // Another live process is provisioning it; it will see the state change below and
                // the reaper will finish the job after it gives up.
            }
            _ => {}
        }
        lease.state = LeaseState::Revoking;
        lease.revoked_at.get_or_insert(Utc::now());
        self.store.update(&lease)?;
        self.steps(&lease).state("revoking", reason)?;
        let provider = self.provider(&lease.provider, &lease.config).await?;
        let _ = self.revoke_once(&mut lease, provider.as_ref(), Utc::now()).await;
        Ok(lease)
    }

    /// Revokes every live lease of a task (called when the task ends).
    pub async fn revoke_task(&self, task: &str) -> Result<Vec<Lease>, CredsError> {
        let mut out = Vec::new();
        for l in self.store.list()?.into_iter().filter(|l| l.task == task && l.state.is_live()) {
            out.push(self.revoke(l.id, "task ended").await?);
        }
        Ok(out)
    }

    /// One revocation attempt; updates the lease (state, retry bookkeeping) whatever happens.
    async fn revoke_once(&self, lease: &mut Lease, provider: &dyn Provider, now: DateTime<Utc>) -> Result<(), CredsError> {
        let progress = provider.revoke(lease, &self.steps(lease), now).await;
        match progress {
            Ok(RevokeProgress::Done { cleanup_after }) => {
                lease.state = if lease.failure.is_some() { LeaseState::Failed } else { LeaseState::Revoked };
                lease.revoked_at.get_or_insert(now);
                lease.cleanup_after = cleanup_after;
                lease.next_attempt_at = None;
                lease.last_error = None;
                self.store.update(lease)?;
                let st = lease.state.as_str();
                self.steps(lease).state(st, lease.failure.as_deref().unwrap_or("credentials revoked"))?;
                Ok(())
            }
            Ok(RevokeProgress::RetryLater(why)) => self.schedule_retry(lease, now, why),
            Err(e) => {
                let msg = e.to_string();
                self.schedule_retry(lease, now, msg)?;
                Err(e)
            }
        }
    }

    fn schedule_retry(&self, lease: &mut Lease, now: DateTime<Utc>, why: String) -> Result<(), CredsError> {
        lease.state = LeaseState::Revoking;
        lease.next_attempt_at = Some(now + backoff(lease.attempts));
        lease.attempts += 1;
        self.steps(lease).note("reaper.retry", &format!("attempt {} failed: {why}; next at {:?}", lease.attempts, lease.next_attempt_at))?;
        lease.last_error = Some(why);
        self.store.update(lease)
    }

    /// The reaper's pass: resumes interrupted provisioning (revoking it), revokes expired
    /// leases, retries pending revocations that are due, and removes revocation Denies whose
    /// session is past its max life. Call it at start, periodically, and on demand.
    pub async fn reap(&self) -> Result<ReapReport, CredsError> {
        self.reap_at(Utc::now()).await
    }

    /// [`Leases::reap`] as if it were `now` (tests use it to step past TTLs and backoffs).
    pub async fn reap_at(&self, now: DateTime<Utc>) -> Result<ReapReport, CredsError> {
        let mut report = ReapReport::default();
        for mut lease in self.store.list()? {
            let due = match lease.state {
                LeaseState::Provisioning if abandoned(&lease, now) => {
                    lease.failure = Some("provisioning was interrupted (the process ended mid-way)".into());
                    true
                }
                LeaseState::Active if lease.expires_at <= now => true,
                LeaseState::Revoking => lease.next_attempt_at.is_none_or(|t| t <= now),
                LeaseState::Revoked | LeaseState::Failed => {
                    if lease.cleanup_after.is_some_and(|t| t <= now) {
                        let provider = self.provider(&lease.provider, &lease.config).await?;
                        match provider.cleanup(&lease, &self.steps(&lease)).await {
                            Ok(()) => {
                                lease.cleanup_after = None;
                                self.store.update(&lease)?;
                                report.cleaned.push(lease.id);
                            }
                            Err(e) => report.retrying.push((lease.id, e.to_string())),
                        }
                    }
                    false
                }
                _ => false,
            };
            if !due {
                continue;
            }
            if lease.state != LeaseState::Revoking {
                let reason = if lease.state == LeaseState::Active { "TTL expired" } else { "resuming interrupted provisioning" };
                lease.state = LeaseState::Revoking;
                self.store.update(&lease)?;
                self.steps(&lease).state("revoking", reason)?;
            }
            let provider = self.provider(&lease.provider, &lease.config).await?;
            let _ = self.revoke_once(&mut lease, provider.as_ref(), now).await;
            match lease.state {
                LeaseState::Revoked => report.revoked.push(lease.id),
                LeaseState::Failed => report.failed.push(lease.id),
                _ => report.retrying.push((lease.id, lease.last_error.clone().unwrap_or_default())),
            }
        }
        Ok(report)
    }

    /// Lists objects under the Paddock path (and revocation Denies on base roles) that belong to
    /// no live lease, for every provider configuration in the journal plus `extra`, and removes them.
    pub async fn sweep(&self, extra: Option<(&str, &serde_json::Value)>) -> Result<Vec<Orphan>, CredsError> {
        let leases = self.store.list()?;
        let live = Live(
            leases.iter().map(|l| (l.id, (l.state.is_live(), l.cleanup_after.is_some()))).collect(),
        );
        let mut configs: Vec<(String, serde_json::Value)> = Vec::new();
        for (p, c) in leases.iter().map(|l| (l.provider.clone(), l.config.clone())).chain(extra.map(|(p, c)| (p.to_string(), c.clone()))) {
            if !configs.contains(&(p.clone(), c.clone())) {
                configs.push((p, c));
            }
        }
        let mut removed = Vec::new();
        for (kind, config) in configs {
            let provider = self.provider(&kind, &config).await?;
            for orphan in provider.list_orphans(&live).await? {
                let id = orphan.lease.unwrap_or(Uuid::nil());
                let steps = Steps::new(&self.store, self.observer.as_ref(), id, "-");
                provider.remove_orphan(&orphan, &steps).await?;
                if !removed.contains(&orphan) {
                    removed.push(orphan);
                }
            }
        }
        Ok(removed)
    }

    /// Every lease, newest first, with its history (for the Credentials screen).
    pub fn list_leases(&self) -> Result<Vec<LeaseRow>, CredsError> {
        self.store
            .list()?
            .into_iter()
            .map(|l| {
                let history = self.store.history(l.id)?;
                Ok(LeaseRow {
                    id: l.id,
                    scope_summary: l.scope.join("; "),
                    task: l.task,
                    provider: l.provider,
                    mode: l.mode,
                    state: l.state,
                    failure: l.failure,
                    principal: l.principal,
                    scope: l.scope,
                    created_at: l.created_at,
                    expires_at: l.expires_at,
                    revoked_at: l.revoked_at,
                    cleanup_after: l.cleanup_after,
                    attempts: l.attempts,
                    next_attempt_at: l.next_attempt_at,
                    last_error: l.last_error,
                    history,
                })
            })
            .collect()
    }

    /// Runs [`Leases::reap`] every `every` until the returned task is aborted (the app's reaper).
    pub fn spawn_reaper(self: Arc<Self>, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                if let Err(e) = self.reap().await {
                    tracing::warn!("credential reaper: {e}");
                }
                tokio::time::sleep(every).await;
            }
        })
    }
}
