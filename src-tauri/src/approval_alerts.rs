//! Desktop notifications for approvals: a gate "ask" in an unattended task
//! must reach a person even when the Approvals screen is not open and nobody
//! watches the terminal. A thread re-reads the shared task store, so asks
//! from tasks run by `paddock run` or `paddock serve` notify too, and sends
//! one notification per approval that became pending.

use std::collections::HashSet;
use std::time::Duration;

use paddock_engine::ApprovalRecord;
use tauri::{AppHandle, Manager as _};
use tauri_plugin_notification::NotificationExt as _;

use crate::state::AppState;

/// How often the store is re-read for new pending approvals.
const POLL: Duration = Duration::from_secs(1);
/// Longest command or path shown in a notification.
const MAX_RESOURCE_CHARS: usize = 160;

/// Starts the watcher. It opens the engine (which recovers tasks whose
/// runner died); if the engine cannot open, it says so once and stops.
pub fn start(app: AppHandle) {
    let spawned = std::thread::Builder::new().name("approval-alerts".into()).spawn(move || {
        let state = app.state::<AppState>();
        let engine = match crate::commands::tasks::engine(&state) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e.message, "approval notifications are off: the task engine is unavailable");
                return;
            }
        };
        let mut notified: HashSet<String> = HashSet::new();
        loop {
            match engine.store().approvals(true) {
                Ok(pending) => {
                    // Forget decided ones so the set stays as small as the inbox.
                    notified.retain(|id| pending.iter().any(|a| &a.id == id));
                    for a in &pending {
                        if notified.contains(&a.id) {
                            continue;
                        }
                        let (title, body) = text(a);
                        if let Err(e) = app.notification().builder().title(title).body(body).show() {
                            tracing::warn!(approval = %a.id, error = %e, "cannot show a desktop notification");
                        }
                        notified.insert(a.id.clone());
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot read pending approvals"),
            }
            std::thread::sleep(POLL);
        }
    });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start approval notifications");
    }
}

/// Title and body: which task, what it wants and why, redacted and cut to a
/// length a notification shows.
fn text(a: &ApprovalRecord) -> (String, String) {
    let resource = paddock_audit::redact::redact_str(&a.resource);
    let mut shown: String = resource.chars().take(MAX_RESOURCE_CHARS).collect();
    if resource.chars().count() > MAX_RESOURCE_CHARS {
        shown.push('…');
    }
    let title = format!("Paddock: task {} asks to run {}", a.task_id, a.tool);
    let body = format!("{shown}\n{} Open Approvals to allow or deny it.", a.reason);
    (title, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn approval(resource: &str) -> ApprovalRecord {
        ApprovalRecord {
            id: "a1".into(),
            task_id: "t1".into(),
            tool: "Bash".into(),
            resource: resource.into(),
            rule_id: Some("core.dynamic-command".into()),
            reason: "the command name is known only at run time.".into(),
            state: paddock_engine::ApprovalState::Pending,
            decided_by: None,
            created_at: "2026-11-23T02:00:00.000Z".into(),
            decided_at: None,
        }
    }

    #[test]
    fn a_notification_names_the_task_and_the_call_without_secrets() {
        let (title, body) = text(&approval("curl -H 'Authorization: Bearer ghp_0123456789abcdefghijABCDEFGHIJ012345' x"));
        assert_eq!(title, "Paddock: task t1 asks to run Bash");
        assert!(body.contains("curl"), "{body}");
        assert!(!body.contains("ghp_0123456789"), "{body}");
        assert!(body.contains("Open Approvals"), "{body}");
    }

    #[test]
    fn a_long_command_is_cut() {
        let (_, body) = text(&approval(&"x".repeat(1000)));
        assert!(body.starts_with(&format!("{}…\n", "x".repeat(MAX_RESOURCE_CHARS))), "{body}");
    }
}
