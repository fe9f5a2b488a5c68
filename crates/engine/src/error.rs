//! The engine's error type. Messages are for the person running the task:
//! they say what failed and what to do, and never carry a secret.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("task store {path}: {source}")]
    Store { path: PathBuf, source: rusqlite::Error },
    #[error("audit trail: {0}")]
    Audit(#[from] paddock_audit::AuditError),
    #[error("sandbox: {0}")]
    Sandbox(#[from] paddock_sandbox::SandboxError),
    #[error("git: {0}")]
    Git(String),
    #[error("egress proxy: {0}")]
    Egress(String),
    #[error("credentials: {0}")]
    Credentials(String),
    #[error("{0}")]
    Refused(String),
    #[error("no task {0:?}")]
    NoSuchTask(String),
    #[error("no approval {0:?}")]
    NoSuchApproval(String),
    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error("engine API: {0}")]
    Api(String),
    #[error("{0}")]
    BadRequest(String),
}

impl From<paddock_engine_api::ClientError> for EngineError {
    fn from(e: paddock_engine_api::ClientError) -> Self {
        EngineError::Api(e.to_string())
    }
}

impl EngineError {
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> EngineError {
        let what = what.into();
        move |source| EngineError::Io { what, source }
    }
}
