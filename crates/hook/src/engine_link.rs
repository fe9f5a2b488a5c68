//! Inside a task: the decision goes to the task's engine, which checks the
//! hook's token, appends the decision to the audit trail and, for an `ask`,
//! opens an approval that the hook then waits for.

use std::path::PathBuf;
use std::time::Duration;

use paddock_engine_api::{ApprovalRecord, ApprovalState, Client, ClientError, GateDecisionIn, GateDecisionOut};
use paddock_gate::{Decision, HookInput, HookOutput, Verdict};

/// How long recording one decision may take (the engine appends in
/// milliseconds; this only bounds a wedged engine).
const RECORD_TIMEOUT: Duration = Duration::from_secs(30);
/// Margin over the approval timeout for the wait call itself.
const WAIT_MARGIN: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
enum LinkError {
    #[error("{0}")]
    Client(#[from] ClientError),
    #[error("the engine's answer is not what the hook expects: {0}")]
    Answer(#[from] serde_json::Error),
    #[error("the engine opened no approval for an ask")]
    NoApproval,
}

impl LinkError {
    /// The deny reason the agent sees.
    fn for_agent(&self) -> String {
        match self {
            LinkError::Client(ClientError::Api { .. }) => {
                format!("the Paddock engine refused to record this call, so nothing is allowed: {self}")
            }
            _ => format!("the Paddock engine is unreachable, so nothing is allowed: {self}"),
        }
    }
}

/// The engine running this hook's task (`PADDOCK_ENGINE_SOCKET`,
/// `PADDOCK_ENGINE_TOKEN`, `PADDOCK_TASK_ID`, set inside the sandbox).
pub(crate) struct EngineLink {
    client: Client,
    task: String,
    approval_timeout: Duration,
}

impl EngineLink {
    pub(crate) fn from_env() -> Option<EngineLink> {
        let socket = std::env::var_os("PADDOCK_ENGINE_SOCKET").filter(|s| !s.is_empty())?;
        let token = std::env::var("PADDOCK_ENGINE_TOKEN").unwrap_or_default();
        let task = std::env::var("PADDOCK_TASK_ID").unwrap_or_default();
        let secs = std::env::var("PADDOCK_APPROVAL_TIMEOUT_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(300);
        Some(EngineLink {
            client: Client::new(PathBuf::from(socket), token),
            task,
            approval_timeout: Duration::from_secs(secs),
        })
    }

    /// Appends the decision through the engine; its answer once it is recorded.
    fn record(&self, input: Option<&HookInput>, decision: &Decision) -> Result<GateDecisionOut, LinkError> {
        let body = serde_json::to_value(GateDecisionIn {
            task_id: self.task.clone(),
            tool: input.map_or("unknown", |i| i.tool_name.as_str()).to_owned(),
            resource: crate::resource_of(input).to_owned(),
            verdict: decision.verdict.as_str().to_owned(),
            rule_id: decision.rule_id.clone(),
            reason: decision.reason.clone(),
            detail: serde_json::Value::Object(crate::detail(input, decision)),
        })?;
        let answer = self.client.post("/v1/gate/decisions", &body, RECORD_TIMEOUT)?;
        Ok(serde_json::from_value(answer)?)
    }

    /// Records the decision; an "ask" becomes an approval a person answers
    /// (or that expires: deny).
    fn decide_through(&self, input: &HookInput, decision: &Decision) -> Result<HookOutput, LinkError> {
        let recorded = self.record(Some(input), decision)?;
        if decision.verdict != Verdict::Ask {
            return Ok(HookOutput::from_decision(decision));
        }
        let opened = recorded.approval.ok_or(LinkError::NoApproval)?;
        let mut state = opened.state;
        if state == ApprovalState::Pending {
            let secs = self.approval_timeout.as_secs();
            let waited =
                self.client.get(&format!("/v1/approvals/{}/wait?timeout_secs={secs}", opened.id), self.approval_timeout + WAIT_MARGIN)?;
            let waited: ApprovalRecord = serde_json::from_value(waited)?;
            state = waited.state;
        }
        Ok(match state {
            ApprovalState::Approved => HookOutput {
                verdict: Verdict::Allow,
                reason: format!("Paddock gate: approved by a person ({})", decision.reason),
            },
            ApprovalState::Denied => {
                HookOutput { verdict: Verdict::Deny, reason: format!("Paddock gate: a person denied this ({})", decision.reason) }
            }
            ApprovalState::Pending | ApprovalState::Expired => HookOutput {
                verdict: Verdict::Deny,
                reason: format!(
                    "Paddock gate: this needs a person's approval and nobody approved it within {}s ({})",
                    self.approval_timeout.as_secs(),
                    decision.reason
                ),
            },
        })
    }
}

impl crate::Recorder for EngineLink {
    fn decide(&self, input: &HookInput, decision: &Decision) -> HookOutput {
        // Inside a task: the engine records the decision and runs the human gate.
        self.decide_through(input, decision).unwrap_or_else(|e| crate::fail(e.for_agent()))
    }

    fn refused(&self, refusal: &Decision) -> Result<(), String> {
        self.record(None, refusal).map(|_| ()).map_err(|e| e.to_string())
    }
}
