//! `paddock-creds` types into `paddock-ipc::creds` DTOs. Leases and events
//! carry ARNs, names and access key *ids*, never a secret (see paddock-creds'
//! invariants), so nothing here redacts; it renames.

use paddock_creds as creds;
use paddock_ipc::creds as dto;
use paddock_ipc::{ErrorCode, WireError};

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn error(e: creds::CredsError) -> WireError {
    use creds::CredsError as E;
    let code = match &e {
        E::InvalidGrant { .. } | E::PolicyTooLarge { .. } | E::InvalidTag(_) | E::InvalidTask(_) => {
            ErrorCode::InvalidInput
        }
        E::NoSuchLease(_) => ErrorCode::NotFound,
        E::Config(_)
        | E::AdminCredentials(_)
        | E::Aws { .. }
        | E::Gcp { .. }
        | E::ServiceAccountQuota { .. }
        | E::NotUsable { .. }
        | E::UnknownProvider(_) => {
            ErrorCode::Unavailable
        }
        E::Corrupt(_) => ErrorCode::Conflict,
        E::Store { .. } => ErrorCode::Internal,
    };
    // CredsError messages never carry a secret (paddock-creds reduces AWS
    // errors to code and message).
    WireError::new(code, e.to_string())
}

fn state(s: creds::LeaseState) -> dto::LeaseState {
    match s {
        creds::LeaseState::Provisioning => dto::LeaseState::Provisioning,
        creds::LeaseState::Active => dto::LeaseState::Active,
        creds::LeaseState::Revoking => dto::LeaseState::Revoking,
        creds::LeaseState::Revoked => dto::LeaseState::Revoked,
        creds::LeaseState::Failed => dto::LeaseState::Failed,
    }
}

pub fn lease(r: creds::LeaseRow) -> dto::Lease {
    dto::Lease {
        id: r.id.to_string(),
        task: r.task,
        provider: r.provider,
        mode: r.mode,
        state: state(r.state),
        failure: r.failure,
        principal: r.principal,
        scope: r.scope,
        created_at: rfc3339(r.created_at),
        expires_at: rfc3339(r.expires_at),
        revoked_at: r.revoked_at.map(rfc3339),
        cleanup_after: r.cleanup_after.map(rfc3339),
        attempts: r.attempts,
        next_attempt_at: r.next_attempt_at.map(rfc3339),
        last_error: r.last_error,
        history: r
            .history
            .into_iter()
            .map(|h| dto::LeaseStep { seq: h.seq, at: rfc3339(h.at), step: h.step, phase: h.phase, detail: h.detail })
            .collect(),
    }
}

pub fn admin(s: creds::AdminKeyStatus, service: &str, user: &str) -> dto::AdminKeyStatus {
    let key = match s {
        creds::AdminKeyStatus::Configured { key_id } => dto::AdminKey::Configured { key_id },
        creds::AdminKeyStatus::Missing => dto::AdminKey::Missing,
        creds::AdminKeyStatus::Unreadable(reason) => dto::AdminKey::Unreadable { reason },
    };
    dto::AdminKeyStatus {
        key,
        service: service.to_owned(),
        user: user.to_owned(),
        set_command: if service == creds::aws::ADMIN_KEYRING_SERVICE && user == creds::aws::ADMIN_KEYRING_USER {
            "paddock creds admin-key < admin-key.json".to_owned()
        } else {
            format!("paddock creds admin-key --keyring-service {service} --keyring-user {user} < admin-key.json")
        },
    }
}

fn phase(p: creds::Phase) -> &'static str {
    match p {
        creds::Phase::Intent => "intent",
        creds::Phase::Done => "done",
        creds::Phase::Failed => "failed",
        creds::Phase::State => "state",
    }
}

pub fn step(e: &creds::CredsEvent<'_>) -> dto::CredsStep {
    dto::CredsStep {
        lease_id: e.lease_id.to_string(),
        task: e.task.to_owned(),
        action: e.action.to_owned(),
        phase: phase(e.phase).to_owned(),
        detail: e.detail.to_owned(),
    }
}

/// One credential step as an audit event (kind `credential`).
pub fn audit_event(e: &creds::CredsEvent<'_>) -> paddock_audit::NewEvent {
    let ev = paddock_audit::NewEvent::new(paddock_audit::Actor::System, paddock_audit::Kind::Credential, e.action)
        .resource(e.lease_id.to_string())
        .outcome(phase(e.phase))
        .detail(serde_json::json!({ "lease": e.lease_id.to_string(), "detail": e.detail }));
    if e.task == "-" { ev } else { ev.task(e.task) }
}

pub fn sweep(r: creds::ReapReport, orphans: Vec<creds::provider::Orphan>) -> dto::SweepDone {
    let ids = |v: Vec<uuid::Uuid>| v.into_iter().map(|i| i.to_string()).collect();
    dto::SweepDone {
        revoked: ids(r.revoked),
        failed: ids(r.failed),
        retrying: r
            .retrying
            .into_iter()
            .map(|(id, reason)| dto::Retrying { lease_id: id.to_string(), reason })
            .collect(),
        cleaned: ids(r.cleaned),
        orphans_removed: orphans.into_iter().map(|o| dto::RemovedOrphan { kind: o.kind, name: o.name }).collect(),
    }
}
