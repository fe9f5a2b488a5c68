//! Ephemeral, task-scoped cloud credentials that are always revoked.
//!
//! Each task gets a fresh principal with only what it needs ([`grants`]), which disappears
//! afterwards — even if Paddock is killed mid-way. The pieces:
//!
//! - [`grants`] / [`policy`]: readable grants (`s3:read bucket/prefix`, `gcs:read bucket/prefix`, …)
//!   turned into IAM documents (AWS, checked against AWS limits before any call) or conditional role
//!   bindings (GCP, [`gcp::bindings`]).
//! - [`store`]: the lease database with a write-ahead journal: the intent of every cloud mutation
//!   is durable before the call, the outcome after it.
//! - [`provider`]: the `Provider` trait (provision / revoke / cleanup / list_orphans) a cloud implements;
//!   [`aws`] is the AWS one (assumed-role sessions or IAM users), [`gcp`] the GCP one (a service
//!   account per lease, time-conditioned bindings, an access token; never a key).
//! - [`settings`]: the saved, secret-free cloud settings (`<data>/creds-settings.json`).
//! - [`leases`]: [`Leases`], the API: grant, revoke, reap (resume after a crash, TTL expiry, retries
//!   with backoff), sweep (orphans in the account), list (for the UI).
//!
//! Invariants, stated as absences:
//! - No secret (secret access key, session token, GCP access token, admin credentials or keys) is written to disk, logged, put
//!   in an error, a journal row or an event. Admin credentials come from the OS keyring or a named
//!   profile, never from the environment the agent could share. [`provider::Secret`] redacts itself.
//! - No cloud mutation happens without a durable journal intent before it.
//! - No lease is forgotten: a lease leaves `provisioning`/`active`/`revoking` only when the
//!   provider says nothing of it is usable any more.
//! - No missing IAM entity is taken as deleted before the minimum age (eventual consistency).
//! - No GCP policy is written without the etag it was read with (no blind overwrite), and no
//!   basic or IAM-administration role is ever bound to a lease.
//!
//! `PADDOCK_CREDS_CRASH_AT` ([`crash`]) is a fault-injection hook for the crash tests.

pub mod aws;
pub mod crash;
pub mod error;
pub mod gcp;
pub mod grants;
pub mod leases;
pub mod observer;
pub mod policy;
pub mod provider;
pub mod settings;
pub mod store;

pub use aws::{AdminKeyStatus, AdminSource, AwsConfig, AwsMode, AwsProvider, admin_key_status};
pub use error::CredsError;
pub use gcp::{GcpAdminSource, GcpConfig, GcpProvider};
pub use grants::{Grant, parse_grants};
pub use leases::{GrantRequest, LeaseRow, Leases, ReapReport};
pub use observer::{CredsEvent, CredsObserver, NoObserver, Phase, TracingObserver};
pub use provider::{Credential, ExposeSecret, Issued, Provider, Secret};
pub use settings::CredsSettings;
pub use store::{JournalEntry, Lease, LeaseState, LeaseStore};
