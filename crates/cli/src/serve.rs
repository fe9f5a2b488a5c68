//! `paddock serve`: the headless engine. Serves the local API on
//! `<data dir>/engine.sock` (0600) until SIGINT/SIGTERM, then stops its
//! tasks (each is revoked and committed) and exits.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use paddock_engine::Engine;

#[derive(clap::Args)]
pub struct Args {
    /// How long a gate "ask" waits for a person before it is denied.
    #[arg(long, default_value = "5m", value_parser = crate::run::parse_duration)]
    approval_timeout: Duration,
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
