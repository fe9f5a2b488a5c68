//! `paddock-webhooks`: verified inbound webhooks (Slack, GitHub) that become
//! task *proposals*.
//!
//! A delivery goes through [`Listener`] in this order, and each step only
//! runs if the previous one passed: route and method → signature headers
//! present and well-formed (Slack: timestamp within 5 minutes) →
//! `Content-Length` under the cap → secret from the [`SecretStore`] → body
//! read under a byte cap and a total deadline → HMAC-SHA256 verified in
//! constant time → replay check (Slack signature / GitHub delivery id,
//! persisted) → parse ([`parse::parse_verified`]) → proposal stored, pending
//! unless an auto-run [`Rules`] rule matches.
//!
//! Invariants, each an absence:
//! - No byte of a body is parsed before its signature verifies (the
//!   listener's parse counter, [`Listener::parse_calls`], proves it in tests).
//! - No body is read past the cap or past the deadline.
//! - No signature or GitHub delivery id is accepted twice, across restarts.
//! - No secret in logs, errors or delivery records ([`Secret`] has no
//!   `Display` and a redacted `Debug`); no body in delivery records (only its
//!   length and SHA-256).
//! - No proposal runs without a person's approval unless a user-written rule
//!   names its repo and sender.
//! - No proposal is launched twice: a launcher claims it with a conditional
//!   UPDATE (`approved` → `launching`) before starting its task, and records
//!   the task id (`launched`) or the reason (`failed`) after.
//! - No proposal runs in a checkout the user did not map to its repo in the
//!   rules file's `[repos]`, and no proposal text becomes a `cmd` argv.
//! - No unbounded growth from strangers: the delivery log keeps the latest
//!   [`store::DEFAULT_DELIVERY_RETENTION`] rows, the replay memory a fixed
//!   number of keys, and only verified deliveries enter the replay cache.
//! - No delivery goes unrecorded: every request, accepted or refused, reaches
//!   the proposals database and every [`DeliveryObserver`].

pub mod delivery;
pub mod listener;
pub mod parse;
pub mod replay;
pub mod rules;
pub mod secret;
pub mod store;
pub mod targets;
pub mod verify;

pub use delivery::{Delivery, DeliveryObserver, Verdict};
pub use listener::{Listener, ListenerConfig};
pub use parse::{Parsed, ProposalDraft, Route, parse_verified};
pub use rules::{Rule, Rules, RulesError};
pub use secret::{
    ExposeSecret, KEYRING_SERVICE, KeyringSecretStore, MemorySecretStore, Secret, SecretError, SecretStore,
};
pub use store::{LaunchOutcome, Proposal, ProposalState, Store, StoreError};
pub use targets::{TaskAgent, TaskTemplate};
pub use verify::{VerifyError, sign_github, sign_slack, verify_github, verify_slack};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a delivery claims to come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Slack,
    Github,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Slack => "slack",
            Source::Github => "github",
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Source {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "slack" => Ok(Source::Slack),
            "github" => Ok(Source::Github),
            other => Err(format!("{other:?} is not slack or github")),
        }
    }
}

/// The time, injectable so the Slack window and the published test vector
/// (signed in 2018) can be checked.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock stopped at one instant (tests).
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

fn data_dir() -> Option<std::path::PathBuf> {
    match std::env::var_os("PADDOCK_DATA_DIR") {
        Some(dir) => Some(std::path::PathBuf::from(dir)),
        None => Some(dirs::data_dir()?.join("paddock")),
    }
}

/// The proposals database's default place: `<data dir>/webhooks.db`, where
/// the data dir is `PADDOCK_DATA_DIR`, else the platform's data dir + `paddock`.
pub fn default_db_path() -> Option<std::path::PathBuf> {
    Some(data_dir()?.join("webhooks.db"))
}

/// The auto-run rules' default place: `<data dir>/webhook-rules.toml` (the
/// file the app's Settings edit). No file means no rules: every proposal
/// waits for approval.
pub fn default_rules_path() -> Option<std::path::PathBuf> {
    Some(data_dir()?.join("webhook-rules.toml"))
}
