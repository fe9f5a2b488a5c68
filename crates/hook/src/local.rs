//! Outside a task: the hook appends the decision to the audit database
//! itself. Redaction happens inside `AuditLog::append`.

use std::path::PathBuf;

use paddock_audit::{Actor, AuditError, AuditLog, Kind, NewEvent};
use paddock_gate::{Decision, HookInput, HookOutput};

use crate::HookArgs;

#[derive(Debug, thiserror::Error)]
enum LocalError {
    #[error("no user data directory; set PADDOCK_DATA_DIR or pass --audit-db")]
    NoDataDir,
    #[error("{0}")]
    Audit(#[from] AuditError),
}

/// The audit database: `explicit`, else `$PADDOCK_DATA_DIR/audit.db`, else
/// the user data dir's `paddock/audit.db`. `None` when there is no data dir.
pub fn default_audit_db(explicit: Option<PathBuf>) -> Option<PathBuf> {
    if explicit.is_some() {
        return explicit;
    }
    if let Some(dir) = std::env::var_os("PADDOCK_DATA_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("audit.db"));
    }
    dirs::data_dir().map(|base| base.join("paddock").join("audit.db"))
}

/// Records into the audit database named by the hook's options.
pub(crate) struct Local<'a> {
    pub(crate) args: &'a HookArgs,
}

impl crate::Recorder for Local<'_> {
    fn decide(&self, input: &HookInput, decision: &Decision) -> HookOutput {
        match record(self.args, Some(input), decision) {
            Ok(()) => HookOutput::from_decision(decision),
            // Fail closed: a decision that cannot be recorded is not allowed.
            Err(e) => crate::fail(format!("the audit trail is unavailable, so nothing is allowed: {e}")),
        }
    }

    fn refused(&self, refusal: &Decision) -> Result<(), String> {
        record(self.args, None, refusal).map_err(|e| e.to_string())
    }
}

fn record(args: &HookArgs, input: Option<&HookInput>, decision: &Decision) -> Result<(), LocalError> {
    let path = default_audit_db(args.audit_db.clone()).ok_or(LocalError::NoDataDir)?;
    let log = AuditLog::open(&path)?;
    let tool = input.map_or("unknown", |i| i.tool_name.as_str());
    let mut detail = serde_json::Map::new();
    detail.insert("rule_id".into(), serde_json::json!(decision.rule_id));
    detail.insert("reason".into(), serde_json::json!(decision.reason));
    detail.extend(crate::detail(input, decision));
    let mut event = NewEvent::new(Actor::Agent, Kind::GateDecision, tool)
        .resource(crate::resource_of(input))
        .outcome(decision.verdict.as_str())
        .detail(serde_json::Value::Object(detail));
    if let Some(task) = &args.task {
        event = event.task(task.clone());
    }
    log.append(event)?;
    Ok(())
}
