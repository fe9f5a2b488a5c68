//! Agent templates: what to run inside the sandbox, which files to make
//! visible, and the configuration to write into the worktree (and take out
//! again before Paddock commits).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::EngineError;

/// Which agent a task runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentKind {
    /// Claude Code (`claude -p`), gated by `paddock gate` as its PreToolUse hook.
    Claude,
    /// OpenAI Codex CLI (`codex exec`), gated through its hooks config.
    Codex,
    /// Any command: the task's words are the argv. No hook (nothing to gate
    /// per tool call); the sandbox and the egress proxy still apply.
    Cmd,
}

impl AgentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentKind::Claude => "claude",
            AgentKind::Codex => "codex",
            AgentKind::Cmd => "cmd",
        }
    }

    pub fn parse(s: &str) -> Option<AgentKind> {
        match s {
            "claude" => Some(AgentKind::Claude),
            "codex" => Some(AgentKind::Codex),
            "cmd" => Some(AgentKind::Cmd),
            _ => None,
        }
    }
}

/// A prepared launch: argv, extra environment, extra read-only paths, and
/// the config files written into the worktree (restored from HEAD before the
/// commit, so the task's diff is the agent's work only).
#[derive(Debug, Default)]
pub struct Launch {
    pub argv: Vec<OsString>,
    pub env: Vec<(String, String)>,
    pub read_only: Vec<PathBuf>,
    pub written: Vec<PathBuf>,
}

/// The directory to mount read-only for an agent binary: for an npm
/// package (`…/node_modules/@scope/pkg/bin/x`) the package directory, else
/// the binary's own directory.
fn install_dir(binary: &Path) -> PathBuf {
    let real = std::fs::canonicalize(binary).unwrap_or_else(|_| binary.to_path_buf());
    let dir = real.parent().map(Path::to_path_buf).unwrap_or_else(|| real.clone());
    if dir.file_name().is_some_and(|n| n == "bin")
        && let Some(pkg) = dir.parent()
        && pkg.join("package.json").is_file()
    {
        return pkg.to_path_buf();
    }
    dir
}

/// Finds a program on PATH (or takes an explicit path).
pub fn locate(program: &str) -> Result<PathBuf, EngineError> {
    let p = Path::new(program);
    if p.components().count() > 1 {
        return if p.is_file() {
            Ok(std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()))
        } else {
            Err(EngineError::Refused(format!("{program} does not exist")))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|c| c.is_file())
        .map(|c| std::fs::canonicalize(&c).unwrap_or(c))
        .ok_or_else(|| EngineError::Refused(format!("{program} is not on PATH")))
}

/// The agent's binary with symlinks resolved (npm's `.bin/claude` links into
/// the package, and only the package directory is mounted in the sandbox).
fn agent_binary(given: Option<&Path>, name: &str) -> Result<PathBuf, EngineError> {
    let bin = match given {
        Some(b) => b.to_path_buf(),
        None => locate(name)?,
    };
    std::fs::canonicalize(&bin)
        .map_err(|e| EngineError::Refused(format!("the {name} binary {}: {e}", bin.display())))
}

/// Options shared by the templates.
pub struct TemplateInput<'a> {
    pub worktree: &'a Path,
    pub prompt: &'a [String],
    pub bypass: bool,
    /// The hook command line (`<dir>/paddock-hook`, else `<paddock> gate`),
    /// as seen inside the sandbox.
    pub hook_command: &'a str,
    /// How long the hook may wait for a human approval.
    pub approval_timeout_secs: u64,
    /// The agent binary (claude/codex); None: look it up on PATH.
    pub agent_bin: Option<&'a Path>,
}

pub fn prepare(kind: AgentKind, input: &TemplateInput<'_>) -> Result<Launch, EngineError> {
    match kind {
        AgentKind::Claude => claude(input),
        AgentKind::Codex => codex(input),
        AgentKind::Cmd => {
            let (program, _) = input
                .prompt
                .split_first()
                .ok_or_else(|| EngineError::Refused("--agent cmd needs a command after --".into()))?;
            let mut launch = Launch { argv: input.prompt.iter().map(OsString::from).collect(), ..Launch::default() };
            // A program outside the system directories must be made visible.
            if let Ok(bin) = locate(program)
                && !["/usr", "/bin", "/sbin", "/lib", "/opt", "/etc"].iter().any(|s| bin.starts_with(s))
            {
                launch.read_only.push(bin);
            }
            Ok(launch)
        }
    }
}

/// Writes `path` with `content` and remembers it (restored from HEAD before the commit).
fn write_config(launch: &mut Launch, path: PathBuf, content: &[u8]) -> Result<(), EngineError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(EngineError::io(format!("creating {}", dir.display())))?;
    }
    std::fs::write(&path, content).map_err(EngineError::io(format!("writing {}", path.display())))?;
    launch.written.push(path);
    Ok(())
}

fn claude(input: &TemplateInput<'_>) -> Result<Launch, EngineError> {
    let bin = agent_binary(input.agent_bin, "claude")?;
    let mut launch = Launch::default();
    let settings_path = input.worktree.join(".claude").join("settings.json");
    let mut settings: serde_json::Value = match std::fs::read_to_string(&settings_path) {
        Ok(t) if !t.trim().is_empty() => serde_json::from_str(&t).map_err(|e| {
            EngineError::Refused(format!("{} is not valid JSON ({e}); fix it in the repository", settings_path.display()))
        })?,
        _ => json!({}),
    };
    paddock_gate::install::add_pre_tool_use_hook(&mut settings, input.hook_command)
        .map_err(|e| EngineError::Refused(format!("{}: {e}", settings_path.display())))?;
    // The hook may wait for a human approval: give it that long, plus margin.
    if let Some(groups) = settings.pointer_mut("/hooks/PreToolUse").and_then(|v| v.as_array_mut()) {
        for group in groups {
            if let Some(hooks) = group.get_mut("hooks").and_then(|h| h.as_array_mut()) {
                for hook in hooks.iter_mut().filter(|h| h.get("command").and_then(|c| c.as_str()) == Some(input.hook_command)) {
                    hook["timeout"] = json!(input.approval_timeout_secs + 30);
                }
            }
        }
    }
    let mode = if input.bypass { "bypassPermissions" } else { "acceptEdits" };
    settings["permissions"]["defaultMode"] = json!(mode);
    let text = serde_json::to_vec_pretty(&settings).unwrap_or_default();
    write_config(&mut launch, settings_path, &text)?;
    let prompt = input.prompt.join(" ");
    launch.argv = vec![
        bin.clone().into(),
        "-p".into(),
        prompt.into(),
        "--permission-mode".into(),
        mode.into(),
        "--output-format".into(),
        "stream-json".into(),
        "--verbose".into(),
    ];
    launch.read_only.push(install_dir(&bin));
    launch.env = vec![
        ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC".into(), "1".into()),
        ("DISABLE_TELEMETRY".into(), "1".into()),
        ("DISABLE_AUTOUPDATER".into(), "1".into()),
        ("DISABLE_ERROR_REPORTING".into(), "1".into()),
    ];
    Ok(launch)
}

fn codex(input: &TemplateInput<'_>) -> Result<Launch, EngineError> {
    let bin = agent_binary(input.agent_bin, "codex")?;
    let mut launch = Launch::default();
    // Codex reads hooks from the project's .codex/hooks.json.
    let hooks = json!({
        "hooks": { "PreToolUse": [{ "matcher": "*", "hooks": [{ "type": "command",
            "command": format!("{} --agent codex", input.hook_command),
            "timeout": input.approval_timeout_secs + 30 }] }] }
    });
    write_config(&mut launch, input.worktree.join(".codex").join("hooks.json"), &serde_json::to_vec_pretty(&hooks).unwrap_or_default())?;
    let prompt = input.prompt.join(" ");
    launch.argv = vec![
        bin.clone().into(),
        "exec".into(),
        "--skip-git-repo-check".into(),
        // Paddock's sandbox is the boundary; Codex's own would need namespaces it cannot get inside it.
        "--sandbox".into(),
        "danger-full-access".into(),
        prompt.into(),
    ];
    launch.read_only.push(install_dir(&bin));
    Ok(launch)
}
