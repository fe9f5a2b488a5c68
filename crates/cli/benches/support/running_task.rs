//! Shared by the engine benches: a real engine running a real sandboxed task
//! (`sleep`), with the task's API socket and an agent token for it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use paddock_engine::{AgentKind, Engine, EngineConfig, TaskSpec, TaskState};

pub struct RunningTask {
    pub engine: std::sync::Arc<Engine>,
    pub id: String,
    pub socket: PathBuf,
    pub token: String,
}

/// Starts the task in `dir` (a throwaway repo and data dir) and waits until it runs.
pub fn start(dir: &Path) -> RunningTask {
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    for args in [&["init", "-q"][..], &["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "--allow-empty", "-m", "b"]] {
        assert!(Command::new("git").current_dir(&repo).args(args).status().unwrap().success());
    }
    let mut config = EngineConfig::from_env(env!("CARGO_BIN_EXE_paddock").into()).unwrap();
    config.data_dir = dir.join("data");
    let (engine, _) = Engine::open(config).unwrap();
    let spec = TaskSpec {
        agent: AgentKind::Cmd,
        repo,
        prompt: vec!["sleep".into(), "3600".into()],
        allow_hosts: vec![],
        ttl_secs: 3600,
        bypass: false,
        grants: vec![],
        tool_caches: vec![],
    };
    let id = engine.launch(spec).unwrap();
    let socket = loop {
        let t = engine.store().task(&id).unwrap().unwrap();
        if t.state == TaskState::Running {
            break t.api_socket.unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let token = engine.access().agent_token(&id, chrono::Duration::hours(1)).unwrap();
    RunningTask { engine, id, socket, token }
}

pub fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}
