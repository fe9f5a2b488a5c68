//! Settings: the egress policy (allowlist and injected services) and the
//! inbound webhook integrations (Slack, GitHub).
//!
//! Secrets go one way only: the UI may send a secret *to* the keyring
//! (`egress_set_secret`, `webhooks_set_secret`); nothing here carries one
//! back. Services name their keyring entry and say whether it is stored.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// An allow or deny rule of the egress policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EgressRule {
    pub id: String,
    /// Exact names, `*.domain` (subdomains only) or IP addresses.
    pub hosts: Vec<String>,
    /// Null: allow rules get 80 and 443, deny rules every port.
    pub ports: Option<Vec<u16>>,
    /// Shown to the agent when a deny rule refuses it.
    pub reason: Option<String>,
    /// The hosts may resolve to loopback or private addresses.
    pub private: bool,
}

/// A service whose API key the proxy injects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EgressService {
    pub name: String,
    /// `anthropic`, `openai`, `github` or `custom`.
    pub kind: String,
    /// The keyring entry's name (never its value).
    pub secret: String,
    /// Custom services: `https://…` base URL.
    pub upstream: Option<String>,
    /// Custom services: the header the key goes in.
    pub header: Option<String>,
    /// Header value template containing `{secret}`; null for the kind's default.
    pub value: Option<String>,
    pub private: bool,
}

/// The editable part of the policy file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EgressPolicy {
    pub allow: Vec<EgressRule>,
    pub deny: Vec<EgressRule>,
    pub services: Vec<EgressService>,
}

/// Whether a service's keyring entry holds a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SecretPresence {
    Stored,
    Missing,
    /// The keyring could not be asked (see `EgressSettings::keyring_problem`).
    Unknown,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct EgressSettings {
    /// The policy file `paddock egress serve|check` read by default.
    pub path: String,
    /// False until the first save: with no file, every host is refused.
    pub exists: bool,
    pub policy: EgressPolicy,
    /// Keyed by entry name, for every service's `secret`.
    pub secrets: Vec<SecretStatus>,
    pub keyring_problem: Option<String>,
    /// The annotated example policy, offered as a starting point.
    pub example: EgressPolicy,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SecretStatus {
    pub name: String,
    pub presence: SecretPresence,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum WebhookSource {
    Slack,
    Github,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct WebhookSecretStatus {
    pub source: WebhookSource,
    pub presence: SecretPresence,
    /// Why the keyring could not say, when it could not.
    pub problem: Option<String>,
    /// The endpoints it verifies, e.g. `/github`.
    pub endpoints: String,
}

/// One auto-run rule (a proposal matching it runs without approval).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AutoRunRule {
    pub id: String,
    pub source: Option<WebhookSource>,
    pub repos: Vec<String>,
    pub senders: Vec<String>,
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct WebhookRules {
    /// The rules file `paddock webhooks serve` reads by default.
    pub path: String,
    pub exists: bool,
    /// The file's text, to edit ("" when there is none).
    pub text: String,
    pub rules: Vec<AutoRunRule>,
    /// Why the file does not load, when it does not.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryVerdict {
    Accepted,
    Ignored,
    Rejected,
}

/// One request to the webhook listener and what became of it. Never the body.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct WebhookDelivery {
    pub id: String,
    pub received_at: String,
    pub source: Option<WebhookSource>,
    pub endpoint: String,
    pub event: Option<String>,
    pub status: u16,
    pub verdict: DeliveryVerdict,
    pub reason: String,
    pub proposal_id: Option<String>,
    pub peer: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ProposalState {
    Pending,
    Approved,
    Rejected,
    /// `paddock serve --webhooks` is starting its task.
    Launching,
    /// Its task was started: `task_id` names it.
    Launched,
    /// Approved but never started: `launch_error` says why.
    Failed,
}

/// A task someone asked for from Slack or GitHub, verified, awaiting a decision.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct TaskProposal {
    pub id: String,
    pub created_at: String,
    pub source: WebhookSource,
    pub repo: String,
    pub prompt: String,
    pub sender: String,
    pub labels: Vec<String>,
    /// Issue URL, Slack channel, …
    pub reference: Option<String>,
    pub state: ProposalState,
    pub decided_at: Option<String>,
    /// `user`, or `rule:<id>` for an auto-run.
    pub decided_by: Option<String>,
    /// The task it became (state `launched`).
    pub task_id: Option<String>,
    /// Why it was not started (state `failed`).
    pub launch_error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct IntegrationsOverview {
    pub secrets: Vec<WebhookSecretStatus>,
    pub rules: WebhookRules,
    /// Newest first, at most 50.
    pub deliveries: Vec<WebhookDelivery>,
    /// Newest first.
    pub proposals: Vec<TaskProposal>,
    /// The proposals database.
    pub db: String,
    /// How to start the listener.
    pub serve_command: String,
}

/// Where the GCP admin (provisioning) credentials come from. A *name* of a
/// source, never a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum GcpAdminSource {
    /// Application Default Credentials (`GOOGLE_APPLICATION_CREDENTIALS`,
    /// gcloud's ADC file, or the metadata server).
    Adc,
    /// A service-account key in the OS keyring (`paddock creds admin-key --gcp`).
    Keyring { service: String, user: String },
    /// ADC impersonating this service account (no key anywhere).
    Impersonate { service_account: String },
}

/// The GCP settings a person edits (the rest of `creds-settings.json`'s GCP
/// section, e.g. a test endpoint, is kept as it is on save).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct GcpConfig {
    /// The project the per-lease service accounts live in.
    pub project: String,
    pub admin: GcpAdminSource,
    /// Roles a lease may bind (`roles/…`, `projects/P/roles/…`).
    pub allowed_roles: Vec<String>,
    /// The longest access token minted, in seconds (3600 unless the org allows up to 43200).
    pub max_token_lifetime_secs: u64,
}

/// Whether the GCP admin key's keyring entry holds a service-account key.
/// Never the key: at most the account's email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum GcpAdminKey {
    /// A service-account key is stored; `client_email` is its account.
    Stored { client_email: String },
    Missing,
    /// The keyring could not be read, or the entry is not a service-account key.
    Unreadable { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct GcpAdminKeyStatus {
    /// The keyring entry looked at: the saved keyring source, else the default one.
    pub service: String,
    pub user: String,
    pub key: GcpAdminKey,
    /// The command that stores a key there (reads the key file's JSON from stdin).
    pub set_command: String,
}

/// Settings → Google Cloud, and the GCP part of the Credentials screen.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct GcpSettings {
    /// `<data>/creds-settings.json`.
    pub path: String,
    /// False until GCP settings are saved: no GCP lease can be granted without a project.
    pub configured: bool,
    /// The saved settings, or a starting point (empty project, default roles).
    pub config: GcpConfig,
    /// The roles allowed when nothing says otherwise.
    pub default_roles: Vec<String>,
    /// The keyring entry the app offers for a keyring source (namespaced like the AWS key).
    pub default_keyring: GcpKeyringEntry,
    pub admin_key: GcpAdminKeyStatus,
    /// One line for people: where the admin credentials come from.
    pub admin_description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct GcpKeyringEntry {
    pub service: String,
    pub user: String,
}
