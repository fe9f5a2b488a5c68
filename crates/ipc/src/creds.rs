//! The Credentials screen: cloud credential leases (paddock-creds), the
//! admin credentials' status, and the progress of revocations and sweeps.
//!
//! No type here has a field for a secret: a lease carries its principal (an
//! ARN), never a secret key or session token; the admin status carries only
//! a fingerprint of the access key *id* (`AKIA…WXYZ`).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LeaseState {
    Provisioning,
    Active,
    Revoking,
    Revoked,
    Failed,
}

/// One journal row of a lease: an intent before a cloud call, its outcome
/// after, or a change of state.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct LeaseStep {
    pub seq: i64,
    /// RFC 3339, UTC.
    pub at: String,
    /// `aws.create_user`, `state`, … (stable names).
    pub step: String,
    /// `intent`, `done`, `failed` or `state`.
    pub phase: String,
    pub detail: String,
}

/// One lease, as `paddock creds list --json` shows it. Times are RFC 3339, UTC.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Lease {
    pub id: String,
    pub task: String,
    /// `aws` or `gcp`.
    pub provider: String,
    /// `assumed_role` or `iam_user` for AWS, `service_account` for GCP.
    pub mode: String,
    pub state: LeaseState,
    /// Why provisioning failed or was interrupted.
    pub failure: Option<String>,
    /// The principal handed out (an ARN, or a service-account email), once known.
    pub principal: Option<String>,
    /// The grants in their readable form, e.g. `s3:read bucket/prefix`.
    pub scope: Vec<String>,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    /// A revoked assumed-role lease keeps a revocation Deny on the base role until then.
    pub cleanup_after: Option<String>,
    /// Failed revocation attempts so far.
    pub attempts: u32,
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub history: Vec<LeaseStep>,
}

/// The admin (provisioning) credentials in the OS keyring. Never the secret.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AdminKey {
    /// An entry is stored; `key_id` is a fingerprint of its access key id.
    Configured { key_id: String },
    /// No entry.
    Missing,
    /// The keyring could not be read, or holds something else.
    Unreadable { reason: String },
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AdminKeyStatus {
    pub key: AdminKey,
    /// Keyring service and user of the entry, e.g. `paddock` / `aws-admin`.
    pub service: String,
    pub user: String,
    /// The command that stores the key (reads JSON from stdin).
    pub set_command: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CredsOverview {
    /// Newest first.
    pub leases: Vec<Lease>,
    pub admin: AdminKeyStatus,
    /// Google Cloud: the saved project and admin source, and the keyring key's status.
    pub gcp: crate::settings::GcpSettings,
    /// The lease database.
    pub store: String,
}

/// One step of a revocation or sweep, as it happens.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CredsStep {
    /// The lease the step is for (the nil UUID for an orphan of no known lease).
    pub lease_id: String,
    pub task: String,
    pub action: String,
    /// `intent`, `done`, `failed` or `state`.
    pub phase: String,
    pub detail: String,
}

/// A cloud object that belonged to no live lease, and was removed.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct RemovedOrphan {
    /// `user`, `policy`, `role_policy`, …
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Retrying {
    pub lease_id: String,
    pub reason: String,
}

/// What a reap-and-sweep pass did.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SweepDone {
    /// Leases revoked (expired, or interrupted provisioning).
    pub revoked: Vec<String>,
    /// Failed leases cleaned up.
    pub failed: Vec<String>,
    /// Still revoking; the reaper retries with backoff.
    pub retrying: Vec<Retrying>,
    /// Revocation Denies removed after their session's maximum life.
    pub cleaned: Vec<String>,
    pub orphans_removed: Vec<RemovedOrphan>,
}
