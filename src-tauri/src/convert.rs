//! Conversions between `paddock-ipc` DTOs and engine types. Mechanical by
//! design: a rule that decides anything belongs in an engine crate.

use paddock_audit as audit;
use paddock_ipc::audit as dto;
use paddock_ipc::{ErrorCode, WireError};

pub fn audit_error(e: audit::AuditError) -> WireError {
    // Audit errors never carry event contents (see AuditError), so their
    // text is safe to show.
    let code = match e {
        audit::AuditError::InvalidQuery(_) => ErrorCode::InvalidInput,
        audit::AuditError::Corrupt(_) => ErrorCode::Conflict,
        _ => ErrorCode::Internal,
    };
    WireError::new(code, e.to_string())
}

fn actor(a: dto::AuditActor) -> audit::Actor {
    match a {
        dto::AuditActor::User => audit::Actor::User,
        dto::AuditActor::Agent => audit::Actor::Agent,
        dto::AuditActor::SubAgent => audit::Actor::SubAgent,
        dto::AuditActor::System => audit::Actor::System,
    }
}

fn actor_dto(a: audit::Actor) -> dto::AuditActor {
    match a {
        audit::Actor::User => dto::AuditActor::User,
        audit::Actor::Agent => dto::AuditActor::Agent,
        audit::Actor::SubAgent => dto::AuditActor::SubAgent,
        audit::Actor::System => dto::AuditActor::System,
    }
}

fn kind(k: dto::AuditKind) -> audit::Kind {
    match k {
        dto::AuditKind::ToolCall => audit::Kind::ToolCall,
        dto::AuditKind::GateDecision => audit::Kind::GateDecision,
        dto::AuditKind::Approval => audit::Kind::Approval,
        dto::AuditKind::Sandbox => audit::Kind::Sandbox,
        dto::AuditKind::Egress => audit::Kind::Egress,
        dto::AuditKind::Credential => audit::Kind::Credential,
        dto::AuditKind::Task => audit::Kind::Task,
        dto::AuditKind::Webhook => audit::Kind::Webhook,
        dto::AuditKind::Config => audit::Kind::Config,
        dto::AuditKind::Warning => audit::Kind::Warning,
    }
}

fn kind_dto(k: audit::Kind) -> dto::AuditKind {
    match k {
        audit::Kind::ToolCall => dto::AuditKind::ToolCall,
        audit::Kind::GateDecision => dto::AuditKind::GateDecision,
        audit::Kind::Approval => dto::AuditKind::Approval,
        audit::Kind::Sandbox => dto::AuditKind::Sandbox,
        audit::Kind::Egress => dto::AuditKind::Egress,
        audit::Kind::Credential => dto::AuditKind::Credential,
        audit::Kind::Task => dto::AuditKind::Task,
        audit::Kind::Webhook => dto::AuditKind::Webhook,
        audit::Kind::Config => dto::AuditKind::Config,
        audit::Kind::Warning => dto::AuditKind::Warning,
    }
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn time_bound(label: &str, s: Option<String>) -> Result<Option<chrono::DateTime<chrono::Utc>>, WireError> {
    non_empty(s)
        .map(|s| {
            audit::parse_time_bound(&s).map_err(|e| WireError::invalid_input(format!("{label}: {e}")))
        })
        .transpose()
}

pub fn filter(f: dto::AuditFilter) -> Result<audit::Filter, WireError> {
    Ok(audit::Filter {
        since: time_bound("from", f.since)?,
        until: time_bound("until", f.until)?,
        task_id: non_empty(f.task_id),
        actors: f.actors.into_iter().map(actor).collect(),
        kinds: f.kinds.into_iter().map(kind).collect(),
        outcomes: f.outcomes,
        text: non_empty(f.text),
    })
}

pub fn query(q: dto::AuditQuery) -> Result<audit::Query, WireError> {
    let cursor = match q.cursor {
        dto::AuditCursor::Newest => audit::Cursor::Newest,
        dto::AuditCursor::Oldest => audit::Cursor::Oldest,
        dto::AuditCursor::Before(s) => audit::Cursor::Before(s),
        dto::AuditCursor::After(s) => audit::Cursor::After(s),
    };
    Ok(audit::Query { filter: filter(q.filter)?, cursor, limit: q.limit })
}

pub fn event(e: audit::Event) -> dto::AuditEvent {
    dto::AuditEvent {
        seq: e.seq,
        id: e.id,
        ts: e.ts,
        task_id: e.task_id,
        actor: actor_dto(e.actor),
        kind: kind_dto(e.kind),
        action: e.action,
        resource: e.resource,
        outcome: e.outcome,
        detail: e.detail,
        hash: e.hash,
    }
}

pub fn page(p: audit::Page) -> dto::AuditPage {
    dto::AuditPage {
        events: p.events.into_iter().map(event).collect(),
        has_older: p.has_older,
        has_newer: p.has_newer,
    }
}

pub fn counts(c: audit::Counts) -> dto::AuditCounts {
    dto::AuditCounts {
        total: c.total,
        by_kind: c
            .by_kind
            .into_iter()
            .map(|(k, count)| dto::CountEntry { key: k.as_str().to_owned(), count })
            .collect(),
        by_outcome: c.by_outcome.into_iter().map(|(key, count)| dto::CountEntry { key, count }).collect(),
    }
}

pub fn verify(r: audit::VerifyReport) -> dto::AuditVerify {
    dto::AuditVerify {
        ok: r.ok,
        events: r.events,
        head_seq: r.head_seq,
        checkpoints_verified: r.checkpoints_verified,
        sealed_through: r.sealed_through,
        first_broken: r.first_broken,
        problems: r.problems.into_iter().map(|p| dto::VerifyProblem { seq: p.seq, message: p.message }).collect(),
        checked_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

pub fn task(t: audit::TaskSummary) -> dto::AuditTask {
    dto::AuditTask { task_id: t.task_id, first_seq: t.first_seq, last_seq: t.last_seq, events: t.events }
}

pub mod creds;
pub mod gcp;
pub mod scan;
pub mod tasks;
pub mod settings;

pub fn gate_pack(p: paddock_gate::PackSummary) -> paddock_ipc::onboarding::GatePack {
    use paddock_ipc::onboarding::{GatePack, GateRule, GateVerdict};
    GatePack {
        id: p.id,
        description: p.description,
        rules: p
            .rules
            .into_iter()
            .map(|r| GateRule {
                id: r.id,
                verdict: match r.verdict {
                    paddock_gate::Verdict::Allow => GateVerdict::Allow,
                    paddock_gate::Verdict::Ask => GateVerdict::Ask,
                    paddock_gate::Verdict::Deny => GateVerdict::Deny,
                },
                reason: r.reason,
            })
            .collect(),
    }
}
