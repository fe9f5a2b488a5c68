//! The seam between the lease machinery (journal, reaper, sweep) and one cloud.
//!
//! A provider turns a lease into a principal and back. It must be *idempotent and
//! crash-tolerant*: `revoke` may be called for a lease whose provisioning died at any step, any
//! number of times, possibly concurrently with IAM's eventual consistency. It learns what may
//! exist from the journal ([`Steps::first_intent`]), never from memory.
//! Every cloud mutation goes through [`Steps::run`], which journals intent and outcome.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};

use crate::crash;
use crate::error::CredsError;
use crate::grants::Grant;
use crate::observer::{CredsEvent, CredsObserver, Phase};
use crate::store::{Lease, LeaseStore};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A secret string (secrecy's `SecretString`): its `Debug` prints a placeholder, it has no
/// `Display`, and it is zeroed when dropped; only `expose_secret` reveals it.
pub use secrecy::{ExposeSecret, SecretString as Secret};

/// The secret part of what a provisioning hands to the task, per cloud.
#[derive(Debug, Clone)]
pub enum Credential {
    /// An IAM user's access key, or an assumed-role session (with its session token).
    Aws { access_key_id: String, secret_access_key: Secret, session_token: Option<Secret> },
    /// An OAuth 2.0 access token of the lease's service account (`generateAccessToken`).
    Gcp { access_token: Secret, project: String },
}

/// What a successful provisioning hands to the task. Held in memory only; never stored.
#[derive(Debug, Clone)]
pub struct Issued {
    pub credential: Credential,
    pub expires_at: DateTime<Utc>,
    /// The principal: an ARN (AWS) or a service account's email (GCP).
    pub principal: String,
}

impl Issued {
    /// The environment variables the task's process gets.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        match &self.credential {
            Credential::Aws { access_key_id, secret_access_key, session_token } => {
                let mut v = vec![
                    ("AWS_ACCESS_KEY_ID", access_key_id.clone()),
                    ("AWS_SECRET_ACCESS_KEY", secret_access_key.expose_secret().to_string()),
                ];
                if let Some(t) = session_token {
                    v.push(("AWS_SESSION_TOKEN", t.expose_secret().to_string()));
                }
                v
            }
            // gcloud reads CLOUDSDK_AUTH_ACCESS_TOKEN; the Terraform provider GOOGLE_OAUTH_ACCESS_TOKEN;
            // client libraries take the token from the embedding tool.
            Credential::Gcp { access_token, project } => vec![
                ("CLOUDSDK_AUTH_ACCESS_TOKEN", access_token.expose_secret().to_string()),
                ("GOOGLE_OAUTH_ACCESS_TOKEN", access_token.expose_secret().to_string()),
                ("CLOUDSDK_CORE_PROJECT", project.clone()),
                ("GOOGLE_CLOUD_PROJECT", project.clone()),
            ],
        }
    }
}

/// Where a revocation stands after one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum RevokeProgress {
    /// Nothing of the lease can be used any more. If `cleanup_after` is set, one object (e.g. a
    /// revocation Deny) must stay until then and be removed by [`Provider::cleanup`].
    Done { cleanup_after: Option<DateTime<Utc>> },
    /// Not finished, not an error: e.g. an entity that may not be visible yet (eventual consistency).
    RetryLater(String),
}

/// A cloud object that looks like ours but belongs to no live lease.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Orphan {
    /// `user`, `policy`, `role_policy`, …
    pub kind: String,
    /// Name or ARN, enough for [`Provider::remove_orphan`].
    pub name: String,
    /// The lease id embedded in the name, if any.
    pub lease: Option<uuid::Uuid>,
}

/// The set of leases the sweep must not touch, and those whose cleanup is still pending.
pub trait LiveLeases: Sync {
    /// Whether objects named after `lease` may exist legitimately right now.
    fn is_live(&self, lease: uuid::Uuid) -> bool;
    /// Whether the lease still owns a cleanup-pending object (assumed-role revocation Deny).
    fn cleanup_pending(&self, lease: uuid::Uuid) -> bool;
}

pub trait Provider: Send + Sync {
    /// `aws`, `gcp`, …
    fn kind(&self) -> &'static str;

    /// Checks everything that can be checked without a call (document sizes, tags, names).
    fn validate(&self, lease: &Lease, grants: &[Grant]) -> Result<(), CredsError>;

    /// Creates the principal for `lease` with exactly `grants`, and returns credentials that
    /// have been checked to work. On error, whatever was made is left for `revoke`.
    fn provision<'a>(&'a self, lease: &'a Lease, grants: &'a [Grant], steps: &'a Steps<'a>)
    -> BoxFuture<'a, Result<Issued, CredsError>>;

    /// Makes the lease's credentials unusable and removes what can be removed now.
    fn revoke<'a>(&'a self, lease: &'a Lease, steps: &'a Steps<'a>, now: DateTime<Utc>)
    -> BoxFuture<'a, Result<RevokeProgress, CredsError>>;

    /// Removes what a revoked lease had to keep until `cleanup_after`.
    fn cleanup<'a>(&'a self, lease: &'a Lease, steps: &'a Steps<'a>) -> BoxFuture<'a, Result<(), CredsError>>;

    /// Lists objects in the account that look like Paddock's but belong to no live lease.
    fn list_orphans<'a>(&'a self, live: &'a dyn LiveLeases) -> BoxFuture<'a, Result<Vec<Orphan>, CredsError>>;

    /// Deletes one orphan completely.
    fn remove_orphan<'a>(&'a self, orphan: &'a Orphan, steps: &'a Steps<'a>) -> BoxFuture<'a, Result<(), CredsError>>;
}

/// Journals and reports each step of one lease. Borrowed by the provider for one operation.
/// A cloud API's error, as the revocation steps need it.
pub(crate) trait CloudError: std::fmt::Display {
    /// What the call would remove or disable does not exist (any more).
    fn is_gone(&self) -> bool;
    fn into_creds(self, step: &'static str) -> CredsError;
}

pub struct Steps<'a> {
    pub(crate) store: &'a LeaseStore,
    pub(crate) observer: &'a dyn CredsObserver,
    pub(crate) lease_id: uuid::Uuid,
    pub(crate) task: &'a str,
}

impl<'a> Steps<'a> {
    pub fn new(store: &'a LeaseStore, observer: &'a dyn CredsObserver, lease_id: uuid::Uuid, task: &'a str) -> Self {
        Self { store, observer, lease_id, task }
    }

    fn emit(&self, action: &str, phase: Phase, detail: &str) {
        self.observer.on_event(&CredsEvent { lease_id: self.lease_id, task: self.task, action, phase, detail });
    }

    /// Records a non-mutating fact (a read, a decision) in the journal and to the observer.
    pub fn note(&self, action: &str, detail: &str) -> Result<(), CredsError> {
        self.store.record(self.lease_id, action, "done", detail)?;
        self.emit(action, Phase::Done, detail);
        Ok(())
    }

    /// Runs one cloud mutation: intent journaled (durably) first, then the call, then the outcome.
    /// `describe` turns a success into a secret-free outcome detail; errors are shown via `Display`,
    /// which for AWS errors carries code and message only.
    pub async fn run<T, E, F>(
        &self,
        step: &'static str,
        intent: &str,
        call: F,
        describe: impl FnOnce(&T) -> String,
    ) -> Result<Result<T, E>, CredsError>
    where
        E: std::fmt::Display,
        F: Future<Output = Result<T, E>>,
    {
        self.store.record(self.lease_id, step, "intent", intent)?;
        self.emit(step, Phase::Intent, intent);
        crash::point(step, true);
        let result = call.await;
        crash::point(step, false);
        match &result {
            Ok(v) => {
                let d = describe(v);
                self.store.record(self.lease_id, step, "done", &d)?;
                self.emit(step, Phase::Done, &d);
            }
            Err(e) => {
                let d = e.to_string();
                self.store.record(self.lease_id, step, "failed", &d)?;
                self.emit(step, Phase::Failed, &d);
            }
        }
        Ok(result)
    }

    /// Runs one removal (delete, detach, disable). Finding nothing to remove is that step done:
    /// journaled as `done` / `already gone`, not as a failure a person would have to look into.
    /// Any other error is journaled as failed and returned. Returns whether it was already gone.
    pub(crate) async fn remove<T, E, F>(&self, step: &'static str, intent: &str, done: &str, call: F) -> Result<bool, CredsError>
    where
        E: CloudError,
        F: Future<Output = Result<T, E>>,
    {
        let removal = async {
            match call.await {
                Ok(_) => Ok(false),
                Err(e) if e.is_gone() => Ok(true),
                Err(e) => Err(e),
            }
        };
        let describe = |gone: &bool| if *gone { "already gone".to_owned() } else { done.to_owned() };
        self.run(step, intent, removal, describe).await?.map_err(|e| e.into_creds(step))
    }

    /// When `step` was first attempted for this lease (its first intent), if ever.
    pub fn first_intent(&self, step: &str) -> Result<Option<DateTime<Utc>>, CredsError> {
        self.store.first_intent(self.lease_id, step)
    }

    /// Every journal row of `step` for this lease, oldest first, as `(phase, detail)`.
    pub fn rows(&self, step: &str) -> Result<Vec<(String, String)>, CredsError> {
        self.store.step_rows(self.lease_id, step)
    }

    /// Moves the lease's recorded expiry (e.g. to the session's real upper bound) before a call.
    pub fn set_expires_at(&self, t: DateTime<Utc>) -> Result<(), CredsError> {
        self.store.set_expires_at(self.lease_id, t)
    }

    pub(crate) fn state(&self, state: &str, detail: &str) -> Result<(), CredsError> {
        let line = if detail.is_empty() { state.to_string() } else { format!("{state}: {detail}") };
        self.store.record(self.lease_id, "state", "state", &line)?;
        self.emit(state, Phase::State, detail);
        Ok(())
    }
}
