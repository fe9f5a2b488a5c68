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

/// The line a task's words are shown and recorded as: the inverse of
/// [`task_words`]. A command's argv is quoted the way `sh` would read it
/// back, so `sh -c 'a; b'` is not recorded as `sh -c a; b`, which reads as
/// two commands.
pub fn task_line(agent: AgentKind, words: &[String]) -> String {
    match agent {
        AgentKind::Claude | AgentKind::Codex => words.join(" "),
        // try_join refuses only a NUL byte, which no argv can hold.
        AgentKind::Cmd => shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| words.join(" ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_is_recorded_as_a_line_that_splits_back_into_the_same_argv() {
        let argvs: &[&[&str]] = &[
            &["cargo", "test", "-p", "x"],
            &["sh", "-c", "echo hello; id -u; echo fixed > FIXED.txt"],
            &["sh", "-c", r#"echo "$HOME" 'it''s' \ `id`"#],
            &["printf", "%s\n", "", "two words", "tab\there", "new\nline"],
        ];
        for argv in argvs {
            let words: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
            let line = task_line(AgentKind::Cmd, &words);
            assert_eq!(task_words(AgentKind::Cmd, &line).ok(), Some(words), "{line}");
        }
        let shown = task_line(AgentKind::Cmd, &["sh".into(), "-c".into(), "a; b".into()]);
        assert_eq!(shown, "sh -c 'a; b'");
        assert_eq!(task_line(AgentKind::Claude, &["fix the 'flaky' test".into()]), "fix the 'flaky' test");
    }

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
