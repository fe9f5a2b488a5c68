//! `paddock run`: run one agent task to its end in this process (an engine
//! of its own), streaming the agent's output here.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use paddock_engine::{AgentKind, Engine, EngineConfig, OutputSink, Stream, TaskRecord, TaskSpec, TaskState};

#[derive(clap::Args)]
#[command(after_help = "Exit status: the agent's own status when it ran to its end; 124 when its time to live ran out; \
130 when it was stopped; 2 when the task could not start.")]
pub struct Args {
    /// Which agent runs the task.
    #[arg(long, value_enum, default_value_t = Agent::Claude)]
    agent: Agent,
    /// The git repository to work on (default: the current directory).
    #[arg(long, default_value = ".")]
    repo: PathBuf,
    /// A host the agent may reach through the egress proxy (`example.com`,
    /// `*.example.com`, `host:port`). Repeatable.
    #[arg(long = "allow-host", value_name = "HOST")]
    allow_hosts: Vec<String>,
    /// Time to live: the task is stopped after this long (`90s`, `30m`, `2h`, `1h30m`).
    #[arg(long, default_value = "2h", value_parser = parse_duration)]
    ttl: Duration,
    /// Bypass mode: the agent runs without per-action permission prompts
    /// (the gate, the sandbox and the proxy still apply).
    #[arg(long)]
    bypass: bool,
    /// A cloud credential grant to lease for the task. Repeatable.
    #[arg(long = "grant", value_name = "GRANT")]
    grants: Vec<String>,
    /// Let the agent write a tool cache shared with your HOME: cargo, npm, pip, uv, go. Repeatable.
    #[arg(long = "cache", value_name = "NAME", value_parser = paddock_cli::sandbox::parse_cache)]
    caches: Vec<paddock_sandbox::ToolCache>,
    /// Base egress policy (TOML) [default: <data dir>/egress.toml if it exists].
    #[arg(long, value_name = "FILE")]
    egress_policy: Option<PathBuf>,
    /// Extra CA certificate (PEM) trusted for injected services' upstreams. Repeatable.
    #[arg(long, value_name = "FILE")]
    upstream_ca: Vec<PathBuf>,
    /// How long a gate "ask" waits for a person before it is denied.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    approval_timeout: Duration,
    /// The agent's binary (default: `claude` or `codex` on PATH).
    #[arg(long, value_name = "FILE", env = "PADDOCK_AGENT_BIN")]
    agent_bin: Option<PathBuf>,
    /// The prompt (claude, codex) or the command and its arguments (cmd).
    #[arg(required = true, last = true, value_name = "PROMPT-or-CMD")]
    prompt: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Agent {
    Claude,
    Codex,
    Cmd,
}

/// `90`, `90s`, `30m`, `2h`, `1h30m`, `1d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration; write e.g. 90s, 30m, 2h or 1h30m");
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        total = total.checked_add(n.checked_mul(unit).ok_or_else(bad)?).ok_or_else(bad)?;
        number.clear();
    }
    if !number.is_empty() || total == 0 {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// Prints the agent's output as it comes.
struct Terminal;

impl OutputSink for Terminal {
    fn started(&self, task: &TaskRecord) {
        eprintln!("paddock: task {} running on branch {} (worktree {})", task.id, task.branch, task.worktree.display());
    }
    fn output(&self, _task: &str, stream: Stream, bytes: &[u8]) {
        let _ = match stream {
            Stream::Stdout => std::io::stdout().lock().write_all(bytes).and_then(|()| std::io::stdout().flush()),
            Stream::Stderr => std::io::stderr().lock().write_all(bytes),
        };
    }
}

/// The engine configuration the CLI uses (data dir from the environment).
pub fn engine_config() -> anyhow::Result<EngineConfig> {
    // The engine runs the gate hook and the sandbox init with this binary:
    // the small launcher, so a tool call does not start the whole CLI.
    Ok(EngineConfig::from_env(paddock_cli::paths::launcher()?)?)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut config = engine_config()?;
    config.egress_policy = args.egress_policy;
    config.upstream_ca = args.upstream_ca;
    config.approval_timeout = args.approval_timeout;
    config.agent_bin = args.agent_bin;
    let (engine, recovery) = Engine::open(config)?;
    for id in &recovery.recovered {
        eprintln!("paddock: task {id} had been left running by an engine that stopped; it was cleaned up and marked failed");
    }
    engine.stop_all_on_signal();
    let spec = TaskSpec {
        agent: match args.agent {
            Agent::Claude => AgentKind::Claude,
            Agent::Codex => AgentKind::Codex,
            Agent::Cmd => AgentKind::Cmd,
        },
        repo: args.repo,
        prompt: args.prompt,
        allow_hosts: args.allow_hosts,
        ttl_secs: args.ttl.as_secs().max(1),
        bypass: args.bypass,
        grants: args.grants,
        tool_caches: args.caches,
    };
    let task = engine.run_task(&spec, Arc::new(Terminal))?;
    let commit = task.commit.as_deref().map(|c| format!("commit {c}")).unwrap_or_else(|| "no changes".into());
    eprintln!(
        "paddock: task {} {}{} — branch {}, {commit}",
        task.id,
        task.state.as_str(),
        task.error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default(),
        task.branch
    );
    let ttl_ran_out = task.error.as_deref().is_some_and(|e| e.contains("time to live"));
    Ok(match task.state {
        TaskState::Finished => ExitCode::SUCCESS,
        TaskState::Cancelled => ExitCode::from(130),
        _ if ttl_ran_out => ExitCode::from(124),
        _ => ExitCode::from(task.exit_code.and_then(|c| u8::try_from(c).ok()).filter(|c| *c != 0).unwrap_or(1)),
    })
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        for bad in ["", "h", "2x", "0s", "5m3"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
