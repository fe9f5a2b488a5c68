//! Cloud credentials for tasks through `paddock-creds`: each `--grant` of a
//! task becomes one AWS lease (a fresh principal allowed only what the grants
//! say), put into the agent's sandbox as `AWS_*` variables and revoked when
//! the task ends — or, after a crash, by the next engine's recovery (the
//! lease journal is `<data>/leases.db`, so a fresh process that knows only
//! the task id can revoke it).
//!
//! The provider configuration (secret-free: mode, region, role, where the
//! admin credentials come from) is `<data>/aws.toml`, or the file named by
//! `PADDOCK_AWS_CONFIG`; without it the engine has no credential provider
//! and a task with grants is refused.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use paddock_audit::{Actor, AuditLog, Kind, NewEvent};
use paddock_creds::{AwsConfig, CredsEvent, CredsObserver, GrantRequest, LeaseStore, Leases};
use serde_json::json;

use crate::error::EngineError;
use crate::seams::{CredentialLeaser, LeaseEnv};

/// Where the AWS provider configuration is read from.
pub fn aws_config_path(data_dir: &Path) -> PathBuf {
    std::env::var_os("PADDOCK_AWS_CONFIG").map(PathBuf::from).unwrap_or_else(|| data_dir.join("aws.toml"))
}

/// Reads the AWS configuration if there is one.
pub fn load_aws_config(data_dir: &Path) -> Result<Option<AwsConfig>, EngineError> {
    let path = aws_config_path(data_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(EngineError::io(format!("reading {}", path.display()))(e)),
    };
    let cfg: AwsConfig = toml::from_str(&text)
        .map_err(|e| EngineError::Credentials(format!("{} is not an AWS provider configuration: {e}", path.display())))?;
    cfg.validate().map_err(|e| EngineError::Credentials(format!("{}: {e}", path.display())))?;
    Ok(Some(cfg))
}

/// Writes the lease's steps (secret-free by `paddock-creds`' invariant) to the audit trail.
struct AuditObserver(Arc<AuditLog>);

impl CredsObserver for AuditObserver {
    fn on_event(&self, e: &CredsEvent<'_>) {
        let event = NewEvent::new(Actor::System, Kind::Credential, e.action.to_owned())
            .task(e.task.to_owned())
            .resource(format!("lease:{}", e.lease_id))
            .outcome(format!("{:?}", e.phase).to_lowercase())
            .detail(json!({ "lease": e.lease_id, "detail": e.detail }));
        if let Err(err) = self.0.append(event) {
            tracing::error!("cannot record a credential step: {err}");
        }
    }
}

/// AWS leases for tasks.
pub struct AwsLeaser {
    leases: Arc<Leases>,
    config: AwsConfig,
}

impl AwsLeaser {
    pub fn open(data_dir: &Path, config: AwsConfig, audit: Arc<AuditLog>) -> Result<AwsLeaser, EngineError> {
        let store = LeaseStore::open(&data_dir.join("leases.db")).map_err(|e| EngineError::Credentials(e.to_string()))?;
        Ok(AwsLeaser { leases: Arc::new(Leases::new(store, Arc::new(AuditObserver(audit)))), config })
    }

    /// Runs `work` to its end on a thread of its own (with its own runtime),
    /// so this works whether or not the caller is inside a tokio runtime.
    fn block<T: Send + 'static>(
        &self,
        work: impl FnOnce(Arc<Leases>) -> std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>> + Send + 'static,
    ) -> Result<T, EngineError> {
        let leases = Arc::clone(&self.leases);
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| EngineError::Credentials(format!("starting the credentials runtime: {e}")))?;
            Ok(rt.block_on(work(leases)))
        })
        .join()
        .map_err(|_| EngineError::Credentials("the credentials thread panicked".into()))?
    }
}

impl CredentialLeaser for AwsLeaser {
    fn grant(&self, task_id: &str, grants: &[String], ttl: std::time::Duration) -> Result<LeaseEnv, EngineError> {
        if grants.is_empty() {
            return Ok(Vec::new());
        }
        let ttl = chrono::Duration::seconds(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX).max(1));
        let req = GrantRequest::aws(task_id, grants.to_vec(), ttl, &self.config)
            .map_err(|e| EngineError::Credentials(e.to_string()))?;
        let (_, issued) = self
            .block(move |leases| Box::pin(async move { leases.grant(req).await }))?
            .map_err(|e| EngineError::Credentials(format!("leasing {}: {e}", grants.join(", "))))?;
        let mut env: LeaseEnv = issued.env().into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        env.push(("AWS_REGION".into(), self.config.region.clone()));
        env.push(("AWS_DEFAULT_REGION".into(), self.config.region.clone()));
        if let Some(url) = &self.config.endpoint_url {
            env.push(("AWS_ENDPOINT_URL".into(), url.clone()));
        }
        Ok(env)
    }

    fn revoke(&self, task_id: &str) -> Result<(), EngineError> {
        let task = task_id.to_owned();
        let leases = self
            .block(move |leases| Box::pin(async move { leases.revoke_task(&task).await }))?
            .map_err(|e| EngineError::Credentials(e.to_string()))?;
        let pending: Vec<String> = leases
            .iter()
            .filter(|l| l.state.is_live())
            .map(|l| format!("{} ({})", l.id, l.last_error.as_deref().unwrap_or("no answer yet")))
            .collect();
        if pending.is_empty() {
            Ok(())
        } else {
            Err(EngineError::Credentials(format!(
                "lease(s) still being revoked, retried by `paddock creds reap`: {}",
                pending.join(", ")
            )))
        }
    }
}
