//! The Onboarding wizard's risk audit and bypass-mode warnings. They mirror
//! `paddock-scan`'s model; the shell converts (src-tauri/src/convert/scan.rs).
//! No type here has a field for a secret value: the scan only ever hands over
//! kind, location and a short fingerprint.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FindingCategory {
    Cloud,
    PackageToken,
    Vcs,
    Ssh,
    Gpg,
    Environment,
    EnvFile,
    Privilege,
    Browser,
    PasswordManager,
    AiAgent,
}

/// One thing an agent could use.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ScanFinding {
    pub id: String,
    pub category: FindingCategory,
    pub kind: String,
    pub location: String,
    /// `AKIA…WXYZ`, `hmac:1a2b3c4d`, an SSH key fingerprint; never the value.
    pub fingerprint: Option<String>,
    /// "3 days"; null when the file has no readable modification time.
    pub age: Option<String>,
    pub age_seconds: Option<u64>,
    pub severity: Severity,
    pub explanation: String,
    pub paddock_mitigation: String,
}

/// One message on the progress channel of `scan_run`.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ScanEvent {
    CheckStarted { check: String },
    Finding { finding: ScanFinding },
    Note { note: String },
}

/// The whole audit, returned when the scan ends.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ScanReport {
    /// Most severe first.
    pub findings: Vec<ScanFinding>,
    pub risk: RiskLevel,
    pub reasons: Vec<String>,
    /// What the scan could not look at.
    pub notes: Vec<String>,
    /// RFC 3339, UTC.
    pub scanned_at: Option<String>,
}

/// The fixed texts of the audit step, and what the scan looks at.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ScanInfo {
    /// How findings map to a level.
    pub risk_rules: String,
    /// The risk-audit prompt for the user's own agent.
    pub audit_prompt: String,
    pub audit_prompt_note: String,
    /// The HOME that is scanned (the real one unless `PADDOCK_SCAN_HOME` is set).
    pub home: String,
    /// True when `PADDOCK_SCAN_HOME` points the scan somewhere else.
    pub home_overridden: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum BypassKind {
    ClaudeBypassPermissions,
    ClaudeSkipDangerousPrompt,
    ShellDangerousFlag,
    CodexApprovalNever,
    CodexDangerFullAccess,
    ProductionRepo,
    BypassOnProduction,
}

/// One bypass-mode warning, with whether it has been acknowledged.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct BypassWarning {
    pub id: String,
    pub kind: BypassKind,
    pub location: String,
    /// The repository it applies to; null for machine-wide settings.
    pub repo: Option<String>,
    pub explanation: String,
    pub paddock_instead: String,
    /// A task must not start on `repo` until this is acknowledged.
    pub requires_ack: bool,
    /// RFC 3339, UTC; null when not acknowledged (or not needing it).
    pub acknowledged_at: Option<String>,
}

/// What `bypass_acknowledge` recorded.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AckRecord {
    pub repo: String,
    pub warning_id: String,
    pub acknowledged_at: String,
    /// The acknowledgement store (`<data dir>/acks.json`).
    pub store: String,
}

/// What happened to one finding inside the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ComparisonStatus {
    /// Reachable inside too: isolation did not cover it.
    StillReachable,
    /// Found only inside (worth a look).
    OnlyInside,
    /// Same place, a different value inside.
    Replaced,
    /// Found outside, gone inside: the sandbox took it away.
    Removed,
}

/// One line of the outside-vs-inside table.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ComparisonRow {
    pub id: String,
    pub category: FindingCategory,
    pub kind: String,
    pub location: String,
    /// Null when not found outside.
    pub outside: Option<Severity>,
    /// Null when not found inside.
    pub inside: Option<Severity>,
    pub status: ComparisonStatus,
}

/// The same audit outside and inside the sandbox a task gets.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ScanComparison {
    /// Rows needing attention first, then by severity.
    pub rows: Vec<ComparisonRow>,
    pub outside_risk: RiskLevel,
    pub inside_risk: RiskLevel,
    /// Nothing found outside is reachable inside.
    pub isolation_holds: bool,
    /// The sandbox that ran the inside scan, e.g. `bubblewrap`.
    pub backend: String,
    /// What the inside scan could not look at.
    pub inside_notes: Vec<String>,
}

/// Progress of `scan_compare`.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CompareEvent {
    /// Scanning as you, outside any sandbox.
    Outside,
    /// Scanning inside a fresh sandbox.
    Inside,
}
