//! The engine's local API: HTTP/1.1 (hyper) over a unix socket (mode 0600).
//! Every request carries `Authorization: Bearer <token>` (a PASETO token from
//! [`Access`](crate::Access)); `paddock-authz` decides (token valid, in scope,
//! permitted by the Cedar policies), and an agent's token is refused too once
//! its task no longer runs here. Refusals are answered 401/403 and recorded
//! as `warning` events (`api.refused`), without token text.
//!
//! | Method and path | authz action on resource | Body → answer |
//! |---|---|---|
//! | `GET /v1/tasks` | `tasks.list` on the task list | → `[TaskRecord]` |
//! | `POST /v1/tasks` | `tasks.create` on the task list | `TaskSpec` → `{"id"}` |
//! | `GET /v1/tasks/{id}` | `tasks.read` on the task | → `TaskRecord` |
//! | `POST /v1/tasks/{id}/stop` | `tasks.stop` on the task | → `TaskRecord` |
//! | `POST /v1/tasks/{id}/revoke` | `creds.revoke` on the task's credentials | → `{"revoked": true}` |
//! | `GET /v1/tasks/{id}/events[?after=SEQ]` | `audit.read` on the task's trail | → audit `Page` (oldest first) |
//! | `POST /v1/gate/decisions` | `gate.append_decision` on the task | `GateDecisionIn` → `{"seq", "approval"?}` |
//! | `GET /v1/approvals[?pending=1]` | `tasks.list` on the task list | → `[ApprovalRecord]` |
//! | `GET /v1/approvals/{id}` | `tasks.read` on its task | → `ApprovalRecord` |
//! | `GET /v1/approvals/{id}/wait?timeout_secs=N` | `approvals.wait` on the approval | → `ApprovalRecord`, decided or expired |
//! | `POST /v1/approvals/{id}/decision` | `approvals.decide` on the approval | `{"decision":"approve"\|"deny"\|"always_allow"}` → `ApprovalRecord` |
//! | `POST /v1/tokens/child` | (the bearer is the parent) | `{"actions":[..],"ttl_secs":N}` → `{"token"}` |
//!
//! A gate decision with verdict `ask` opens an approval in the same call (the
//! answer carries it), so the hook needs no right beyond appending decisions
//! and waiting. Errors are `{"error": "..."}` with a 4xx/5xx status.

// Handlers return the HTTP answer itself as the error: it is built once per
// request, so its size does not matter.
#![allow(clippy::result_large_err)]

use std::convert::Infallible;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use paddock_audit::{Kind, NewEvent};
use paddock_authz::{Action, Actor as AuthzActor, Principal, Resource};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::UnixListener;

use crate::access::Access;
use crate::approvals::ApprovalDecision;
use crate::engine::Engine;
use crate::error::EngineError;
use crate::runner::TaskSpec;
use crate::store::ApprovalRecord;
pub use paddock_engine_api::{GateDecisionIn, GateDecisionOut};

const MAX_BODY: usize = 1024 * 1024;

/// What a sub-agent token may do (a subset of its parent's).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChildTokenIn {
    pub actions: Vec<Action>,
    pub ttl_secs: u64,
}

/// Binds `path` (replacing a stale socket), mode 0600.
pub fn bind(path: &Path) -> Result<std::os::unix::net::UnixListener, EngineError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(EngineError::io(format!("creating {}", dir.display())))?;
    }
    if std::os::unix::net::UnixStream::connect(path).is_ok() {
        return Err(EngineError::Refused(format!("an engine is already serving {}", path.display())));
    }
    let _ = std::fs::remove_file(path);
    let listener =
        std::os::unix::net::UnixListener::bind(path).map_err(EngineError::io(format!("listening on {}", path.display())))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(EngineError::io(format!("chmod 0600 {}", path.display())))?;
    listener.set_nonblocking(true).map_err(EngineError::io("making the API socket non-blocking"))?;
    Ok(listener)
}

/// Serves the API on `listener` until the returned handle is aborted.
pub fn serve(engine: &Arc<Engine>, listener: std::os::unix::net::UnixListener) -> tokio::task::JoinHandle<()> {
    let served = Arc::clone(engine);
    engine.runtime.spawn(async move {
        let listener = match UnixListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("engine API: {e}");
                return;
            }
        };
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let engine = Arc::clone(&served);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let engine = Arc::clone(&engine);
                    async move { Ok::<_, Infallible>(handle(engine, req).await) }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
            });
        }
    })
}

fn reply(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    resp
}

fn ok(value: impl Serialize) -> Response<Full<Bytes>> {
    reply(StatusCode::OK, &serde_json::to_value(value).unwrap_or(Value::Null))
}

fn error(status: StatusCode, message: impl std::fmt::Display) -> Response<Full<Bytes>> {
    reply(status, &json!({ "error": message.to_string() }))
}

fn engine_error(e: EngineError) -> Response<Full<Bytes>> {
    let status = match &e {
        EngineError::NoSuchTask(_) | EngineError::NoSuchApproval(_) => StatusCode::NOT_FOUND,
        EngineError::Refused(_) | EngineError::Credentials(_) => StatusCode::CONFLICT,
        EngineError::BadRequest(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error(status, e)
}

async fn body_json<T: for<'de> Deserialize<'de>>(req: Request<Incoming>) -> Result<T, Response<Full<Bytes>>> {
    let bytes = Limited::new(req.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| error(StatusCode::PAYLOAD_TOO_LARGE, format!("cannot read the request body: {e}")))?
        .to_bytes();
    serde_json::from_slice(&bytes).map_err(|e| error(StatusCode::BAD_REQUEST, format!("bad JSON body: {e}")))
}

fn bearer(req: &Request<Incoming>) -> String {
    req.headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_owned()
}

fn query_param(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.uri().query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then(|| v.to_owned())
    })
}

/// The audit trail's name for an authz actor.
pub(crate) fn audit_actor(actor: &AuthzActor) -> paddock_audit::Actor {
    match actor {
        AuthzActor::User { .. } => paddock_audit::Actor::User,
        AuthzActor::Agent { .. } => paddock_audit::Actor::Agent,
        AuthzActor::SubAgent { .. } => paddock_audit::Actor::SubAgent,
        AuthzActor::System => paddock_audit::Actor::System,
    }
}

/// Records a refusal as a warning event and builds its answer.
fn refused(engine: &Engine, status: StatusCode, path: &str, task: Option<&str>, detail: Value, why: String) -> Response<Full<Bytes>> {
    let mut ev = NewEvent::new(paddock_audit::Actor::System, Kind::Warning, "api.refused")
        .resource(path.to_owned())
        .outcome("deny")
        .detail(detail);
    if let Some(t) = task {
        ev = ev.task(t.to_owned());
    }
    engine.record(ev);
    error(status, why)
}

/// Checks the token for `action` on `resource`; a refusal is answered and
/// recorded. An agent's (or sub-agent's) token is also refused once its task
/// no longer runs in this engine.
fn authorize(engine: &Engine, token: &str, action: Action, resource: &Resource, path: &str) -> Result<Principal, Response<Full<Bytes>>> {
    let task = resource.task().map(|t| t.id.to_string());
    let (result, decision) = engine.access.decide(token, action, resource);
    let principal = match result {
        Ok(p) => p,
        Err(e) => {
            let status = match e.kind() {
                paddock_authz::ErrorKind::Malformed | paddock_authz::ErrorKind::Forged => StatusCode::UNAUTHORIZED,
                paddock_authz::ErrorKind::WrongAudience
                | paddock_authz::ErrorKind::NotYetValid
                | paddock_authz::ErrorKind::Expired => StatusCode::UNAUTHORIZED,
                paddock_authz::ErrorKind::OutOfScope | paddock_authz::ErrorKind::PolicyDenied => StatusCode::FORBIDDEN,
            };
            let detail = serde_json::to_value(&decision).unwrap_or(Value::Null);
            return Err(refused(engine, status, path, task.as_deref(), detail, decision.reason));
        }
    };
    if let Some(own) = principal.actor.task()
        && !engine.is_running_here(own.as_str())
    {
        let why = format!("{} no longer runs in this engine; its token is void", principal.actor);
        tracing::warn!(path, "engine API refused a request: {why}");
        let mut detail = serde_json::to_value(&decision).unwrap_or(Value::Null);
        detail["allowed"] = json!(false);
        detail["reason"] = json!(why);
        return Err(refused(engine, StatusCode::FORBIDDEN, path, task.as_deref(), detail, why));
    }
    Ok(principal)
}

/// The task `id` as an authz resource. A task that does not exist is
/// authorized as if the caller owned it (so a bad token is refused first,
/// and only a valid caller learns that it does not exist).
fn task_ref(engine: &Engine, id: &str) -> Result<(paddock_authz::TaskRef, bool), Response<Full<Bytes>>> {
    let task = engine.store.task(id).map_err(engine_error)?;
    let owner = task.as_ref().map_or_else(|| engine.access.user().to_string(), |t| t.owner.clone());
    let r = Access::task_ref(id, &owner).map_err(|e| error(StatusCode::BAD_REQUEST, e))?;
    Ok((r, task.is_some()))
}

fn approval_ref(engine: &Engine, id: &str) -> Result<(ApprovalRecord, Resource), Response<Full<Bytes>>> {
    let object = Access::object_id(id).map_err(|e| error(StatusCode::BAD_REQUEST, e))?;
    let a = engine
        .store
        .approval(id)
        .map_err(engine_error)?
        .ok_or_else(|| engine_error(EngineError::NoSuchApproval(id.to_owned())))?;
    let (task, _) = task_ref(engine, &a.task_id)?;
    Ok((a, Resource::Approval { task, approval: object }))
}

async fn handle(engine: Arc<Engine>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    match route(&engine, req).await {
        Ok(r) | Err(r) => r,
    }
}

async fn route(engine: &Arc<Engine>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Response<Full<Bytes>>> {
    let token = bearer(&req);
    let path = req.uri().path().to_owned();
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let method = req.method().clone();
    match (method, parts.as_slice()) {
        (Method::GET, ["v1", "tasks"]) => {
            authorize(engine, &token, Action::TasksList, &Resource::TaskList, &path)?;
            Ok(engine.store.tasks().map(ok).unwrap_or_else(engine_error))
        }
        (Method::POST, ["v1", "tasks"]) => {
            authorize(engine, &token, Action::TasksCreate, &Resource::TaskList, &path)?;
            let spec: TaskSpec = body_json(req).await?;
            Ok(match engine.launch(spec) {
                Ok(id) => ok(json!({ "id": id })),
                Err(e) => engine_error(e),
            })
        }
        (Method::GET, ["v1", "tasks", id]) => {
            let (task, exists) = task_ref(engine, id)?;
            authorize(engine, &token, Action::TasksRead, &Resource::Task { task }, &path)?;
            if !exists {
                return Err(engine_error(EngineError::NoSuchTask((*id).to_owned())));
            }
            Ok(match engine.store.task(id) {
                Ok(Some(t)) => ok(t),
                Ok(None) => engine_error(EngineError::NoSuchTask((*id).to_owned())),
                Err(e) => engine_error(e),
            })
        }
        (Method::POST, ["v1", "tasks", id, "stop"]) => {
            let (task, _) = task_ref(engine, id)?;
            let p = authorize(engine, &token, Action::TasksStop, &Resource::Task { task }, &path)?;
            Ok(engine.stop(id, audit_actor(&p.actor)).map(ok).unwrap_or_else(engine_error))
        }
        (Method::POST, ["v1", "tasks", id, "revoke"]) => {
            let (task, _) = task_ref(engine, id)?;
            let lease = Access::object_id("all").map_err(|e| error(StatusCode::BAD_REQUEST, e))?;
            let p = authorize(engine, &token, Action::CredsRevoke, &Resource::Creds { task, lease }, &path)?;
            Ok(engine.revoke_now(id, audit_actor(&p.actor)).map(|()| ok(json!({ "revoked": true }))).unwrap_or_else(engine_error))
        }
        (Method::GET, ["v1", "tasks", id, "events"]) => {
            let (task, _) = task_ref(engine, id)?;
            authorize(engine, &token, Action::AuditRead, &Resource::TaskAudit { task }, &path)?;
            let after = query_param(&req, "after").and_then(|s| s.parse().ok());
            Ok(engine.task_events(id, after, 1000).map(ok).unwrap_or_else(engine_error))
        }
        (Method::POST, ["v1", "gate", "decisions"]) => {
            let d: GateDecisionIn = body_json(req).await?;
            let (task, exists) = task_ref(engine, &d.task_id)?;
            let p = authorize(engine, &token, Action::GateAppendDecision, &Resource::Task { task }, &path)?;
            if !exists {
                return Err(engine_error(EngineError::NoSuchTask(d.task_id)));
            }
            Ok(engine.append_gate_decision(d, audit_actor(&p.actor)).map(ok).unwrap_or_else(engine_error))
        }
        (Method::GET, ["v1", "approvals"]) => {
            authorize(engine, &token, Action::TasksList, &Resource::TaskList, &path)?;
            let pending = query_param(&req, "pending").is_some_and(|v| v == "1" || v == "true");
            Ok(engine.store.approvals(pending).map(ok).unwrap_or_else(engine_error))
        }
        (Method::GET, ["v1", "approvals", id]) => {
            let (a, _) = approval_ref(engine, id)?;
            let (task, _) = task_ref(engine, &a.task_id)?;
            authorize(engine, &token, Action::TasksRead, &Resource::Task { task }, &path)?;
            Ok(ok(a))
        }
        (Method::GET, ["v1", "approvals", id, "wait"]) => {
            let (_, resource) = approval_ref(engine, id)?;
            authorize(engine, &token, Action::ApprovalsWait, &resource, &path)?;
            let secs = query_param(&req, "timeout_secs").and_then(|s| s.parse().ok()).unwrap_or(u64::MAX);
            Ok(engine.wait_approval(id, Duration::from_secs(secs)).await.map(ok).unwrap_or_else(engine_error))
        }
        (Method::POST, ["v1", "approvals", id, "decision"]) => {
            let (_, resource) = approval_ref(engine, id)?;
            let p = authorize(engine, &token, Action::ApprovalsDecide, &resource, &path)?;
            #[derive(Deserialize)]
            struct Body {
                decision: ApprovalDecision,
            }
            let b: Body = body_json(req).await?;
            Ok(engine.decide_approval_as(id, b.decision, &p.actor.to_string()).map(ok).unwrap_or_else(engine_error))
        }
        (Method::POST, ["v1", "tokens", "child"]) => {
            let c: ChildTokenIn = body_json(req).await?;
            let ttl = chrono::Duration::seconds(i64::try_from(c.ttl_secs).unwrap_or(i64::MAX).min(crate::access::MAX_TOKEN_TTL_SECS));
            let detail = |why: &str| json!({ "actions": c.actions, "ttl_secs": c.ttl_secs, "reason": why });
            let parent_task = match engine.access.task_of(&token) {
                Ok(t) => t.to_string(),
                Err(e) => {
                    let why = format!("no sub-agent token: {e}");
                    tracing::warn!(path, "engine API refused a request: {why}");
                    return Err(refused(engine, StatusCode::FORBIDDEN, &path, None, detail(&why), why));
                }
            };
            if !engine.is_running_here(&parent_task) {
                let why = format!("no sub-agent token: task {parent_task} no longer runs in this engine");
                return Err(refused(engine, StatusCode::FORBIDDEN, &path, Some(&parent_task), detail(&why), why));
            }
            match engine.access.child_token(&token, &c.actions, ttl) {
                Ok(child) => {
                    engine.record(
                        NewEvent::new(paddock_audit::Actor::Agent, Kind::Task, "token.child")
                            .task(parent_task)
                            .outcome("issued")
                            .detail(json!({ "actions": c.actions, "ttl_secs": c.ttl_secs })),
                    );
                    Ok(ok(json!({ "token": child })))
                }
                Err(e) => {
                    let why = format!("no sub-agent token: {e}");
                    tracing::warn!(path, "engine API refused a request: {why}");
                    Err(refused(engine, StatusCode::FORBIDDEN, &path, Some(&parent_task), detail(&why), why))
                }
            }
        }
        _ => Err(error(StatusCode::NOT_FOUND, format!("no such endpoint: {path}"))),
    }
}
