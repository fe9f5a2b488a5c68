//! The Tasks and Approvals screens: launch, list, follow, stop, revoke,
//! decide. The window's engine runs the tasks it launches; tasks started by
//! `paddock run` or `paddock serve` are seen through the shared task store.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use paddock_audit::Actor;
use paddock_engine::{Engine, EngineConfig, EngineEvent};
use paddock_ipc::tasks::{Approval, ApprovalChoice, EngineUpdate, TaskDetail, TaskLaunch, TaskSummary};
use paddock_ipc::{ErrorCode, WireError};
use tauri::ipc::Channel;

use crate::convert::{self, tasks as conv};
use crate::state::{AppState, paddock_bin};

/// How often the store is re-read for changes made by other engine processes.
const STORE_POLL: Duration = Duration::from_secs(1);
/// Most timeline events a task page loads at once.
const TIMELINE_PAGE: u32 = 500;

pub(crate) fn engine(state: &AppState) -> Result<Arc<Engine>, WireError> {
    let opened = state.engine.get_or_init(|| {
        let config = paddock_bin().and_then(|bin| EngineConfig::from_env(bin).map_err(|e| e.to_string()))?;
        match Engine::open(config) {
            Ok((engine, recovery)) => {
                if !recovery.recovered.is_empty() {
                    tracing::warn!(tasks = ?recovery.recovered, "recovered tasks whose runner had died");
                }
                Ok(engine)
            }
            Err(e) => Err(format!("the task engine cannot start: {e}")),
        }
    });
    opened.clone().map_err(|message| WireError::new(ErrorCode::Unavailable, message))
}

/// Runs engine work on a plain thread: the engine drives its own tokio
/// runtime, which must not be entered from one of Tauri's runtime threads.
async fn on_thread<T, F>(f: F) -> Result<T, WireError>
where
    F: FnOnce() -> Result<T, WireError> + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("engine-call".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(|e| WireError::internal(format!("cannot start engine work: {e}")))?;
    rx.await.map_err(|_| WireError::internal("engine work stopped unexpectedly"))?
}

fn summary(engine: &Engine, t: paddock_engine::TaskRecord) -> TaskSummary {
    let here = engine.running_here().contains(&t.id);
    conv::task(t, here)
}

#[tauri::command]
pub async fn tasks_list(state: tauri::State<'_, AppState>) -> Result<Vec<TaskSummary>, WireError> {
    let engine = engine(&state)?;
    on_thread(move || {
        let tasks = engine.store().tasks().map_err(conv::engine_error)?;
        Ok(tasks.into_iter().map(|t| summary(&engine, t)).collect())
    })
    .await
}

#[tauri::command]
pub async fn task_detail(state: tauri::State<'_, AppState>, id: String) -> Result<TaskDetail, WireError> {
    let engine = engine(&state)?;
    on_thread(move || {
        let task = engine.store().task(&id).map_err(conv::engine_error)?;
        let task = task.ok_or_else(|| WireError::not_found(format!("no task {id}")))?;
        let page = engine.task_events(&id, None, TIMELINE_PAGE).map_err(conv::engine_error)?;
        // A worktree removed by hand leaves the rest of the page useful.
        let diff = engine.task_diff(&id).unwrap_or_else(|e| format!("(the diff is not available: {e})"));
        Ok(TaskDetail {
            task: summary(&engine, task),
            has_more: page.has_newer,
            events: page.events.into_iter().map(convert::event).collect(),
            diff,
        })
    })
    .await
}

#[tauri::command]
pub async fn task_launch(state: tauri::State<'_, AppState>, launch: TaskLaunch) -> Result<TaskSummary, WireError> {
    let engine = engine(&state)?;
    let spec = conv::launch(launch)?;
    on_thread(move || {
        let id = engine.launch(spec).map_err(conv::engine_error)?;
        let task = engine.store().task(&id).map_err(conv::engine_error)?;
        let task = task.ok_or_else(|| WireError::internal(format!("task {id} vanished after its launch")))?;
        Ok(summary(&engine, task))
    })
    .await
}

#[tauri::command]
pub async fn task_stop(state: tauri::State<'_, AppState>, id: String) -> Result<TaskSummary, WireError> {
    let engine = engine(&state)?;
    on_thread(move || {
        let task = engine.stop(&id, Actor::User).map_err(conv::engine_error)?;
        Ok(summary(&engine, task))
    })
    .await
}

#[tauri::command]
pub async fn task_revoke_now(state: tauri::State<'_, AppState>, id: String) -> Result<(), WireError> {
    let engine = engine(&state)?;
    on_thread(move || engine.revoke_now(&id, Actor::User).map_err(conv::engine_error)).await
}

#[tauri::command]
pub async fn approvals_list(state: tauri::State<'_, AppState>, pending_only: bool) -> Result<Vec<Approval>, WireError> {
    let engine = engine(&state)?;
    on_thread(move || {
        let list = engine.store().approvals(pending_only).map_err(conv::engine_error)?;
        Ok(list.into_iter().map(conv::approval).collect())
    })
    .await
}

#[tauri::command]
pub async fn approval_decide(
    state: tauri::State<'_, AppState>,
    id: String,
    choice: ApprovalChoice,
) -> Result<Approval, WireError> {
    let engine = engine(&state)?;
    on_thread(move || engine.decide_approval(&id, conv::choice(choice)).map(conv::approval).map_err(conv::engine_error))
        .await
}

/// Streams what changes until the window closes the channel: this engine's
/// live events, plus tasks and approvals other engine processes changed
/// (seen by re-reading the shared store every second).
#[tauri::command]
pub async fn engine_follow(state: tauri::State<'_, AppState>, on_event: Channel<EngineUpdate>) -> Result<(), WireError> {
    let engine = engine(&state)?;
    let mut live = engine.subscribe();
    let polled = Arc::clone(&engine);
    let sink = on_event.clone();
    std::thread::Builder::new()
        .name("engine-store-poll".into())
        .spawn(move || poll_store(&polled, &sink))
        .map_err(|e| WireError::internal(format!("cannot follow the task store: {e}")))?;
    tauri::async_runtime::spawn(async move {
        loop {
            let update = match live.recv().await {
                Ok(EngineEvent::Output { task_id, stream, text }) => {
                    EngineUpdate::Output { task_id, stream: conv::stream(stream), text }
                }
                Ok(EngineEvent::Task { task }) => EngineUpdate::Task { task: summary(&engine, task) },
                Ok(EngineEvent::Approval { approval }) => EngineUpdate::Approval { approval: conv::approval(approval) },
                // A slow window missed some output; the task page reloads the timeline.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            };
            if on_event.send(update).is_err() {
                break;
            }
        }
    });
    Ok(())
}

/// Sends every task or approval row that differs from the last read, until the channel is gone.
fn poll_store(engine: &Engine, sink: &Channel<EngineUpdate>) {
    let mut tasks: HashMap<String, TaskSummary> = HashMap::new();
    let mut approvals: HashMap<String, Approval> = HashMap::new();
    let mut first = true;
    let mut quiet_rounds = 0u32;
    loop {
        let mut updates = Vec::new();
        if let Ok(rows) = engine.store().tasks() {
            for t in rows.into_iter().map(|t| summary(engine, t)) {
                if tasks.get(&t.id) != Some(&t) {
                    tasks.insert(t.id.clone(), t.clone());
                    updates.push(EngineUpdate::Task { task: t });
                }
            }
        }
        if let Ok(rows) = engine.store().approvals(false) {
            for a in rows.into_iter().map(conv::approval) {
                if approvals.get(&a.id) != Some(&a) {
                    approvals.insert(a.id.clone(), a.clone());
                    updates.push(EngineUpdate::Approval { approval: a });
                }
            }
        }
        // The first read is what the screens already loaded. A heartbeat now
        // and then finds out when the window has gone, even if nothing changes.
        if first || updates.is_empty() {
            quiet_rounds += 1;
            if quiet_rounds >= 15 {
                quiet_rounds = 0;
                updates = vec![EngineUpdate::Heartbeat];
            } else {
                updates.clear();
            }
        }
        first = false;
        for u in updates {
            if sink.send(u).is_err() {
                return;
            }
        }
        std::thread::sleep(STORE_POLL);
    }
}
