//! Settings DTOs to and from paddock-egress' policy document and
//! paddock-webhooks' types. Renames only; validation is the crates' own.

use paddock_egress::settings::{PolicyDoc, RuleDoc, ServiceDoc};
use paddock_ipc::settings as dto;
use paddock_ipc::{ErrorCode, WireError};

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn policy_error(e: paddock_egress::PolicyError) -> WireError {
    use paddock_egress::PolicyError as E;
    let code = match &e {
        E::Rule { .. } | E::Service { .. } => ErrorCode::InvalidInput,
        // The file on disk does not parse: fix or move it first.
        E::Toml(_) | E::Edit(_) => ErrorCode::Conflict,
        E::Read { .. } | E::Write { .. } => ErrorCode::Internal,
    };
    WireError::new(code, e.to_string())
}

fn rule(r: RuleDoc) -> dto::EgressRule {
    dto::EgressRule { id: r.id, hosts: r.hosts, ports: r.ports, reason: r.reason, private: r.private }
}

fn rule_doc(r: dto::EgressRule) -> RuleDoc {
    RuleDoc { id: r.id, hosts: r.hosts, ports: r.ports, reason: r.reason, private: r.private }
}

pub fn policy(d: PolicyDoc) -> dto::EgressPolicy {
    dto::EgressPolicy {
        allow: d.allow.into_iter().map(rule).collect(),
        deny: d.deny.into_iter().map(rule).collect(),
        services: d
            .services
            .into_iter()
            .map(|s| dto::EgressService {
                name: s.name,
                kind: s.kind,
                secret: s.secret,
                upstream: s.upstream,
                header: s.header,
                value: s.value,
                private: s.private,
            })
            .collect(),
    }
}

pub fn policy_doc(p: dto::EgressPolicy) -> PolicyDoc {
    PolicyDoc {
        allow: p.allow.into_iter().map(rule_doc).collect(),
        deny: p.deny.into_iter().map(rule_doc).collect(),
        services: p
            .services
            .into_iter()
            .map(|s| ServiceDoc {
                name: s.name,
                kind: s.kind,
                secret: s.secret,
                upstream: s.upstream,
                header: s.header,
                value: s.value,
                private: s.private,
            })
            .collect(),
    }
}

pub fn source(s: paddock_webhooks::Source) -> dto::WebhookSource {
    match s {
        paddock_webhooks::Source::Slack => dto::WebhookSource::Slack,
        paddock_webhooks::Source::Github => dto::WebhookSource::Github,
    }
}

pub fn source_in(s: dto::WebhookSource) -> paddock_webhooks::Source {
    match s {
        dto::WebhookSource::Slack => paddock_webhooks::Source::Slack,
        dto::WebhookSource::Github => paddock_webhooks::Source::Github,
    }
}

pub fn rule_out(r: paddock_webhooks::Rule) -> dto::AutoRunRule {
    dto::AutoRunRule { id: r.id, source: r.source.map(source), repos: r.repos, senders: r.senders, labels: r.labels }
}

pub fn delivery(d: paddock_webhooks::Delivery) -> dto::WebhookDelivery {
    dto::WebhookDelivery {
        id: d.id.to_string(),
        received_at: rfc3339(d.received_at),
        source: d.source.map(source),
        endpoint: d.endpoint,
        event: d.event,
        status: d.status,
        verdict: match d.verdict {
            paddock_webhooks::Verdict::Accepted => dto::DeliveryVerdict::Accepted,
            paddock_webhooks::Verdict::Ignored => dto::DeliveryVerdict::Ignored,
            paddock_webhooks::Verdict::Rejected => dto::DeliveryVerdict::Rejected,
        },
        reason: d.reason,
        proposal_id: d.proposal_id.map(|i| i.to_string()),
        peer: d.peer,
    }
}

pub fn proposal(p: paddock_webhooks::Proposal) -> dto::TaskProposal {
    dto::TaskProposal {
        id: p.id.to_string(),
        created_at: rfc3339(p.created_at),
        source: source(p.source),
        repo: p.repo,
        prompt: p.prompt,
        sender: p.sender,
        labels: p.labels,
        reference: p.reference,
        state: match p.state {
            paddock_webhooks::ProposalState::Pending => dto::ProposalState::Pending,
            paddock_webhooks::ProposalState::Approved => dto::ProposalState::Approved,
            paddock_webhooks::ProposalState::Rejected => dto::ProposalState::Rejected,
            paddock_webhooks::ProposalState::Launching => dto::ProposalState::Launching,
            paddock_webhooks::ProposalState::Launched => dto::ProposalState::Launched,
            paddock_webhooks::ProposalState::Failed => dto::ProposalState::Failed,
        },
        decided_at: p.decided_at.map(rfc3339),
        decided_by: p.decided_by,
        task_id: p.task_id,
        launch_error: p.launch_error,
    }
}

pub fn store_error(e: paddock_webhooks::StoreError) -> WireError {
    use paddock_webhooks::StoreError as E;
    let code = match &e {
        E::NotFound(_) => ErrorCode::NotFound,
        E::AlreadyDecided { .. } => ErrorCode::Conflict,
        E::Corrupt(_) => ErrorCode::Conflict,
        E::Sqlite(_) | E::Poisoned => ErrorCode::Internal,
    };
    WireError::new(code, e.to_string())
}
