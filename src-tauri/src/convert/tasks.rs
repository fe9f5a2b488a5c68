//! Engine records ⇄ the Tasks and Approvals DTOs.

use paddock_engine as engine;
use paddock_ipc::tasks as dto;
use paddock_ipc::{ErrorCode, WireError};

/// Engine errors say what failed and what to do and never carry a secret
/// (see `EngineError`), so their text is shown as is.
pub fn engine_error(e: engine::EngineError) -> WireError {
    let code = match &e {
        engine::EngineError::NoSuchTask(_) | engine::EngineError::NoSuchApproval(_) => ErrorCode::NotFound,
        engine::EngineError::BadRequest(_) => ErrorCode::InvalidInput,
        engine::EngineError::Refused(_) | engine::EngineError::Sandbox(_) => ErrorCode::PermissionDenied,
        engine::EngineError::Store { .. } | engine::EngineError::Audit(_) => ErrorCode::Internal,
        _ => ErrorCode::Unavailable,
    };
    WireError::new(code, e.to_string())
}

pub fn agent(a: dto::AgentKind) -> engine::AgentKind {
    match a {
        dto::AgentKind::Claude => engine::AgentKind::Claude,
        dto::AgentKind::Codex => engine::AgentKind::Codex,
        dto::AgentKind::Cmd => engine::AgentKind::Cmd,
    }
}

fn state(s: engine::TaskState) -> dto::TaskState {
    match s {
        engine::TaskState::Created => dto::TaskState::Created,
        engine::TaskState::Running => dto::TaskState::Running,
        engine::TaskState::Stopping => dto::TaskState::Stopping,
        engine::TaskState::Finished => dto::TaskState::Finished,
        engine::TaskState::Failed => dto::TaskState::Failed,
        engine::TaskState::Cancelled => dto::TaskState::Cancelled,
    }
}

pub fn task(t: engine::TaskRecord, run_here: bool) -> dto::TaskSummary {
    dto::TaskSummary {
        id: t.id,
        agent: t.agent,
        repo: t.repo.display().to_string(),
        branch: t.branch,
        prompt: t.prompt,
        state: state(t.state),
        exit_code: t.exit_code,
        error: t.error,
        created_at: t.created_at,
        started_at: t.started_at,
        finished_at: t.finished_at,
        ttl_secs: t.ttl_secs,
        bypass: t.bypass,
        allow_hosts: t.allow_hosts,
        commit: t.commit,
        run_here,
    }
}

pub fn launch(l: dto::TaskLaunch) -> Result<engine::TaskSpec, WireError> {
    let kind = agent(l.agent);
    let prompt = engine::task_words(kind, &l.prompt).map_err(engine_error)?;
    if l.repo.trim().is_empty() {
        return Err(WireError::invalid_input("choose the repository the task works in"));
    }
    let tool_caches = l
        .tool_caches
        .iter()
        .map(|name| engine::ToolCache::from_name(name))
        .collect::<Result<Vec<_>, _>>()
        .map_err(WireError::invalid_input)?;
    Ok(engine::TaskSpec {
        agent: kind,
        repo: l.repo.trim().into(),
        prompt,
        allow_hosts: l.allow_hosts,
        ttl_secs: l.ttl_secs,
        bypass: l.bypass,
        grants: l.grants,
        tool_caches,
    })
}

fn approval_state(s: engine::ApprovalState) -> dto::ApprovalState {
    match s {
        engine::ApprovalState::Pending => dto::ApprovalState::Pending,
        engine::ApprovalState::Approved => dto::ApprovalState::Approved,
        engine::ApprovalState::Denied => dto::ApprovalState::Denied,
        engine::ApprovalState::Expired => dto::ApprovalState::Expired,
    }
}

pub fn approval(a: engine::ApprovalRecord) -> dto::Approval {
    dto::Approval {
        id: a.id,
        task_id: a.task_id,
        tool: a.tool,
        resource: a.resource,
        rule_id: a.rule_id,
        reason: a.reason,
        state: approval_state(a.state),
        decided_by: a.decided_by,
        created_at: a.created_at,
        decided_at: a.decided_at,
    }
}

pub fn choice(c: dto::ApprovalChoice) -> engine::ApprovalDecision {
    match c {
        dto::ApprovalChoice::Approve => engine::ApprovalDecision::Approve,
        dto::ApprovalChoice::Deny => engine::ApprovalDecision::Deny,
        dto::ApprovalChoice::AlwaysAllow => engine::ApprovalDecision::AlwaysAllow,
    }
}

pub fn stream(s: engine::Stream) -> dto::OutputStream {
    match s {
        engine::Stream::Stdout => dto::OutputStream::Stdout,
        engine::Stream::Stderr => dto::OutputStream::Stderr,
    }
}
