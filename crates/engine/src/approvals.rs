//! The human gate: a gate "ask" from an unattended task becomes a pending
//! approval that a person approves, denies or always-allows (for that rule,
//! for the rest of the task); the hook waits for it up to the engine's
//! approval timeout, after which it is expired — a deny. Every step is an
//! audit event.

use std::time::Duration;

use paddock_audit::{Actor, Kind, NewEvent};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::api::{GateDecisionIn, GateDecisionOut};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::events::EngineEvent;
use crate::store::{ApprovalRecord, ApprovalState, now};

/// How often a waiting hook re-reads the store for decisions made by other processes.
const STORE_RECHECK: Duration = Duration::from_millis(500);

/// What the hook sends when the gate says "ask".
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApprovalRequest {
    pub task_id: String,
    pub tool: String,
    pub resource: String,
    pub rule_id: Option<String>,
    pub reason: String,
}

/// A person's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalDecision {
    Approve,
    Deny,
    /// Approve, and approve every later ask of the same rule in this task.
    AlwaysAllow,
}

impl Engine {
    /// Records a gate decision of a task's hook; an `ask` also opens an
    /// approval (answered at once if its rule was always-allowed).
    pub fn append_gate_decision(&self, d: GateDecisionIn, by: Actor) -> Result<GateDecisionOut, EngineError> {
        let verdict = match d.verdict.as_str() {
            v @ ("allow" | "ask" | "deny") => v.to_owned(),
            other => return Err(EngineError::BadRequest(format!("unknown verdict {other:?}: allow, ask or deny"))),
        };
        let ev = NewEvent::new(by, Kind::GateDecision, d.tool.clone())
            .task(d.task_id.clone())
            .resource(d.resource.clone())
            .outcome(verdict.clone())
            .detail({
                // The same shape as a decision the hook records itself.
                let mut detail = match d.detail {
                    serde_json::Value::Object(map) => map,
                    _ => serde_json::Map::new(),
                };
                detail.insert("rule_id".into(), json!(d.rule_id));
                detail.insert("reason".into(), json!(d.reason));
                serde_json::Value::Object(detail)
            });
        let seq = self.audit.append(ev)?.seq;
        let approval = if verdict == "ask" {
            Some(self.request_approval(ApprovalRequest {
                task_id: d.task_id,
                tool: d.tool,
                resource: d.resource,
                rule_id: d.rule_id,
                reason: d.reason,
            })?)
        } else {
            None
        };
        Ok(GateDecisionOut { seq, approval })
    }

    /// Opens an approval (or answers it at once if the rule was
    /// always-allowed for the task).
    pub fn request_approval(&self, req: ApprovalRequest) -> Result<ApprovalRecord, EngineError> {
        let task = self.store.task(&req.task_id)?.ok_or_else(|| EngineError::NoSuchTask(req.task_id.clone()))?;
        let always = match &req.rule_id {
            Some(rule) => self.store.is_always_allowed(&task.id, rule)?,
            None => false,
        };
        let created = now();
        let record = ApprovalRecord {
            id: uuid::Uuid::now_v7().simple().to_string(),
            task_id: task.id.clone(),
            tool: req.tool,
            resource: req.resource,
            rule_id: req.rule_id,
            reason: req.reason,
            state: if always { ApprovalState::Approved } else { ApprovalState::Pending },
            decided_by: always.then(|| "always-allow".to_owned()),
            decided_at: always.then(|| created.clone()),
            created_at: created,
        };
        self.store.insert_approval(&record)?;
        self.record(
            NewEvent::new(Actor::Agent, Kind::Approval, "approval.requested")
                .task(&task.id)
                .resource(record.resource.clone())
                .outcome(record.state.as_str())
                .detail(json!({
                    "approval_id": record.id, "tool": record.tool, "rule_id": record.rule_id,
                    "reason": record.reason, "decided_by": record.decided_by,
                })),
        );
        self.emit(EngineEvent::Approval { approval: record.clone() });
        Ok(record)
    }

    /// Waits until the approval is decided or `timeout` (capped at the
    /// engine's approval timeout) passes; then it is expired (a deny).
    pub async fn wait_approval(&self, id: &str, timeout: Duration) -> Result<ApprovalRecord, EngineError> {
        let timeout = timeout.min(self.config.approval_timeout);
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changed = self.approvals_changed.subscribe();
        loop {
            let a = self.store.approval(id)?.ok_or_else(|| EngineError::NoSuchApproval(id.to_owned()))?;
            if a.state != ApprovalState::Pending {
                return Ok(a);
            }
            // A person may decide in another process (the app, `paddock approvals`) that shares
            // only the store: re-read it at least every STORE_RECHECK, not just on local changes.
            let wake = deadline.min(tokio::time::Instant::now() + STORE_RECHECK);
            match tokio::time::timeout_at(wake, changed.changed()).await {
                Ok(Ok(())) => continue,
                Err(_) if tokio::time::Instant::now() < deadline => continue,
                Ok(Err(_)) | Err(_) => {
                    if self.store.decide_approval(id, ApprovalState::Expired, "timeout")? {
                        self.record(
                            NewEvent::new(Actor::System, Kind::Approval, "approval.expired")
                                .task(&a.task_id)
                                .resource(a.resource.clone())
                                .outcome("deny")
                                .detail(json!({ "approval_id": id, "why": "timeout", "timeout_secs": timeout.as_secs() })),
                        );
                        if let Ok(Some(now)) = self.store.approval(id) {
                            self.emit(EngineEvent::Approval { approval: now });
                        }
                    }
                    return self.store.approval(id)?.ok_or_else(|| EngineError::NoSuchApproval(id.to_owned()));
                }
            }
        }
    }

    /// The person running this engine decides (the app's Approve / Deny /
    /// Always-allow buttons). Deciding an approval that is no longer pending
    /// changes nothing and returns it as it is.
    ///
    /// The engine process running the approval's task holds the waiting hook,
    /// so the decision goes there: here, or through that process's socket.
    /// A task that no longer runs cannot be answered any more.
    pub fn decide_approval(&self, id: &str, decision: ApprovalDecision) -> Result<ApprovalRecord, EngineError> {
        let a = self.store.approval(id)?.ok_or_else(|| EngineError::NoSuchApproval(id.to_owned()))?;
        if self.is_running_here(&a.task_id) {
            let by = format!("user {}", self.access.user());
            return self.decide_approval_as(id, decision, &by);
        }
        let task = self.store.task(&a.task_id)?.ok_or_else(|| EngineError::NoSuchTask(a.task_id.clone()))?;
        if task.state.is_final() || !crate::engine::runner_alive(&task) {
            return Err(EngineError::Refused(format!(
                "task {} is no longer running, so approval {id} can no longer be answered (it was {})",
                a.task_id,
                a.state.as_str()
            )));
        }
        let body = json!({ "decision": decision });
        let v = self.forward(&task, http::Method::POST, &format!("/v1/approvals/{id}/decision"), Some(body))?;
        serde_json::from_value(v).map_err(|e| EngineError::Api(format!("the engine's answer is not an approval: {e}")))
    }

    /// Decides on behalf of `by` (who, for the audit trail and the record).
    pub fn decide_approval_as(&self, id: &str, decision: ApprovalDecision, by: &str) -> Result<ApprovalRecord, EngineError> {
        let a = self.store.approval(id)?.ok_or_else(|| EngineError::NoSuchApproval(id.to_owned()))?;
        let state = match decision {
            ApprovalDecision::Approve | ApprovalDecision::AlwaysAllow => ApprovalState::Approved,
            ApprovalDecision::Deny => ApprovalState::Denied,
        };
        if self.store.decide_approval(id, state, by)? {
            if decision == ApprovalDecision::AlwaysAllow
                && let Some(rule) = &a.rule_id
            {
                self.store.add_always_allow(&a.task_id, rule)?;
            }
            self.record(
                NewEvent::new(Actor::User, Kind::Approval, "approval.decided")
                    .task(&a.task_id)
                    .resource(a.resource.clone())
                    .outcome(if state == ApprovalState::Approved { "allow" } else { "deny" })
                    .detail(json!({ "approval_id": id, "decision": decision, "rule_id": a.rule_id, "tool": a.tool, "by": by })),
            );
            self.approvals_changed.send_modify(|n| *n += 1);
        }
        let now = self.store.approval(id)?.ok_or_else(|| EngineError::NoSuchApproval(id.to_owned()))?;
        self.emit(EngineEvent::Approval { approval: now.clone() });
        Ok(now)
    }
}
