use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use paddock_scan::{AckStore, BypassWarning, Report, ScanOptions};
use serde::Serialize;

/// What could an agent on this machine reach today? Credentials, privileges
/// and data access, with a risk level, plus bypass-mode warnings. No secret
/// value is ever printed: only kind, location and a short fingerprint.
#[derive(clap::Args)]
pub struct Args {
    /// Print JSON (the report's fields plus `bypass_warnings`), e.g. to compare a scan inside the sandbox with one outside.
    #[arg(long)]
    json: bool,

    /// Scan DIR as the home directory instead of yours.
    #[arg(long, value_name = "DIR")]
    home: Option<PathBuf>,

    /// A repository to look into (.env files, project agent settings, production remotes). Repeat for more.
    /// Default: the current directory, if it is a git checkout.
    #[arg(long = "repo", value_name = "DIR")]
    repos: Vec<PathBuf>,

    /// Skip the checks of this process's own privileges (root, passwordless sudo, groups).
    #[arg(long)]
    no_system: bool,

    /// Record that you acknowledge bypass mode on the production repositories scanned,
    /// so tasks may start there.
    #[arg(long)]
    acknowledge: bool,

    /// Also run the same audit inside the sandbox a task gets (bubblewrap, private HOME, empty
    /// worktree) and show, finding by finding, what the sandbox takes away.
    #[arg(long, conflicts_with = "acknowledge")]
    inside: bool,

    /// Print the risk-audit prompt to give your own agent, and exit.
    #[arg(long, conflicts_with_all = ["json", "acknowledge"])]
    prompt: bool,

    /// Key (64 hex digits) for hashed fingerprints, so two scans (outside and inside the sandbox) can be compared.
    #[arg(long, env = "PADDOCK_SCAN_FINGERPRINT_KEY", value_name = "HEX", hide_env_values = true)]
    fingerprint_key: Option<String>,

    /// Prefix for machine-wide paths such as /var/run/docker.sock (for tests).
    #[arg(long, value_name = "DIR", hide = true)]
    system_root: Option<PathBuf>,
}

#[derive(Serialize)]
struct JsonOutput<'a> {
    #[serde(flatten)]
    report: &'a Report,
    bypass_warnings: &'a [BypassWarning],
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.prompt {
        println!("{}\n\n---\n{}", paddock_scan::AUDIT_PROMPT, paddock_scan::AUDIT_PROMPT_NOTE);
        return Ok(ExitCode::SUCCESS);
    }
    let mut opts = ScanOptions::for_current_user();
    if let Some(home) = args.home {
        anyhow::ensure!(home.is_dir(), "--home {} is not a directory", home.display());
        opts.home = home;
    }
    opts.repos = if args.repos.is_empty() {
        let cwd = std::env::current_dir().context("cannot tell the current directory")?;
        if cwd.join(".git").exists() { vec![cwd] } else { Vec::new() }
    } else {
        for repo in &args.repos {
            anyhow::ensure!(repo.is_dir(), "--repo {} is not a directory", repo.display());
        }
        args.repos
    };
    opts.system_checks = !args.no_system;
    if let Some(root) = args.system_root {
        opts.system_root = root;
    }
    if let Some(hex_key) = args.fingerprint_key {
        let bytes = hex::decode(hex_key.trim()).ok().and_then(|b| <[u8; 32]>::try_from(b).ok());
        opts.fingerprint_key = Some(bytes.context("--fingerprint-key must be 64 hex digits")?);
    }

    if args.inside {
        return inside(&opts, args.json);
    }
    let report = paddock_scan::scan(&opts);
    let warnings = paddock_scan::bypass_warnings(&opts);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&JsonOutput { report: &report, bypass_warnings: &warnings })?);
    } else {
        print!("{}", paddock_scan::render_text(&report, &warnings));
    }
    if args.acknowledge {
        let store = AckStore::open_default()?;
        let mut any = false;
        for w in warnings.iter().filter(|w| w.requires_ack) {
            let Some(repo) = &w.repo else { continue };
            store.acknowledge(repo, &w.id)?;
            eprintln!("acknowledged: {} ({})", w.location, store.path().display());
            any = true;
        }
        if !any {
            eprintln!("nothing to acknowledge: no production repository with bypass mode among those scanned");
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct InsideJson<'a> {
    backend: &'a str,
    isolation_holds: bool,
    rows: &'a [paddock_scan::Row],
    outside: &'a Report,
    inside: &'a Report,
}

/// The outside-vs-inside comparison. Exit status 1 when something found
/// outside is still reachable inside.
fn inside(opts: &ScanOptions, json: bool) -> anyhow::Result<ExitCode> {
    let me = std::env::current_exe().context("cannot tell where this paddock binary is")?;
    let c = paddock_scan::inside::outside_and_inside(opts, &me, std::time::Duration::from_secs(300), &mut |half| {
        tracing::info!(?half, "scan started");
    })?;
    let holds = paddock_scan::isolation_holds(&c.rows);
    if json {
        let out = InsideJson { backend: &c.backend, isolation_holds: holds, rows: &c.rows, outside: &c.outside, inside: &c.inside };
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("Outside (you) vs inside a Paddock sandbox ({}):", c.backend);
        println!("  risk outside: {}   inside: {}", c.outside.risk, c.inside.risk);
        for r in &c.rows {
            let sev = |s: Option<paddock_scan::Severity>| s.map_or("-".to_owned(), |s| s.to_string());
            let status = match r.status {
                paddock_scan::RowStatus::StillReachable => "STILL REACHABLE",
                paddock_scan::RowStatus::OnlyInside => "only inside",
                paddock_scan::RowStatus::Replaced => "replaced",
                paddock_scan::RowStatus::Removed => "removed",
            };
            println!("  {status:<15}  {:<8} -> {:<8}  {}  {}", sev(r.outside), sev(r.inside), r.kind, r.location);
        }
        if c.rows.is_empty() {
            println!("  nothing found outside or inside");
        }
        println!(
            "{}",
            if holds {
                "isolation holds: nothing found outside is reachable inside"
            } else {
                "isolation does NOT cover everything: see the rows marked STILL REACHABLE"
            }
        );
    }
    Ok(if holds { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
