//! The engine's local API: HTTP/1.1 (hyper) over a unix socket (mode 0600).
//! Every request carries `Authorization: Bearer <token>`; the
//! [`Authorizer`](crate::Authorizer) decides, refusals are answered 401/403
//! and recorded as warnings in the audit trail.
//!
//! | Method and path | Action | Body → answer |
//! |---|---|---|
//! | `GET /v1/tasks` | read | → `[TaskRecord]` |
//! | `GET /v1/tasks/{id}` | read | → `TaskRecord` |
//! | `POST /v1/tasks` | launch | `TaskSpec` → `{"id"}` (the headless engine) |
//! | `POST /v1/tasks/{id}/stop` | stop | → `TaskRecord` |
//! | `POST /v1/gate/decisions` | append gate decision | `GateDecisionIn` → `{"seq"}` |
//! | `POST /v1/approvals` | request approval | `ApprovalRequest` → `ApprovalRecord` |
//! | `GET /v1/approvals[?pending=1]` | read | → `[ApprovalRecord]` |
//! | `GET /v1/approvals/{id}` | read | → `ApprovalRecord` |
//! | `GET /v1/approvals/{id}/wait?timeout_secs=N` | request approval | → `ApprovalRecord` once decided or expired |
//! | `POST /v1/approvals/{id}/decision` | decide | `{"decision":"approve"\|"deny"\|"always_allow"}` → `ApprovalRecord` |
//!
//! Errors are `{"error": "..."}` with a 4xx/5xx status.

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
use paddock_audit::{Actor, Kind, NewEvent};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::UnixListener;

use crate::approvals::{ApprovalDecision, ApprovalRequest};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::runner::TaskSpec;
use crate::seams::{Action, AuthError, Principal};

const MAX_BODY: usize = 1024 * 1024;

/// A gate decision as the hook reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GateDecisionIn {
    pub task_id: String,
    pub tool: String,
    pub resource: String,
    /// `allow`, `ask` or `deny`.
    pub verdict: String,
    pub rule_id: Option<String>,
    pub reason: String,
    #[serde(default)]
    pub detail: Value,
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

/// Checks the token; a refusal is answered and recorded.
fn authorize(
    engine: &Engine,
    token: &str,
    action: Action,
    task_id: Option<&str>,
    path: &str,
) -> Result<Principal, Response<Full<Bytes>>> {
    engine.authorizer.authorize(token, action, task_id).map_err(|e| {
        let (status, why) = match e {
            AuthError::Unauthenticated => (StatusCode::UNAUTHORIZED, "missing or unknown bearer token".to_owned()),
            AuthError::Forbidden(why) => (StatusCode::FORBIDDEN, why),
        };
        tracing::warn!(path, ?action, "engine API refused a request: {why}");
        let mut ev = NewEvent::new(Actor::System, Kind::Warning, "api.refused")
            .resource(path.to_owned())
            .outcome("deny")
            .detail(json!({ "action": action, "why": why }));
        if let Some(t) = task_id {
            ev = ev.task(t);
        }
        engine.record(ev);
        error(status, why)
    })
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
            authorize(engine, &token, Action::Read, None, &path)?;
            Ok(engine.store.tasks().map(ok).unwrap_or_else(engine_error))
        }
        (Method::GET, ["v1", "tasks", id]) => {
            authorize(engine, &token, Action::Read, Some(id), &path)?;
            Ok(match engine.store.task(id) {
                Ok(Some(t)) => ok(t),
                Ok(None) => engine_error(EngineError::NoSuchTask((*id).to_owned())),
                Err(e) => engine_error(e),
            })
        }
        (Method::POST, ["v1", "tasks"]) => {
            authorize(engine, &token, Action::LaunchTask, None, &path)?;
            let spec: TaskSpec = body_json(req).await?;
            Ok(match engine.launch(spec) {
                Ok(id) => ok(json!({ "id": id })),
                Err(e) => engine_error(e),
            })
        }
        (Method::POST, ["v1", "tasks", id, "stop"]) => {
            authorize(engine, &token, Action::StopTask, Some(id), &path)?;
            Ok(engine.stop(id, Actor::User).map(ok).unwrap_or_else(engine_error))
        }
        (Method::POST, ["v1", "gate", "decisions"]) => {
            let d: GateDecisionIn = body_json(req).await?;
            authorize(engine, &token, Action::AppendGateDecision, Some(&d.task_id), &path)?;
            let ev = NewEvent::new(Actor::Agent, Kind::GateDecision, d.tool.clone())
                .task(d.task_id.clone())
                .resource(d.resource.clone())
                .outcome(d.verdict.clone())
                .detail({
                    // The same shape as a decision the hook records itself.
                    let mut detail = match d.detail {
                        Value::Object(map) => map,
                        _ => serde_json::Map::new(),
                    };
                    detail.insert("rule_id".into(), json!(d.rule_id));
                    detail.insert("reason".into(), json!(d.reason));
                    Value::Object(detail)
                });
            Ok(match engine.audit.append(ev) {
                Ok(e) => ok(json!({ "seq": e.seq })),
                Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("audit trail: {e}")),
            })
        }
        (Method::POST, ["v1", "approvals"]) => {
            let r: ApprovalRequest = body_json(req).await?;
            authorize(engine, &token, Action::RequestApproval, Some(&r.task_id), &path)?;
            Ok(engine.request_approval(r).map(ok).unwrap_or_else(engine_error))
        }
        (Method::GET, ["v1", "approvals"]) => {
            authorize(engine, &token, Action::Read, None, &path)?;
            let pending = query_param(&req, "pending").is_some_and(|v| v == "1" || v == "true");
            Ok(engine.store.approvals(pending).map(ok).unwrap_or_else(engine_error))
        }
        (Method::GET, ["v1", "approvals", id]) => {
            authorize(engine, &token, Action::Read, None, &path)?;
            Ok(match engine.store.approval(id) {
                Ok(Some(a)) => ok(a),
                Ok(None) => engine_error(EngineError::NoSuchApproval((*id).to_owned())),
                Err(e) => engine_error(e),
            })
        }
        (Method::GET, ["v1", "approvals", id, "wait"]) => {
            let task = match engine.store.approval(id) {
                Ok(Some(a)) => a.task_id,
                Ok(None) => return Err(engine_error(EngineError::NoSuchApproval((*id).to_owned()))),
                Err(e) => return Err(engine_error(e)),
            };
            authorize(engine, &token, Action::RequestApproval, Some(&task), &path)?;
            let secs = query_param(&req, "timeout_secs").and_then(|s| s.parse().ok()).unwrap_or(u64::MAX);
            Ok(engine.wait_approval(id, Duration::from_secs(secs)).await.map(ok).unwrap_or_else(engine_error))
        }
        (Method::POST, ["v1", "approvals", id, "decision"]) => {
            authorize(engine, &token, Action::DecideApproval, None, &path)?;
            #[derive(Deserialize)]
            struct Body {
                decision: ApprovalDecision,
            }
            let b: Body = body_json(req).await?;
            Ok(engine.decide_approval(id, b.decision).map(ok).unwrap_or_else(engine_error))
        }
        _ => Err(error(StatusCode::NOT_FOUND, format!("no such endpoint: {path}"))),
    }
}
