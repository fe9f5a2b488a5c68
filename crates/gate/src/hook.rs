//! The hook wire formats: the PreToolUse payload on stdin and the decision on
//! stdout, for Claude Code and for Codex.
//!
//! Claude Code (verified against 2.1.197): exit 0 with
//! `{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":
//! "allow|deny|ask","permissionDecisionReason":"…"}}`.
//!
//! Codex (from `codex-rs/hooks`' output parser and schema in openai/codex):
//! the same input field names (plus `model`, `turn_id`; `transcript_path` may be
//! null). Its parser honours only `permissionDecision: "deny"` with a non-empty
//! reason: `"ask"` is rejected as unsupported and `"allow"` without
//! `updatedInput` too — a rejected answer does not block. So for Codex an
//! `ask` is rendered as a deny (fail closed) and an `allow` as empty output.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Decision, Verdict};

/// The PreToolUse payload. Unknown fields are ignored; missing ones default.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct HookInput {
    #[serde(default)]
    pub session_id: Option<String>,
    #[serde(default)]
    pub transcript_path: Option<String>,
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub permission_mode: Option<String>,
    #[serde(default)]
    pub hook_event_name: Option<String>,
    pub tool_name: String,
    #[serde(default)]
    pub tool_input: Value,
    #[serde(default)]
    pub tool_use_id: Option<String>,
}

impl HookInput {
    /// A Bash tool call, as `paddock gate check` and tests build it.
    pub fn bash(command: &str, cwd: Option<&Path>) -> Self {
        HookInput {
            cwd: cwd.map(|c| c.display().to_string()),
            hook_event_name: Some("PreToolUse".into()),
            tool_name: "Bash".into(),
            tool_input: serde_json::json!({ "command": command }),
            ..Default::default()
        }
    }
}

/// Which agent reads the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AgentFormat {
    #[default]
    Claude,
    Codex,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct SpecificOutput {
    hook_event_name: &'static str,
    permission_decision: &'static str,
    permission_decision_reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    hook_specific_output: SpecificOutput,
}

/// The stdout answer for a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookOutput {
    pub verdict: Verdict,
    pub reason: String,
}

impl HookOutput {
    pub fn from_decision(d: &Decision) -> Self {
        HookOutput { verdict: d.verdict, reason: format!("Paddock gate: {}", d.reason) }
    }

    /// What to print on stdout (exit status is always 0). May be empty (Codex allow).
    pub fn render(&self, format: AgentFormat) -> String {
        let (decision, reason) = match (format, self.verdict) {
            (AgentFormat::Claude, v) => (v.as_str(), self.reason.clone()),
            (AgentFormat::Codex, Verdict::Allow) => return String::new(),
            (AgentFormat::Codex, Verdict::Deny) => ("deny", self.reason.clone()),
            (AgentFormat::Codex, Verdict::Ask) => {
                ("deny", format!("{} (needs a human's approval; Codex hooks cannot ask, so this is blocked)", self.reason))
            }
        };
        let wire = Wire {
            hook_specific_output: SpecificOutput {
                hook_event_name: "PreToolUse",
                permission_decision: decision,
                permission_decision_reason: reason,
            },
        };
        serde_json::to_string(&wire).unwrap_or_else(|_| {
            // Serialising plain strings cannot fail; stay closed regardless.
            r#"{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny","permissionDecisionReason":"Paddock gate: internal error"}}"#.to_string()
        })
    }
}
