//! One task from start to end, on the calling thread (the sandbox's
//! `--die-with-parent` is tied to the thread that spawns it, so the thread
//! that starts the agent is the one that waits for it).
//!
//! Order: refuse early (no sandbox, unacknowledged bypass on production,
//! bad repo) → worktree on `paddock/<task>` → credentials (seam) → egress
//! proxy on `<task dir>/egress.sock` → task API socket + token → agent
//! config → agent in the sandbox → output streamed to the caller and the
//! audit trail → on exit, TTL or cancel: kill, stop the proxy and API,
//! revoke, restore the config, commit as Paddock, final state.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use paddock_audit::{Actor, Kind, NewEvent};
use paddock_egress::{
    ChannelObserver, KEYRING_SERVICE, KeyringSecretStore, Policy, Proxy, ProxyConfig, RequestRecord, Secret, SecretError,
    SecretStore, UpstreamRoots, agent_env,
};
use paddock_sandbox::{Manifest, Network, Selected};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::agent::{self, AgentKind};
use crate::command_line;
use crate::engine::{Engine, EngineConfig, TaskControl, process_start_time};
use crate::error::EngineError;
use crate::events::EngineEvent;
use crate::output::{LineBuffer, Redactor};
use crate::store::{TaskRecord, TaskState, now};
use crate::worktree::{self, Worktree};

/// Loopback port of the proxy bridge inside the sandbox.
const PROXY_PORT: u16 = 3128;
/// How much of the agent's output is read at once.
const OUTPUT_CHUNK: usize = 8 * 1024;

/// What to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskSpec {
    pub agent: AgentKind,
    pub repo: PathBuf,
    /// The prompt (claude, codex: words joined by spaces) or the argv (cmd).
    pub prompt: Vec<String>,
    #[serde(default)]
    pub allow_hosts: Vec<String>,
    /// Time to live; the task is stopped when it runs longer.
    pub ttl_secs: u64,
    /// Run the agent without per-action permission prompts.
    #[serde(default)]
    pub bypass: bool,
    /// Cloud credential grants (through the [`CredentialLeaser`](crate::CredentialLeaser)).
    #[serde(default)]
    pub grants: Vec<String>,
    /// The task's sandbox profile beyond the defaults: named tool caches
    /// (cargo, npm, pip, uv, go) the agent may write, shared with the host.
    #[serde(default)]
    pub tool_caches: Vec<paddock_sandbox::ToolCache>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Receives the agent's output as it comes (the CLI prints it; the app
/// forwards it to the window). Called from reader threads: must not block long.
pub trait OutputSink: Send + Sync {
    /// The agent is running (the record has its id, branch and API socket).
    fn started(&self, _task: &TaskRecord) {}
    fn output(&self, task_id: &str, stream: Stream, bytes: &[u8]);
}

/// Drops the output (it is in the audit trail anyway).
pub struct NullSink;

impl OutputSink for NullSink {
    fn output(&self, _: &str, _: Stream, _: &[u8]) {}
}

/// A task id: the first 12 hex digits of a UUIDv7 (milliseconds since the
/// epoch, so ids sort by creation) and 4 of its random ones.
pub fn new_task_id() -> String {
    let u = uuid::Uuid::now_v7().simple().to_string();
    format!("{}{}", &u[..12], &u[13..17])
}

/// Secrets for injected services: `PADDOCK_SECRET_<NAME>` in the engine's
/// environment (upper-cased, `-` as `_`; never passed into a sandbox), else
/// the OS keyring.
struct EngineSecrets {
    keyring: KeyringSecretStore,
}

impl SecretStore for EngineSecrets {
    fn get(&self, name: &str) -> Result<Secret, SecretError> {
        let var = format!("PADDOCK_SECRET_{}", name.to_ascii_uppercase().replace('-', "_"));
        match std::env::var(&var) {
            Ok(v) if !v.is_empty() => Ok(Secret::from(v)),
            _ => self.keyring.get(name),
        }
    }
}

#[derive(Serialize)]
struct AllowFile {
    allow: Vec<AllowRule>,
}

#[derive(Serialize)]
struct AllowRule {
    id: String,
    hosts: Vec<String>,
}

/// The task's egress policy: the base policy plus one allow rule per host.
fn egress_policy(config: &EngineConfig, spec: &TaskSpec) -> Result<Policy, EngineError> {
    let default_file = config.data_dir.join("egress.toml");
    let base = match config.egress_policy.clone().or_else(|| default_file.is_file().then_some(default_file)) {
        Some(path) => std::fs::read_to_string(&path).map_err(EngineError::io(format!("reading {}", path.display())))?,
        None if spec.agent == AgentKind::Claude => {
            "[[service]]\nname = \"anthropic\"\nkind = \"anthropic\"\nsecret = \"anthropic\"\n".to_owned()
        }
        None => String::new(),
    };
    let extra = AllowFile {
        allow: spec
            .allow_hosts
            .iter()
            .enumerate()
            .map(|(i, h)| AllowRule { id: format!("task-allow-{}", i + 1), hosts: vec![h.clone()] })
            .collect(),
    };
    let extra = if extra.allow.is_empty() {
        String::new()
    } else {
        toml::to_string(&extra).map_err(|e| EngineError::Egress(format!("--allow-host: {e}")))?
    };
    Policy::from_toml(&format!("{base}\n{extra}")).map_err(|e| EngineError::Egress(e.to_string()))
}

/// Paths (relative to the worktree) the engine wrote, kept in the task dir so
/// recovery can put them back too.
fn written_file(config: &EngineConfig, id: &str) -> PathBuf {
    config.task_dir(id).join("written.json")
}

/// Restores what the agent template wrote: the HEAD version, or nothing.
pub(crate) fn restore_written(config: &EngineConfig, id: &str, wt: &Worktree) {
    let Ok(text) = std::fs::read_to_string(written_file(config, id)) else { return };
    let rels: Vec<PathBuf> = serde_json::from_str(&text).unwrap_or_default();
    for rel in rels {
        if let Err(e) = wt.restore_from_head(&rel) {
            tracing::warn!("cannot restore {}: {e}", rel.display());
        }
    }
}

/// Everything running for a task, stopped in [`Engine::finish_task`].
struct Running {
    proxy: Option<tokio::task::JoinHandle<()>>,
    api: Option<tokio::task::JoinHandle<()>>,
    egress_events: Option<tokio::task::JoinHandle<()>>,
}

impl Engine {
    /// The built-in gate packs the person switched off in the walkthrough, for
    /// an agent behind the gate; each is said in the task's audit trail. A
    /// choice that cannot be read enforces every pack, and says why.
    fn gate_packs_off(&self, id: &str, agent: AgentKind) -> Vec<String> {
        if agent == AgentKind::Cmd {
            return Vec::new();
        }
        let warning = |action: &str, detail: serde_json::Value| {
            self.record(NewEvent::new(Actor::System, Kind::Warning, action).task(id).outcome("warning").detail(detail));
        };
        match crate::gate_choice::packs_off(&self.config.data_dir) {
            Ok(off) => {
                if !off.is_empty() {
                    warning("gate.packs_off", json!({ "packs": off, "why": "switched off in the walkthrough (onboarding.json)" }));
                }
                off
            }
            Err(why) => {
                warning("gate.packs_unreadable", json!({ "why": why, "enforced": "every built-in pack" }));
                Vec::new()
            }
        }
    }

    /// Checks that must pass before anything is created.
    fn preflight(&self, spec: &TaskSpec) -> Result<(PathBuf, Selected), EngineError> {
        if spec.prompt.iter().all(|w| w.trim().is_empty()) {
            return Err(EngineError::Refused("nothing to run: give a prompt (or, for --agent cmd, a command) after --".into()));
        }
        if spec.ttl_secs == 0 {
            return Err(EngineError::Refused("the time to live must be more than 0 seconds".into()));
        }
        let repo = worktree::repo_root(&spec.repo)?;
        if spec.bypass {
            let store = paddock_scan::AckStore::open_default().map_err(|e| EngineError::Refused(e.to_string()))?;
            let opts = paddock_scan::ScanOptions::for_current_user();
            let needs = store.needs_ack_for_task(&opts, &repo, true).map_err(|e| EngineError::Refused(e.to_string()))?;
            if needs {
                return Err(EngineError::Refused(format!(
                    "{} is a production repository and bypass mode lets the agent act without anyone approving; \
                     acknowledge that first with `paddock scan --acknowledge --repo {}`, or run without --bypass",
                    repo.display(),
                    repo.display()
                )));
            }
        }
        let mut policy = self.config.sandbox.clone();
        policy.init = Some(paddock_sandbox::InitProgram { path: self.config.paddock_bin.clone() });
        let selected = paddock_sandbox::select_backend(&policy)?;
        Ok((repo, selected))
    }

    /// Starts a task on its own thread (the headless engine); returns its id
    /// once the worktree exists and the row is stored.
    pub fn launch(self: &Arc<Self>, spec: TaskSpec) -> Result<String, EngineError> {
        let (repo, selected) = self.preflight(&spec)?;
        let (record, wt) = self.create_task(&spec, &repo)?;
        let id = record.id.clone();
        let engine = Arc::clone(self);
        std::thread::Builder::new()
            .name(format!("task-{id}"))
            .spawn(move || {
                if let Err(e) = engine.execute(&spec, record, wt, selected, Arc::new(NullSink)) {
                    tracing::error!("task failed: {e}");
                }
            })
            .map_err(EngineError::io("starting the task thread"))?;
        Ok(id)
    }

    /// Runs a task to its end on this thread, streaming output to `sink`.
    pub fn run_task(self: &Arc<Self>, spec: &TaskSpec, sink: Arc<dyn OutputSink>) -> Result<TaskRecord, EngineError> {
        let (repo, selected) = self.preflight(spec)?;
        let (record, wt) = self.create_task(spec, &repo)?;
        self.execute(spec, record, wt, selected, sink)
    }

    fn create_task(&self, spec: &TaskSpec, repo: &Path) -> Result<(TaskRecord, Worktree), EngineError> {
        let id = new_task_id();
        let wt = worktree::create(repo, &id, &self.config.worktree_dir(&id))?;
        let record = TaskRecord {
            id: id.clone(),
            owner: self.access.user().to_string(),
            agent: spec.agent.as_str().to_owned(),
            repo: repo.to_path_buf(),
            worktree: wt.path.clone(),
            branch: wt.branch.clone(),
            prompt: command_line::task_line(spec.agent, &spec.prompt),
            state: TaskState::Created,
            exit_code: None,
            error: None,
            created_at: now(),
            started_at: None,
            finished_at: None,
            ttl_secs: spec.ttl_secs,
            bypass: spec.bypass,
            allow_hosts: spec.allow_hosts.clone(),
            commit: None,
            api_socket: None,
            runner_pid: Some(std::process::id()),
            runner_start: process_start_time(std::process::id()),
        };
        self.store.insert_task(&record)?;
        self.emit(EngineEvent::Task { task: record.clone() });
        self.record(
            NewEvent::new(Actor::User, Kind::Task, "task.created")
                .task(&id)
                .resource(wt.branch.clone())
                .outcome("created")
                .detail(json!({
                    "agent": record.agent, "repo": record.repo, "worktree": record.worktree, "prompt": record.prompt,
                    "ttl_secs": spec.ttl_secs, "bypass": spec.bypass, "allow_hosts": spec.allow_hosts, "grants": spec.grants,
                    "tool_caches": spec.tool_caches,
                })),
        );
        Ok((record, wt))
    }

    fn execute(
        self: &Arc<Self>,
        spec: &TaskSpec,
        record: TaskRecord,
        wt: Worktree,
        selected: Selected,
        sink: Arc<dyn OutputSink>,
    ) -> Result<TaskRecord, EngineError> {
        let id = record.id.clone();
        let control = Arc::new(TaskControl::default());
        self.running.lock().unwrap_or_else(PoisonError::into_inner).insert(id.clone(), Arc::clone(&control));
        let mut running = Running { proxy: None, api: None, egress_events: None };
        let result = self.start_and_wait(spec, &record, &wt, &selected, &sink, &control, &mut running);
        let (state, exit_code, error) = match result {
            Ok(end) => end,
            Err(e) => (TaskState::Failed, None, Some(e.to_string())),
        };
        let finished = self.finish_task(&record, &wt, running, state, exit_code, error.as_deref());
        self.running.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
        finished
    }

    #[allow(clippy::too_many_arguments)]
    fn start_and_wait(
        self: &Arc<Self>,
        spec: &TaskSpec,
        record: &TaskRecord,
        wt: &Worktree,
        selected: &Selected,
        sink: &Arc<dyn OutputSink>,
        control: &TaskControl,
        running: &mut Running,
    ) -> Result<(TaskState, Option<i32>, Option<String>), EngineError> {
        let id = record.id.as_str();
        if let Some(warning) = selected.warning() {
            self.record(
                NewEvent::new(Actor::System, Kind::Warning, "sandbox.unsandboxed")
                    .task(id)
                    .outcome("warning")
                    .detail(json!({ "warning": warning.to_string() })),
            );
        }
        let task_dir = self.config.task_dir(id);
        std::fs::create_dir_all(&task_dir).map_err(EngineError::io(format!("creating {}", task_dir.display())))?;

        // Credentials (the seam; the default refuses grants).
        let lease_env = self.leaser.grant(id, &spec.grants, Duration::from_secs(spec.ttl_secs))?;
        if !spec.grants.is_empty() {
            self.record(
                NewEvent::new(Actor::System, Kind::Credential, "credentials.grant")
                    .task(id)
                    .outcome("ok")
                    .detail(json!({ "grants": spec.grants, "variables": lease_env.iter().map(|(k, _)| k).collect::<Vec<_>>() })),
            );
        }

        // Egress proxy on the task's socket; its records become audit events.
        let policy = egress_policy(&self.config, spec)?;
        let services = policy.services().to_vec();
        let mut roots = UpstreamRoots::default();
        for ca in &self.config.upstream_ca {
            roots.add_pem_file(ca).map_err(|e| EngineError::Egress(e.to_string()))?;
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<RequestRecord>();
        let mut pc = ProxyConfig::new(policy, Arc::new(EngineSecrets { keyring: KeyringSecretStore::new(KEYRING_SERVICE) }));
        pc.roots = roots;
        pc.observers.push(Arc::new(ChannelObserver(tx)));
        let proxy = Proxy::new(pc).map_err(|e| EngineError::Egress(e.to_string()))?;
        let missing = proxy.missing_secrets();
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|(s, e)| format!("service {s}: {e}")).collect();
            return Err(EngineError::Refused(format!(
                "secrets for injected services are missing ({}); store each with `paddock egress set-secret NAME`",
                list.join("; ")
            )));
        }
        let egress_sock = task_dir.join("egress.sock");
        let _ = std::fs::remove_file(&egress_sock);
        let listener = {
            let _guard = self.runtime.enter();
            tokio::net::UnixListener::bind(&egress_sock).map_err(EngineError::io(format!("listening on {}", egress_sock.display())))?
        };
        running.proxy = Some(self.runtime.spawn(async move {
            if let Err(e) = proxy.serve_unix(listener).await {
                tracing::error!("egress proxy stopped: {e}");
            }
        }));
        let audit = Arc::clone(&self.audit);
        let task_id = id.to_owned();
        running.egress_events = Some(self.runtime.spawn(async move {
            while let Some(r) = rx.recv().await {
                let ev = NewEvent::new(Actor::Agent, Kind::Egress, r.method.clone())
                    .task(task_id.clone())
                    .resource(format!("{}:{}{}", r.host, r.port, r.path))
                    .outcome(match r.decision {
                        paddock_egress::Decision::Allowed => "allow",
                        paddock_egress::Decision::Denied => "deny",
                    })
                    .detail(serde_json::to_value(&r).unwrap_or_default());
                if let Err(e) = audit.append(ev) {
                    tracing::error!("cannot record an egress request: {e}");
                }
            }
        }));

        // The task's API socket, for the hook inside the sandbox.
        let api_sock = task_dir.join("api.sock");
        let listener = crate::api::bind(&api_sock)?;
        running.api = Some(crate::api::serve(self, listener));
        // Lives as long as the task may, plus the approval wait; void anyway once the task ends.
        let token_ttl = spec.ttl_secs.saturating_add(self.config.approval_timeout.as_secs()).saturating_add(300);
        let token = self.access.agent_token(id, chrono::Duration::seconds(i64::try_from(token_ttl).unwrap_or(i64::MAX)))?;

        // Agent configuration. The hook binary is mounted read-only at its own path.
        let hook_bin = self.config.hook_bin();
        let mut hook_command = match &hook_bin {
            Some(bin) => shell_quote(&bin.display().to_string()),
            None => format!("{} gate", shell_quote(&self.config.paddock_bin.display().to_string())),
        };
        for pack in self.gate_packs_off(id, spec.agent) {
            hook_command.push_str(&format!(" --without-pack {}", shell_quote(&pack)));
        }
        let launch = agent::prepare(
            spec.agent,
            &agent::TemplateInput {
                worktree: &wt.path,
                prompt: &spec.prompt,
                bypass: spec.bypass,
                hook_command: &hook_command,
                approval_timeout_secs: self.config.approval_timeout.as_secs(),
                agent_bin: self.config.agent_bin.as_deref(),
            },
        )?;
        let rels: Vec<PathBuf> =
            launch.written.iter().filter_map(|p| p.strip_prefix(&wt.path).ok().map(Path::to_path_buf)).collect();
        std::fs::write(written_file(&self.config, id), serde_json::to_vec(&rels).unwrap_or_default())
            .map_err(EngineError::io("recording the agent config files"))?;

        // The sandbox.
        let proxy_url = format!("http://127.0.0.1:{PROXY_PORT}");
        let mut builder = Manifest::builder()
            .writable(&wt.path)
            .workdir(&wt.path)
            .read_only(&self.config.paddock_bin)
            // The repository's git dir, read-only: git inside can look, never write.
            .read_only(&wt.common_dir)
            // The worktree's `.git` file must keep pointing where it points.
            .protected(".git")
            .network(Network::ProxyOnly { socket: egress_sock.clone(), port: PROXY_PORT })
            .unix_socket(&api_sock);
        if let Some(bin) = &hook_bin {
            builder = builder.read_only(bin);
        }
        for path in &launch.read_only {
            builder = builder.read_only(path);
        }
        for cache in &spec.tool_caches {
            builder = builder.tool_cache(*cache);
        }
        let mut env: Vec<(String, String)> = agent_env(&services, &proxy_url);
        env.extend(launch.env.iter().cloned());
        let redactor = Redactor::new(
            lease_env
                .iter()
                .filter(|(k, _)| k.contains("SECRET") || k.contains("TOKEN"))
                .map(|(_, v)| v.clone())
                .chain([token.clone()]),
        );
        env.extend(lease_env);
        env.extend([
            ("PADDOCK_TASK_ID".to_owned(), id.to_owned()),
            ("PADDOCK_WORKTREE".to_owned(), wt.path.display().to_string()),
            ("PADDOCK_ENGINE_SOCKET".to_owned(), api_sock.display().to_string()),
            ("PADDOCK_ENGINE_TOKEN".to_owned(), token),
            ("PADDOCK_APPROVAL_TIMEOUT_SECS".to_owned(), self.config.approval_timeout.as_secs().to_string()),
        ]);
        for (k, v) in env {
            builder = builder.set_env(k, v);
        }
        let manifest = builder.build()?;
        let mut cmd = selected.command(&manifest, &launch.argv)?;
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn()?;
        self.store.mark_running(id, &api_sock, std::process::id(), process_start_time(std::process::id()))?;
        self.record(
            NewEvent::new(Actor::System, Kind::Sandbox, "sandbox.start")
                .task(id)
                .resource(wt.path.display().to_string())
                .outcome(if cmd.is_sandboxed() { "sandboxed" } else { "unsandboxed" })
                .detail(json!({
                    "isolation": format!("{:?}", cmd.isolation()),
                    "argv": launch.argv.iter().map(|a| a.to_string_lossy().into_owned()).collect::<Vec<_>>(),
                    "uid": manifest.uid, "network": "proxy-only", "granted_sockets": [api_sock],
                    "hook_command": hook_command,
                })),
        );

        if let Ok(Some(now_running)) = self.store.task(id) {
            sink.started(&now_running);
            self.emit(EngineEvent::Task { task: now_running });
        }
        let readers = [
            child.stdout.take().map(|p| self.pump(id, Stream::Stdout, p, sink, &redactor)),
            child.stderr.take().map(|p| self.pump(id, Stream::Stderr, p, sink, &redactor)),
        ];
        let deadline = Instant::now() + Duration::from_secs(spec.ttl_secs);
        let end = wait(&mut child, control, deadline);
        for r in readers.into_iter().flatten() {
            let _ = r.join();
        }
        Ok(match end {
            End::Exited(code) => {
                let state = if code == Some(0) { TaskState::Finished } else { TaskState::Failed };
                let error = (code != Some(0)).then(|| format!("the agent exited with status {}", code.map_or("?".into(), |c| c.to_string())));
                (state, code, error)
            }
            End::Cancelled(code) => (TaskState::Cancelled, code, Some("stopped on request".into())),
            End::TimedOut(code) => {
                (TaskState::Failed, code, Some(format!("time to live of {}s ran out; the agent was stopped", spec.ttl_secs)))
            }
        })
    }

    /// Copies one pipe, line by line and without the task's own secrets, to
    /// the sink, the live events and the audit trail.
    fn pump(
        self: &Arc<Self>,
        id: &str,
        stream: Stream,
        mut pipe: impl std::io::Read + Send + 'static,
        sink: &Arc<dyn OutputSink>,
        redactor: &Redactor,
    ) -> std::thread::JoinHandle<()> {
        let engine = Arc::clone(self);
        let sink = Arc::clone(sink);
        let id = id.to_owned();
        let redactor = redactor.clone();
        std::thread::spawn(move || {
            let deliver = |bytes: Vec<u8>| {
                let text = redactor.apply(&String::from_utf8_lossy(&bytes));
                sink.output(&id, stream, text.as_bytes());
                engine.emit(EngineEvent::Output { task_id: id.clone(), stream, text: text.clone() });
                engine.record(
                    NewEvent::new(Actor::Agent, Kind::Task, "task.output")
                        .task(&id)
                        .resource(match stream {
                            Stream::Stdout => "stdout",
                            Stream::Stderr => "stderr",
                        })
                        .detail(json!({ "text": text })),
                );
            };
            let mut lines = LineBuffer::default();
            let mut buf = vec![0u8; OUTPUT_CHUNK];
            loop {
                match pipe.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if let Some(ready) = lines.push(&buf[..n]) {
                            deliver(ready);
                        }
                    }
                }
            }
            if let Some(rest) = lines.finish() {
                deliver(rest);
            }
        })
    }

    /// Stops everything the task started, revokes, commits, records the end.
    fn finish_task(
        &self,
        record: &TaskRecord,
        wt: &Worktree,
        running: Running,
        state: TaskState,
        exit_code: Option<i32>,
        error: Option<&str>,
    ) -> Result<TaskRecord, EngineError> {
        let id = record.id.as_str();
        let _ = self.store.mark_stopping(id);
        self.emit_task(id);
        for handle in [running.api, running.proxy].into_iter().flatten() {
            handle.abort();
        }
        if let Some(events) = running.egress_events {
            // The proxy is gone, so the channel closes once its last records are written.
            let _ = self.runtime.block_on(async { tokio::time::timeout(Duration::from_secs(10), events).await });
        }
        let task_dir = self.config.task_dir(id);
        for sock in ["egress.sock", "api.sock"] {
            let _ = std::fs::remove_file(task_dir.join(sock));
        }
        self.expire_pending_approvals(id, "task ended");
        let revoked = self.leaser.revoke(id);
        self.record(
            NewEvent::new(Actor::System, Kind::Credential, "credentials.revoke")
                .task(id)
                .outcome(if revoked.is_ok() { "ok" } else { "error" })
                .detail(json!({ "error": revoked.as_ref().err().map(|e| e.to_string()) })),
        );
        restore_written(&self.config, id, wt);
        let outcome = match state {
            TaskState::Finished => "finished".to_owned(),
            other => format!("{}: {}", other.as_str(), error.unwrap_or("")),
        };
        let message = worktree::commit_message(id, &record.agent, &record.prompt, &outcome);
        let (commit, commit_error) = match wt.commit_all(&message) {
            Ok(sha) => (sha, None),
            Err(e) => (None, Some(e.to_string())),
        };
        if let Some(sha) = &commit {
            self.record(
                NewEvent::new(Actor::System, Kind::Task, "task.commit")
                    .task(id)
                    .resource(wt.branch.clone())
                    .outcome("committed")
                    .detail(json!({ "commit": sha, "author": format!("{} <{}>", worktree::COMMITTER_NAME, worktree::COMMITTER_EMAIL) })),
            );
        }
        let (state, error) = match (commit_error, error) {
            (Some(ce), e) => (TaskState::Failed, Some(format!("{}could not commit: {ce}", e.map(|e| format!("{e}; ")).unwrap_or_default()))),
            (None, e) => (state, e.map(str::to_owned)),
        };
        let revoke_error = revoked.err().map(|e| e.to_string());
        let error = match (error, revoke_error) {
            (Some(e), Some(r)) => Some(format!("{e}; revoking credentials failed: {r}")),
            (None, Some(r)) => Some(format!("revoking credentials failed: {r}")),
            (e, None) => e,
        };
        self.store.finish(id, state, exit_code, error.as_deref(), commit.as_deref())?;
        self.record(
            NewEvent::new(Actor::System, Kind::Task, "task.finished")
                .task(id)
                .resource(wt.branch.clone())
                .outcome(state.as_str())
                .detail(json!({ "exit_code": exit_code, "error": error, "commit": commit })),
        );
        self.emit_task(id);
        self.store.task(id)?.ok_or_else(|| EngineError::NoSuchTask(id.to_owned()))
    }
}

enum End {
    Exited(Option<i32>),
    Cancelled(Option<i32>),
    TimedOut(Option<i32>),
}

fn exit_code(status: std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt as _;
    status.code().or_else(|| status.signal().map(|s| 128 + s))
}

/// Waits for the agent, its TTL or a cancel. Killing bwrap kills the whole
/// sandbox (its pid namespace dies with it).
fn wait(child: &mut Child, control: &TaskControl, deadline: Instant) -> End {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return End::Exited(exit_code(status)),
            Ok(None) => {}
            Err(_) => return End::Exited(None),
        }
        let cancelled = control.cancel.load(Ordering::SeqCst);
        if cancelled || Instant::now() >= deadline {
            let _ = child.kill();
            let code = child.wait().ok().and_then(exit_code);
            return if cancelled { End::Cancelled(code) } else { End::TimedOut(code) };
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn shell_quote(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c)) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

