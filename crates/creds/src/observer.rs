//! Every step of every lease is reported to a [`CredsObserver`] (the app wires it to the audit
//! log). Events carry names, ARNs and access key *ids* — never a secret access key or session token.

use uuid::Uuid;

/// Where a step is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Written to the journal before the cloud call.
    Intent,
    /// The call succeeded.
    Done,
    /// The call failed (the detail says why).
    Failed,
    /// The lease changed state (`action` is the new state).
    State,
}

/// One step, e.g. `aws.create_user` / `Done` / `user paddock-0190…`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CredsEvent<'a> {
    pub lease_id: Uuid,
    pub task: &'a str,
    /// `aws.create_user`, `aws.assume_role`, `state`, … (stable names; the audit trail keys on them).
    pub action: &'a str,
    pub phase: Phase,
    pub detail: &'a str,
}

pub trait CredsObserver: Send + Sync {
    fn on_event(&self, event: &CredsEvent<'_>);
}

/// Logs events through `tracing` at info level (the CLI's default observer).
pub struct TracingObserver;

impl CredsObserver for TracingObserver {
    fn on_event(&self, e: &CredsEvent<'_>) {
        tracing::info!(lease = %e.lease_id, task = e.task, action = e.action, phase = ?e.phase, "{}", e.detail);
    }
}

/// Drops every event.
pub struct NoObserver;

impl CredsObserver for NoObserver {
    fn on_event(&self, _: &CredsEvent<'_>) {}
}
