//! `paddock serve`: the headless engine. Serves the local API on
//! `<data dir>/engine.sock` (0600) until SIGINT/SIGTERM, then stops its
//! tasks (each is revoked and committed) and exits. With `--webhooks` it
//! also runs the verified webhook listener, and approved proposals become
//! its tasks ([`crate::proposals`]).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use paddock_engine::Engine;

/// How often approvals made by other processes are looked for.
const PROPOSAL_POLL: Duration = Duration::from_secs(1);

#[derive(clap::Args)]
pub struct Args {
    /// How long a gate "ask" waits for a person before it is denied.
    #[arg(long, default_value = "5m", value_parser = crate::run::parse_duration)]
    approval_timeout: Duration,
    /// Also listen for verified Slack and GitHub webhooks (secrets from
    /// `paddock webhooks set-secret`). Approved proposals — by a person
    /// (`paddock webhooks approve`, the app) or an auto-run rule — become
    /// tasks in the checkout the rules file's [repos] maps their repo to.
    #[arg(long)]
    webhooks: bool,
    /// Address of the webhook listener. Loopback by default; any other
    /// address is reachable from other machines and prints a warning.
    #[arg(long, default_value = crate::webhooks::DEFAULT_LISTEN, requires = "webhooks")]
    webhooks_bind: SocketAddr,
    #[command(flatten, next_help_heading = "Webhooks (with --webhooks)")]
    webhook: crate::webhooks::ListenerArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut config = crate::run::engine_config()?;
    config.approval_timeout = args.approval_timeout;
    let socket = config.control_socket();
    let (engine, recovery) = Engine::open(config)?;
    for id in &recovery.recovered {
        eprintln!("paddock serve: task {id} had been left running by an engine that stopped; cleaned up, marked failed");
    }
    let listener = paddock_engine::api::bind(&socket)?;
    let _server = paddock_engine::api::serve(&engine, listener);
    eprintln!(
        "paddock serve: engine API on unix:{} (bearer tokens signed with {})",
        socket.display(),
        paddock_engine::authz::SigningKeys::default_path(&engine.config().data_dir).display()
    );
    let stop_launching = Arc::new(AtomicBool::new(false));
    let launcher = if args.webhooks {
        Some(start_webhooks(&args, &engine, Arc::clone(&stop_launching))?)
    } else {
        None
    };
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    std::thread::spawn(move || {
        runtime.block_on(async {
            let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else { return };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        });
        let _ = tx.send(());
    });
    let _ = rx.recv();
    eprintln!("paddock serve: stopping");
    // No launch may start while the tasks are being stopped.
    stop_launching.store(true, Ordering::SeqCst);
    if let Some(launcher) = launcher {
        let _ = launcher.join();
    }
    for id in engine.running_here() {
        let _ = engine.stop(&id, paddock_audit::Actor::User);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while !engine.running_here().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = std::fs::remove_file(&socket);
    Ok(ExitCode::SUCCESS)
}

/// Starts the webhook listener (its own thread and runtime) and the launcher
/// thread; returns the launcher's handle.
fn start_webhooks(
    args: &Args,
    engine: &Arc<Engine>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<std::thread::JoinHandle<()>> {
    crate::webhooks::warn_if_exposed("--webhooks-bind", args.webhooks_bind);
    let audit_path = engine.config().audit_db();
    let audit = paddock_audit::AuditLog::open(&audit_path)
        .with_context(|| format!("opening audit log {}", audit_path.display()))?;
    let prepared = args.webhook.prepare(audit)?;
    let tcp = std::net::TcpListener::bind(args.webhooks_bind)
        .with_context(|| format!("cannot listen on {}", args.webhooks_bind))?;
    tcp.set_nonblocking(true)?;
    let bound = tcp.local_addr()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("paddock-webhooks")
        .enable_all()
        .build()?;
    let listener = prepared.listener.clone();
    std::thread::Builder::new().name("webhooks".into()).spawn(move || {
        let served = runtime.block_on(async move {
            let tcp = tokio::net::TcpListener::from_std(tcp)?;
            listener.serve(tcp).await
        });
        if let Err(e) = served {
            eprintln!("paddock serve: the webhook listener stopped: {e}");
        }
    })?;
    prepared.announce(bound);
    let mut launcher = crate::proposals::Launcher::new(Arc::clone(engine), Arc::clone(&prepared.store), prepared.rules_path.clone());
    let handle = std::thread::Builder::new().name("proposals".into()).spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            launcher.tick();
            std::thread::sleep(PROPOSAL_POLL);
        }
    })?;
    Ok(handle)
}
