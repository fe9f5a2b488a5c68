//! `paddock gate`: the PreToolUse hook command, plus `check` (for people) and
//! `install` (into a project's agent settings).
//!
//! Hook mode is `paddock-hook`'s library, the same code the slim
//! `paddock-hook` binary runs: the answer always goes to stdout with exit
//! status 0 — Claude Code does not treat exit 1 as a block — and every
//! failure (unreadable input, bad JSON, a broken rule pack, an unrecorded
//! decision, a panic) is answered with a deny.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use paddock_gate::{Context, HookInput, Verdict};
use paddock_hook::HookArgs;

#[derive(clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Without a subcommand, reads a PreToolUse hook payload on stdin and prints the decision JSON on stdout (exit status 0 always)."
)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Sub>,
    #[command(flatten)]
    hook: HookArgs,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Decide one command or tool call given on the command line and explain why.
    /// Exit status: 0 allow, 3 ask, 4 deny.
    Check(CheckArgs),
    /// Add `paddock gate` as a PreToolUse hook to a project's .claude/settings.json
    /// (or the file given with --settings). Keeps everything already there; running
    /// it twice changes nothing.
    Install(InstallArgs),
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The tool being called: Bash, Write, Edit, Read, WebFetch, mcp__server__tool…
    #[arg(long, default_value = "Bash")]
    tool: String,
    /// Working directory the command runs in (default: the current directory).
    #[arg(long)]
    cwd: Option<PathBuf>,
    /// Extra rule pack (TOML); repeatable.
    #[arg(long = "pack", value_name = "FILE")]
    packs: Vec<PathBuf>,
    /// A built-in pack not to enforce; repeatable.
    #[arg(long = "without-pack", value_name = "ID")]
    without_packs: Vec<String>,
    /// The task worktree (default: --cwd).
    #[arg(long, env = "PADDOCK_WORKTREE", value_name = "DIR")]
    worktree: Option<PathBuf>,
    /// Print the decision as JSON.
    #[arg(long)]
    json: bool,
    /// The command (for Bash), the path (Write/Edit/Read), the URL (WebFetch),
    /// or the tool_input JSON (other tools). Several words are joined by spaces.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    what: Vec<String>,
}

#[derive(clap::Args)]
struct InstallArgs {
    /// Project directory whose .claude/settings.json gets the hook.
    #[arg(long, default_value = ".", conflicts_with = "settings")]
    project: PathBuf,
    /// Settings file to edit instead (created if missing).
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// Command the hook runs (default: this paddock binary, `gate`).
    #[arg(long)]
    hook_command: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        None => paddock_hook::run(&args.hook),
        Some(Sub::Check(c)) => check(c),
        Some(Sub::Install(i)) => install(i),
    }
}

fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let gate = paddock_hook::load_gate(&args.packs, &args.without_packs)?;
    let cwd = match args.cwd {
        Some(c) => c,
        None => std::env::current_dir().context("cannot determine the current directory")?,
    };
    let cwd = std::path::absolute(&cwd).unwrap_or(cwd);
    let what = args.what.join(" ");
    let tool_input = match args.tool.as_str() {
        "Bash" => serde_json::json!({ "command": what }),
        "Write" | "Edit" | "Read" | "MultiEdit" => serde_json::json!({ "file_path": what }),
        "WebFetch" => serde_json::json!({ "url": what }),
        _ => serde_json::from_str(&what).with_context(|| format!("for --tool {}, give the tool_input as JSON", args.tool))?,
    };
    let input = HookInput {
        cwd: Some(cwd.display().to_string()),
        hook_event_name: Some("PreToolUse".into()),
        tool_name: args.tool.clone(),
        tool_input,
        ..Default::default()
    };
    let mut ctx = Context::from_env();
    ctx.worktree = args.worktree.or(ctx.worktree);
    let d = gate.decide(&input, &ctx);
    // A closed stdout (`| head`) is not an error worth a panic.
    let mut out = std::io::stdout().lock();
    if args.json {
        let _ = writeln!(out, "{}", serde_json::to_string_pretty(&d)?);
    } else {
        let _ = writeln!(out, "{:<5} {}", d.verdict.as_str(), d.rule_id.as_deref().unwrap_or("-"));
        let _ = writeln!(out, "      {}", d.reason);
        if d.commands.len() > 1 || d.verdict != Verdict::Allow {
            for c in &d.commands {
                let _ = writeln!(out, "  {:<5} {:<44} {}", c.verdict.as_str(), c.rule_id, one_line(&c.command));
            }
        }
    }
    Ok(ExitCode::from(match d.verdict {
        Verdict::Allow => 0,
        Verdict::Ask => 3,
        Verdict::Deny => 4,
    }))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn install(args: InstallArgs) -> anyhow::Result<ExitCode> {
    let explicit = args.settings.is_some();
    let path = match args.settings {
        Some(p) => p,
        None => args.project.join(".claude").join("settings.json"),
    };
    let path = std::path::absolute(&path).unwrap_or(path);
    if !explicit && is_global_settings(&path) {
        bail!(
            "{} is your user-wide Claude Code settings file, not a project's; \
             run this in a project directory, or pass --settings {} if you really mean it",
            path.display(),
            path.display()
        );
    }
    let command = match args.hook_command {
        Some(c) => c,
        None => {
            let exe = crate::paths::launcher()?;
            format!("{} gate", shell_quote(&exe.display().to_string()))
        }
    };
    let existing = match std::fs::read_to_string(&path) {
        Ok(t) if t.trim().is_empty() => None,
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut root: serde_json::Value = match &existing {
        Some(t) => serde_json::from_str(t)
            .with_context(|| format!("{} is not valid JSON; fix it first, nothing was changed", path.display()))?,
        None => serde_json::json!({}),
    };
    let changed = paddock_gate::install::add_pre_tool_use_hook(&mut root, &command)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("in {}", path.display()))?;
    if !changed {
        println!("already installed in {}", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(&root)? + "\n";
    // Write-then-rename so a crash never leaves a half-written settings file.
    let tmp = path.with_extension("json.paddock-tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot replace {}", path.display()))?;
    println!("installed `{command}` as a PreToolUse hook in {}", path.display());
    Ok(ExitCode::SUCCESS)
}

fn is_global_settings(path: &Path) -> bool {
    let Some(home) = std::env::var_os("HOME").map(PathBuf::from) else { return false };
    let global = home.join(".claude");
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    path.parent().is_some_and(|dir| canon(dir) == canon(&global))
}

fn shell_quote(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
