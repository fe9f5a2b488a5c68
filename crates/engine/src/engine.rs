//! The engine: shared state of one engine process (store, audit trail,
//! authorizer, credential leaser, the tasks it runs) and what happens at its
//! start (recovery of tasks whose runner died) and on a stop request.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use paddock_audit::{Actor, AuditLog, Kind, NewEvent};
use serde_json::json;

use crate::error::EngineError;
use crate::events::{EVENT_BUFFER, EngineEvent};
use crate::access::Access;
use crate::seams::{CredentialLeaser, NoCredentials};
use crate::store::{ApprovalState, Store, TaskRecord, TaskState};
use crate::worktree;

/// The file name of the slim hook binary, built and shipped beside `paddock`.
pub const HOOK_BIN_NAME: &str = "paddock-hook";

/// Where an engine keeps its files, and how it runs tasks.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// `PADDOCK_DATA_DIR`, else the OS data dir's `paddock`.
    pub data_dir: PathBuf,
    /// The `paddock` binary: the sandbox init for the proxy bridge, and the
    /// hook inside the sandbox (`<bin> gate`) unless the slim hook binary
    /// sits beside it (see [`EngineConfig::hook_bin`]).
    pub paddock_bin: PathBuf,
    /// Base egress policy (TOML: services, allow and deny rules); the task's
    /// `--allow-host`s are added to it. None: `<data>/egress.toml` if it
    /// exists, else an Anthropic service for Claude tasks.
    pub egress_policy: Option<PathBuf>,
    /// Extra CA certificates (PEM) trusted for service upstreams.
    pub upstream_ca: Vec<PathBuf>,
    /// How long a gate "ask" waits for a person before it is denied.
    pub approval_timeout: Duration,
    /// Which sandbox backends may be used (and whether unsandboxed is allowed).
    pub sandbox: paddock_sandbox::Policy,
    /// The agent binary for claude/codex tasks; None: found on PATH.
    pub agent_bin: Option<PathBuf>,
}

impl EngineConfig {
    /// Defaults for this machine and environment (`PADDOCK_DATA_DIR`,
    /// `PADDOCK_ALLOW_UNSANDBOXED`, …), running hooks with `paddock_bin`.
    pub fn from_env(paddock_bin: PathBuf) -> Result<EngineConfig, EngineError> {
        let data_dir = std::env::var_os("PADDOCK_DATA_DIR")
            .map(PathBuf::from)
            .or_else(|| dirs::data_dir().map(|d| d.join("paddock")))
            .ok_or_else(|| EngineError::Refused("no data directory: set PADDOCK_DATA_DIR".into()))?;
        Ok(EngineConfig {
            data_dir,
            paddock_bin,
            egress_policy: None,
            upstream_ca: Vec::new(),
            approval_timeout: Duration::from_secs(300),
            sandbox: paddock_sandbox::Policy::from_env(),
            agent_bin: None,
        })
    }

    /// The slim hook binary, `paddock-hook` beside `paddock_bin`, when it is
    /// there and executable. Agents run it (instead of `<paddock> gate`) for
    /// every tool call: it is the same hook code, and it starts several
    /// times faster because it links only the gate and the API client.
    pub fn hook_bin(&self) -> Option<PathBuf> {
        use std::os::unix::fs::PermissionsExt as _;
        let bin = self.paddock_bin.with_file_name(HOOK_BIN_NAME);
        let meta = std::fs::metadata(&bin).ok()?;
        (meta.is_file() && meta.permissions().mode() & 0o111 != 0).then_some(bin)
    }

    pub fn engine_db(&self) -> PathBuf {
        self.data_dir.join("engine.db")
    }
    pub fn audit_db(&self) -> PathBuf {
        self.data_dir.join("audit.db")
    }
    /// The headless engine's API socket (`paddock serve`).
    pub fn control_socket(&self) -> PathBuf {
        self.data_dir.join("engine.sock")
    }
    pub fn task_dir(&self, task_id: &str) -> PathBuf {
        self.data_dir.join("tasks").join(task_id)
    }
    pub fn worktree_dir(&self, task_id: &str) -> PathBuf {
        self.data_dir.join("worktrees").join(task_id)
    }
}

/// Live control of a task this process runs.
#[derive(Default)]
pub(crate) struct TaskControl {
    pub(crate) cancel: AtomicBool,
}

/// One engine process. Share it with `Arc`.
pub struct Engine {
    pub(crate) config: EngineConfig,
    pub(crate) store: Store,
    pub(crate) audit: Arc<AuditLog>,
    pub(crate) access: Access,
    pub(crate) leaser: Arc<dyn CredentialLeaser>,
    pub(crate) runtime: tokio::runtime::Runtime,
    pub(crate) running: Mutex<HashMap<String, Arc<TaskControl>>>,
    /// Bumped on every approval decision; waiters re-read the store.
    pub(crate) approvals_changed: tokio::sync::watch::Sender<u64>,
    /// Live events for the app (output, task and approval changes).
    pub(crate) events: tokio::sync::broadcast::Sender<EngineEvent>,
}

/// What [`Engine::open`] found and did about tasks of earlier engines.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Tasks whose runner was gone: cleaned up and marked failed.
    pub recovered: Vec<String>,
    /// Tasks still run by another live engine process.
    pub live_elsewhere: Vec<String>,
}

/// Start time (clock ticks since boot) of a process, from /proc: with the pid
/// it identifies the process even after the pid is reused.
pub fn process_start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    after.split_whitespace().nth(19)?.parse().ok()
}

pub(crate) fn runner_alive(t: &TaskRecord) -> bool {
    match (t.runner_pid, t.runner_start) {
        (Some(pid), Some(start)) => process_start_time(pid) == Some(start),
        (Some(pid), None) => Path::new(&format!("/proc/{pid}")).exists(),
        _ => false,
    }
}

impl Engine {
    /// Opens the stores, the signing key (`<data>/authz.key`) and the
    /// credential provider (`<data>/aws.toml`, if any), and recovers tasks
    /// whose runner died.
    pub fn open(config: EngineConfig) -> Result<(Arc<Engine>, Recovery), EngineError> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(EngineError::io(format!("creating {}", config.data_dir.display())))?;
        let access = Access::open(&config.data_dir)?;
        let audit = Arc::new(AuditLog::open(&config.audit_db())?);
        let leaser: Arc<dyn CredentialLeaser> = match crate::creds::load_aws_config(&config.data_dir)? {
            Some(aws) => Arc::new(crate::creds::AwsLeaser::open(&config.data_dir, aws, Arc::clone(&audit))?),
            None => Arc::new(NoCredentials),
        };
        Self::open_with(config, access, audit, leaser)
    }

    /// Opens with explicit parts (tests: another signing key, a fake leaser).
    pub fn open_with(
        config: EngineConfig,
        access: Access,
        audit: Arc<AuditLog>,
        leaser: Arc<dyn CredentialLeaser>,
    ) -> Result<(Arc<Engine>, Recovery), EngineError> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(EngineError::io(format!("creating {}", config.data_dir.display())))?;
        let store = Store::open(&config.engine_db())?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("paddock-engine")
            .enable_all()
            .build()
            .map_err(EngineError::io("starting the engine runtime"))?;
        let (approvals_changed, _) = tokio::sync::watch::channel(0);
        let (events, _) = tokio::sync::broadcast::channel(EVENT_BUFFER);
        let engine = Arc::new(Engine {
            config,
            store,
            audit,
            access,
            leaser,
            runtime,
            running: Mutex::new(HashMap::new()),
            approvals_changed,
            events,
        });
        let recovery = engine.recover()?;
        Ok((engine, recovery))
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }
    pub fn store(&self) -> &Store {
        &self.store
    }
    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }
    /// A fresh, short-lived token for the person's tools (CLI, app) to
    /// present to an engine's API socket.
    pub fn user_token(&self) -> Result<String, EngineError> {
        self.access.user_token(chrono::Duration::seconds(crate::access::USER_TOKEN_TTL_SECS))
    }

    /// Issues and checks the API's tokens.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// Live events: every chunk of output of the tasks this engine runs, and
    /// every change of a task or approval it handles. A receiver that falls
    /// more than a few thousand events behind misses some (`Lagged`); the
    /// audit trail has everything.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<EngineEvent> {
        self.events.subscribe()
    }

    pub(crate) fn emit(&self, event: EngineEvent) {
        // No receiver is fine: nobody is watching.
        let _ = self.events.send(event);
    }

    /// Emits the task's current row.
    pub(crate) fn emit_task(&self, id: &str) {
        if let Ok(Some(task)) = self.store.task(id) {
            self.emit(EngineEvent::Task { task });
        }
    }

    pub(crate) fn record(&self, event: NewEvent) {
        if let Err(e) = self.audit.append(event) {
            tracing::error!("cannot write to the audit trail: {e}");
        }
    }

    /// Cleans up every unfinished task whose runner process is gone: stops
    /// what may be left (sockets), revokes its credentials, commits what the
    /// agent left in the worktree, and marks it failed with the reason.
    pub fn recover(&self) -> Result<Recovery, EngineError> {
        let mut out = Recovery::default();
        let me = std::process::id();
        for task in self.store.unfinished()? {
            if task.runner_pid != Some(me) && runner_alive(&task) {
                out.live_elsewhere.push(task.id.clone());
                continue;
            }
            if task.runner_pid == Some(me) && self.is_running_here(&task.id) {
                continue;
            }
            self.recover_task(&task);
            out.recovered.push(task.id.clone());
        }
        Ok(out)
    }

    fn recover_task(&self, task: &TaskRecord) {
        let id = task.id.as_str();
        tracing::warn!(task = id, "recovering a task whose engine stopped unexpectedly");
        let dir = self.config.task_dir(id);
        for sock in ["egress.sock", "api.sock"] {
            let _ = std::fs::remove_file(dir.join(sock));
        }
        let revoked = self.leaser.revoke(id);
        self.record(
            NewEvent::new(Actor::System, Kind::Credential, "credentials.revoke")
                .task(id)
                .outcome(if revoked.is_ok() { "ok" } else { "error" })
                .detail(json!({ "during": "recovery", "error": revoked.err().map(|e| e.to_string()) })),
        );
        self.expire_pending_approvals(id, "recovery");
        let mut error = "the engine running this task stopped unexpectedly (killed or crashed)".to_owned();
        let commit = match worktree::find(&task.repo, &task.worktree, &task.branch) {
            Ok(wt) => {
                crate::runner::restore_written(&self.config, id, &wt);
                let msg = worktree::commit_message(id, &task.agent, &task.prompt, "interrupted (recovered after the engine stopped)");
                match wt.commit_all(&msg) {
                    Ok(sha) => sha,
                    Err(e) => {
                        error.push_str(&format!("; its changes could not be committed: {e}"));
                        None
                    }
                }
            }
            Err(e) => {
                error.push_str(&format!("; its worktree is gone: {e}"));
                None
            }
        };
        if let Err(e) = self.store.finish(id, TaskState::Failed, None, Some(&error), commit.as_deref()) {
            tracing::error!(task = id, "cannot mark the task failed: {e}");
        }
        self.record(
            NewEvent::new(Actor::System, Kind::Task, "task.recovered")
                .task(id)
                .resource(task.branch.clone())
                .outcome("failed")
                .detail(json!({ "error": error, "commit": commit })),
        );
    }

    pub(crate) fn is_running_here(&self, id: &str) -> bool {
        self.running.lock().unwrap_or_else(PoisonError::into_inner).contains_key(id)
    }

    /// Stops a task: one this process runs is cancelled; one another engine
    /// process runs is stopped through that process's API socket; one whose
    /// runner is gone is recovered. Returns the task as it is now.
    pub fn stop(&self, id: &str, by: Actor) -> Result<TaskRecord, EngineError> {
        let task = self.store.task(id)?.ok_or_else(|| EngineError::NoSuchTask(id.to_owned()))?;
        if task.state.is_final() {
            return Ok(task);
        }
        let control = self.running.lock().unwrap_or_else(PoisonError::into_inner).get(id).cloned();
        match control {
            Some(control) => {
                control.cancel.store(true, Ordering::SeqCst);
                self.store.mark_stopping(id)?;
                self.record(NewEvent::new(by, Kind::Task, "task.stop").task(id).outcome("requested"));
            }
            // Run by another engine process (`paddock run`, `paddock serve`): ask it.
            None if runner_alive(&task) => {
                let v = self.forward(&task, http::Method::POST, &format!("/v1/tasks/{id}/stop"), None)?;
                return serde_json::from_value(v).map_err(|e| EngineError::Api(format!("the engine's answer is not a task: {e}")));
            }
            None => self.recover_task(&task),
        }
        self.store.task(id)?.ok_or_else(|| EngineError::NoSuchTask(id.to_owned()))
    }

    /// Sends a request, as this engine's user, to the engine process that
    /// runs `task` (its API socket). The client is blocking and runtime-free,
    /// so this works from inside this engine's runtime too.
    pub(crate) fn forward(
        &self,
        task: &TaskRecord,
        method: http::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<serde_json::Value, EngineError> {
        let socket = task.api_socket.clone().filter(|s| s.exists()).ok_or_else(|| {
            EngineError::Refused(format!(
                "task {} is run by another engine process (pid {}) that serves no API socket",
                task.id,
                task.runner_pid.unwrap_or_default()
            ))
        })?;
        let client = paddock_engine_api::Client::new(socket, self.user_token()?);
        Ok(client.call(method, path, body.as_ref(), Duration::from_secs(60))?)
    }

    /// Ids of the tasks this process is running now.
    pub fn running_here(&self) -> Vec<String> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner).keys().cloned().collect()
    }

    /// On SIGINT or SIGTERM, stops every task this process runs (each then
    /// finishes normally: revoke, commit, final state). Returns at once.
    pub fn stop_all_on_signal(self: &Arc<Self>) {
        let engine = Arc::clone(self);
        self.runtime.spawn(async move {
            let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else { return };
            loop {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
                for id in engine.running_here() {
                    let _ = engine.stop(&id, Actor::User);
                }
            }
        });
    }

    pub(crate) fn expire_pending_approvals(&self, task_id: &str, why: &str) {
        let Ok(list) = self.store.approvals(true) else { return };
        for a in list.into_iter().filter(|a| a.task_id == task_id) {
            if let Ok(true) = self.store.decide_approval(&a.id, ApprovalState::Expired, why) {
                self.record(
                    NewEvent::new(Actor::System, Kind::Approval, "approval.expired")
                        .task(task_id)
                        .resource(a.resource.clone())
                        .outcome("deny")
                        .detail(json!({ "approval_id": a.id, "why": why })),
                );
                if let Ok(Some(now)) = self.store.approval(&a.id) {
                    self.emit(EngineEvent::Approval { approval: now });
                }
            }
        }
        self.approvals_changed.send_modify(|n| *n += 1);
    }

    /// Revokes the task's cloud credentials now (the Revoke-now button); the
    /// agent keeps running without them. Works for a task of any engine
    /// process: the lease journal is shared.
    pub fn revoke_now(&self, id: &str, by: Actor) -> Result<(), EngineError> {
        self.store.task(id)?.ok_or_else(|| EngineError::NoSuchTask(id.to_owned()))?;
        let revoked = self.leaser.revoke(id);
        self.record(
            NewEvent::new(by, Kind::Credential, "credentials.revoke")
                .task(id)
                .outcome(if revoked.is_ok() { "ok" } else { "error" })
                .detail(json!({ "during": "revoke-now", "error": revoked.as_ref().err().map(|e| e.to_string()) })),
        );
        revoked
    }

    /// The task's timeline from the audit trail, oldest first: output, gate
    /// decisions, approvals, network requests, credentials, commit. `after`
    /// continues from a sequence number (live tail).
    pub fn task_events(&self, id: &str, after: Option<u64>, limit: u32) -> Result<paddock_audit::Page, EngineError> {
        let query = paddock_audit::Query {
            filter: paddock_audit::Filter { task_id: Some(id.to_owned()), ..paddock_audit::Filter::default() },
            cursor: after.map_or(paddock_audit::Cursor::Oldest, paddock_audit::Cursor::After),
            limit,
        };
        Ok(self.audit.query(&query)?)
    }

    /// The task's diff: Paddock's commit on the task branch once it ended,
    /// else what the agent changed in the worktree so far.
    pub fn task_diff(&self, id: &str) -> Result<String, EngineError> {
        let task = self.store.task(id)?.ok_or_else(|| EngineError::NoSuchTask(id.to_owned()))?;
        let wt = worktree::find(&task.repo, &task.worktree, &task.branch)?;
        match &task.commit {
            Some(sha) => wt.show(sha),
            None => wt.diff_uncommitted(),
        }
    }
}
