//! A task's words from one line of text, as the app's launch dialog gets it.

use crate::agent::AgentKind;
use crate::error::EngineError;

/// For Claude Code and Codex the line is the prompt, one word. For any
/// command it is split into argv the way POSIX `sh` would split it (quotes,
/// backslashes), without expanding anything: no variables, globs or
/// substitutions, because nothing is run by a shell on the host.
pub fn task_words(agent: AgentKind, line: &str) -> Result<Vec<String>, EngineError> {
    let line = line.trim();
    if line.is_empty() {
        return Err(EngineError::BadRequest(match agent {
            AgentKind::Cmd => "the command is empty: type the command the task runs".into(),
            _ => "the prompt is empty: say what the agent should do".into(),
        }));
    }
    match agent {
        AgentKind::Claude | AgentKind::Codex => Ok(vec![line.to_owned()]),
        AgentKind::Cmd => shlex::split(line).filter(|argv| !argv.is_empty()).ok_or_else(|| {
            EngineError::BadRequest("the command has an unterminated quote or a trailing backslash".into())
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_commands_and_keeps_prompts_whole() {
        let cases: &[(AgentKind, &str, Option<&[&str]>)] = &[
            (AgentKind::Claude, "  fix the 'flaky' test ", Some(&["fix the 'flaky' test"])),
            (AgentKind::Codex, "add docs", Some(&["add docs"])),
            (AgentKind::Cmd, "cargo test -p x", Some(&["cargo", "test", "-p", "x"])),
            (AgentKind::Cmd, r#"sh -c 'echo "$HOME"'"#, Some(&["sh", "-c", r#"echo "$HOME""#])),
            (AgentKind::Cmd, "echo 'open", None),
            (AgentKind::Cmd, "   ", None),
            (AgentKind::Claude, "", None),
        ];
        for (agent, line, want) in cases {
            let got = task_words(*agent, line).ok();
            let want = want.map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(got, want, "{agent:?} {line:?}");
        }
    }
}
