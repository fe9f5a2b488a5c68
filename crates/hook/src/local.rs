//! Outside a task: the hook appends the decision to the audit database
//! itself. Redaction happens inside `AuditLog::append`.

use std::path::PathBuf;

use paddock_audit::{Actor, AuditError, AuditLog, Kind, NewEvent};
use paddock_gate::{Decision, HookInput};

use crate::HookArgs;

#[derive(Debug, thiserror::Error)]
pub(crate) enum LocalError {
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

pub(crate) fn record(args: &HookArgs, input: Option<&HookInput>, decision: &Decision) -> Result<(), LocalError> {
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
