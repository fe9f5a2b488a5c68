//! `paddock sandbox run|check`: run a command inside the sandbox a task would
//! get, or show which sandbox backends work on this machine.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use paddock_sandbox::{Isolation, Manifest, Network, Policy, ToolCache, check, select_backend};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Run CMD inside the sandbox, with the current directory as the writable worktree.
    ///
    /// Refuses to run when no sandbox backend works here, unless
    /// PADDOCK_ALLOW_UNSANDBOXED=1 (then it warns loudly and runs without isolation).
    Run(RunArgs),
    /// Show which sandbox backends work on this machine, and why the others do not.
    Check,
    /// Print the effective sandbox profile (TOML) for `run` with the same options.
    Profile(ProfileArgs),
}

#[derive(clap::Args)]
struct ProfileArgs {
    #[command(flatten)]
    options: ManifestOptions,
}

#[derive(clap::Args)]
struct ManifestOptions {
    /// Profile: a TOML file path, or a name looked up as <data dir>/profiles/<name>.toml.
    #[arg(long, short)]
    profile: Option<String>,
    /// Writable worktree (default: the current directory).
    #[arg(long, value_name = "DIR")]
    worktree: Option<PathBuf>,
    /// Extra read-only path (toolchains, e.g. ~/.rustup). Repeatable.
    #[arg(long = "ro", value_name = "PATH")]
    read_only: Vec<PathBuf>,
    /// Grant a writable tool cache: cargo, npm, pip, uv, go. Repeatable.
    #[arg(long = "cache", value_name = "NAME", value_parser = parse_cache)]
    caches: Vec<ToolCache>,
    /// Network: `none` (default) or `proxy:<unix socket of the egress proxy>`.
    #[arg(long, value_name = "MODE")]
    network: Option<String>,
}

#[derive(clap::Args)]
struct RunArgs {
    #[command(flatten)]
    options: ManifestOptions,
    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<OsString>,
}

pub fn parse_cache(name: &str) -> Result<ToolCache, String> {
    ToolCache::from_name(name)
}

fn data_dir() -> Option<PathBuf> {
    std::env::var_os("PADDOCK_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::data_dir().map(|d| d.join("paddock")))
}

fn load_profile(profile: &str) -> anyhow::Result<Manifest> {
    let path = if Path::new(profile).is_file() {
        PathBuf::from(profile)
    } else {
        let dir = data_dir().context("no data directory: set PADDOCK_DATA_DIR")?;
        let path = dir.join("profiles").join(format!("{profile}.toml"));
        if !path.is_file() {
            bail!(
                "sandbox profile `{profile}` not found (looked for the file {profile} and {})",
                path.display()
            );
        }
        path
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading profile {}", path.display()))?;
    Manifest::from_toml(&text).with_context(|| format!("in profile {}", path.display()))
}

fn manifest(options: &ManifestOptions) -> anyhow::Result<Manifest> {
    let mut manifest = match &options.profile {
        Some(p) => load_profile(p)?,
        None => Manifest::default(),
    };
    if manifest.writable.is_empty() || options.worktree.is_some() {
        let dir = match &options.worktree {
            Some(d) => d.clone(),
            None => std::env::current_dir().context("reading the current directory")?,
        };
        let dir =
            std::fs::canonicalize(&dir).with_context(|| format!("worktree {}", dir.display()))?;
        let home = manifest
            .host_home
            .as_ref()
            .and_then(|h| std::fs::canonicalize(h).ok());
        if dir == Path::new("/") || Some(&dir) == home.as_ref() {
            bail!(
                "refusing to make {} writable for the sandboxed command: run from (or pass --worktree) a project directory",
                dir.display()
            );
        }
        manifest.writable = vec![dir];
    }
    manifest.read_only.extend(options.read_only.iter().cloned());
    manifest.tool_caches.extend(options.caches.iter().copied());
    match options.network.as_deref() {
        None => {}
        Some("none") => manifest.network = Network::None,
        Some(mode) => match mode.strip_prefix("proxy:") {
            Some(socket) if !socket.is_empty() => {
                manifest.network = Network::ProxyOnly {
                    socket: PathBuf::from(socket),
                    port: 3128,
                }
            }
            _ => bail!("--network must be `none` or `proxy:<socket path>`, not `{mode}`"),
        },
    }
    manifest.validate()?;
    Ok(manifest)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Run(run) => run_command(run),
        Command::Check => Ok(check_backends()),
        Command::Profile(p) => {
            print!("{}", manifest(&p.options)?.to_toml()?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run_command(args: RunArgs) -> anyhow::Result<ExitCode> {
    let manifest = manifest(&args.options)?;
    // Skip the probe launch on this hot path; if the command fails, the
    // probe runs afterwards to tell a broken sandbox from a failing command.
    let policy = Policy { skip_probe: true, ..Policy::from_env() };
    let selected = select_backend(&policy)?;
    let mut command = selected.command(&manifest, &args.command)?;
    if let Isolation::Unsandboxed(warning) = command.isolation() {
        tracing::warn!(event = "sandbox.unsandboxed", "{warning}");
        eprintln!("paddock: WARNING: {warning}");
    }
    let status = command.status()?;
    if !status.success()
        && let Isolation::Sandboxed { backend } = command.isolation()
    {
        let probe = Policy { only: Some(*backend), ..Policy::from_env() };
        for broken in check(&probe).into_iter().filter(|s| !s.available) {
            eprintln!("paddock: the {} sandbox itself cannot start here: {}", broken.kind, broken.detail);
            if let Some(fix) = broken.fix {
                eprintln!("paddock: fix: {fix}");
            }
        }
    }
    Ok(exit_code(status))
}

fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    use std::os::unix::process::ExitStatusExt;
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn check_backends() -> ExitCode {
    let statuses = check(&Policy::from_env());
    for s in &statuses {
        let mark = if s.available { "ok " } else { "no " };
        println!("{mark} {:<13} {}", s.kind.to_string(), s.detail);
        if let Some(fix) = s.fix.as_ref().filter(|_| !s.available) {
            println!("    fix: {fix}");
        }
    }
    if statuses.iter().any(|s| s.available) {
        ExitCode::SUCCESS
    } else {
        println!(
            "no sandbox backend works here: `paddock sandbox run` will refuse to run (PADDOCK_ALLOW_UNSANDBOXED=1 overrides)"
        );
        ExitCode::from(1)
    }
}
