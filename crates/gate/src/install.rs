//! Installing the gate as a PreToolUse hook in Claude Code settings, shared
//! by `paddock gate install` and the task engine (which writes a task's
//! `.claude/settings.json`), so both produce the same hook entry.

use serde_json::{Value, json};

/// Adds `{"matcher":"*","hooks":[{"type":"command","command":…}]}` to
/// `hooks.PreToolUse` unless a hook with that command is already there.
/// Returns whether the settings changed; an error names the part of the
/// settings that has the wrong shape (nothing is changed then).
pub fn add_pre_tool_use_hook(root: &mut Value, command: &str) -> Result<bool, String> {
    let Some(obj) = root.as_object_mut() else {
        return Err("the settings file's top level is not a JSON object".into());
    };
    let hooks = obj.entry("hooks").or_insert_with(|| json!({}));
    let Some(hooks) = hooks.as_object_mut() else { return Err("\"hooks\" is not a JSON object".into()) };
    let pre = hooks.entry("PreToolUse").or_insert_with(|| json!([]));
    let Some(pre) = pre.as_array_mut() else { return Err("\"hooks.PreToolUse\" is not a JSON array".into()) };
    let present = pre.iter().any(|group| {
        group
            .get("hooks")
            .and_then(|h| h.as_array())
            .is_some_and(|hs| hs.iter().any(|h| h.get("command").and_then(|c| c.as_str()) == Some(command)))
    });
    if present {
        return Ok(false);
    }
    pre.push(json!({
        "matcher": "*",
        "hooks": [{ "type": "command", "command": command }]
    }));
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_once_and_keeps_other_settings() {
        let mut root = json!({"model": "x", "hooks": {"PostToolUse": []}});
        assert_eq!(add_pre_tool_use_hook(&mut root, "paddock gate"), Ok(true));
        assert_eq!(add_pre_tool_use_hook(&mut root, "paddock gate"), Ok(false));
        assert_eq!(root["model"], "x");
        assert_eq!(root["hooks"]["PreToolUse"][0]["hooks"][0]["command"], "paddock gate");
        assert!(add_pre_tool_use_hook(&mut json!([]), "paddock gate").is_err());
    }
}
