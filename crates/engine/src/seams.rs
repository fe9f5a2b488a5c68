//! The two places other crates plug into the engine: cloud credentials
//! ([`CredentialLeaser`], implemented by `paddock-creds`) and access control
//! on the local API ([`Authorizer`], implemented by `paddock-authz`). The
//! defaults here are deliberately minimal: no credentials at all, and
//! per-task random bearer tokens plus one user token.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;

use crate::error::EngineError;

/// Environment variables (name, value) a lease puts into the agent's sandbox.
pub type LeaseEnv = Vec<(String, String)>;

/// Leases short-lived cloud credentials for a task and revokes them.
///
/// The engine calls [`grant`](Self::grant) before the agent starts (a failure
/// refuses the task) and [`revoke`](Self::revoke) exactly when the task ends
/// (exit, TTL, cancel) and again during crash recovery, so `revoke` must be
/// idempotent and must work from a fresh process that only knows the task id.
pub trait CredentialLeaser: Send + Sync {
    /// Leases what `grants` name (e.g. `aws:s3-read:bucket`) for `task_id`.
    fn grant(&self, task_id: &str, grants: &[String]) -> Result<LeaseEnv, EngineError>;
    /// Revokes every lease of `task_id`; succeeding when there are none.
    fn revoke(&self, task_id: &str) -> Result<(), EngineError>;
}

/// No credential provider: a task asking for grants is refused (fail
/// closed), and there is never anything to revoke.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoCredentials;

impl CredentialLeaser for NoCredentials {
    fn grant(&self, _task_id: &str, grants: &[String]) -> Result<LeaseEnv, EngineError> {
        if grants.is_empty() {
            return Ok(Vec::new());
        }
        Err(EngineError::Credentials(format!(
            "this engine has no cloud credential provider, so it cannot lease {}; run the task without --grant",
            grants.join(", ")
        )))
    }

    fn revoke(&self, _task_id: &str) -> Result<(), EngineError> {
        Ok(())
    }
}

/// What a caller of the local API wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Append a gate decision to the audit trail (the hook).
    AppendGateDecision,
    /// Open an approval and wait for it (the hook).
    RequestApproval,
    /// Decide an approval (a person).
    DecideApproval,
    /// List or read tasks and approvals.
    Read,
    /// Launch a task.
    LaunchTask,
    /// Stop a task.
    StopTask,
}

/// Who a valid token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The person (CLI, app): may do everything.
    User,
    /// The agent of one task: may only append gate decisions and request
    /// approvals for that task.
    TaskAgent { task_id: String },
}

/// Why a request was refused (logged and answered 401/403).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// No token, or a token nobody issued.
    Unauthenticated,
    /// A valid token that may not do this.
    Forbidden(String),
}

/// Decides who may call what on the engine's API.
pub trait Authorizer: Send + Sync {
    /// A token for the agent of `task_id`, valid until [`forget_task`](Self::forget_task).
    fn mint_task_token(&self, task_id: &str) -> String;
    /// Invalidates the task's tokens (the task ended).
    fn forget_task(&self, task_id: &str);
    /// Checks `bearer` for `action` on `task_id` (None: not about one task).
    fn authorize(&self, bearer: &str, action: Action, task_id: Option<&str>) -> Result<Principal, AuthError>;
}

/// Random tokens compared in constant time: one user token, kept in a 0600
/// file in the data dir (the CLI and app read it; the sandbox never sees the
/// data dir), and one token per task handed to that task's agent.
pub struct LocalAuthorizer {
    user_token: String,
    tasks: Mutex<HashMap<String, String>>,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl LocalAuthorizer {
    /// Reads the user token from `path`, creating it (0600) if missing.
    pub fn load_or_create(path: &Path) -> Result<LocalAuthorizer, EngineError> {
        let user_token = read_or_create_token(path)?;
        Ok(LocalAuthorizer { user_token, tasks: Mutex::new(HashMap::new()) })
    }

    pub fn user_token(&self) -> &str {
        &self.user_token
    }
}

/// The user token file: created once with mode 0600 and 64 hex characters.
pub fn read_or_create_token(path: &Path) -> Result<String, EngineError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    match std::fs::read_to_string(path) {
        Ok(t) if t.trim().len() == 64 => return Ok(t.trim().to_owned()),
        Ok(_) => {
            return Err(EngineError::Refused(format!(
                "{} is not a Paddock token file; remove it and run again",
                path.display()
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(EngineError::io(format!("reading {}", path.display()))(e)),
    }
    let token = random_token();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(EngineError::io(format!("creating {}", path.display())))?;
    file.write_all(token.as_bytes()).map_err(EngineError::io(format!("writing {}", path.display())))?;
    Ok(token)
}

impl Authorizer for LocalAuthorizer {
    fn mint_task_token(&self, task_id: &str) -> String {
        let token = random_token();
        self.tasks.lock().unwrap_or_else(PoisonError::into_inner).insert(task_id.to_owned(), token.clone());
        token
    }

    fn forget_task(&self, task_id: &str) {
        self.tasks.lock().unwrap_or_else(PoisonError::into_inner).remove(task_id);
    }

    fn authorize(&self, bearer: &str, action: Action, task_id: Option<&str>) -> Result<Principal, AuthError> {
        if same(bearer, &self.user_token) {
            return Ok(Principal::User);
        }
        let tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        // Every entry is compared, so the time taken does not say which matched.
        let owner = tasks.iter().fold(None, |found, (id, tok)| if same(bearer, tok) { Some(id.clone()) } else { found });
        let Some(owner) = owner else { return Err(AuthError::Unauthenticated) };
        match action {
            Action::AppendGateDecision | Action::RequestApproval if task_id == Some(owner.as_str()) => {
                Ok(Principal::TaskAgent { task_id: owner })
            }
            Action::AppendGateDecision | Action::RequestApproval => {
                Err(AuthError::Forbidden(format!("the agent of task {owner} may not act for another task")))
            }
            other => Err(AuthError::Forbidden(format!("an agent token may not {other:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_tokens_are_scoped_to_their_task_and_actions() {
        let dir = tempfile::tempdir().unwrap();
        let auth = LocalAuthorizer::load_or_create(&dir.path().join("t")).unwrap();
        let a = auth.mint_task_token("a");
        let _b = auth.mint_task_token("b");
        assert_eq!(auth.authorize(&a, Action::AppendGateDecision, Some("a")), Ok(Principal::TaskAgent { task_id: "a".into() }));
        assert!(matches!(auth.authorize(&a, Action::AppendGateDecision, Some("b")), Err(AuthError::Forbidden(_))));
        assert!(matches!(auth.authorize(&a, Action::DecideApproval, Some("a")), Err(AuthError::Forbidden(_))));
        assert!(matches!(auth.authorize(&a, Action::StopTask, Some("a")), Err(AuthError::Forbidden(_))));
        assert_eq!(auth.authorize("nope", Action::Read, None), Err(AuthError::Unauthenticated));
        assert_eq!(auth.authorize(auth.user_token(), Action::DecideApproval, Some("a")), Ok(Principal::User));
        auth.forget_task("a");
        assert_eq!(auth.authorize(&a, Action::AppendGateDecision, Some("a")), Err(AuthError::Unauthenticated));
        // The same file gives the same user token to the next process.
        let again = LocalAuthorizer::load_or_create(&dir.path().join("t")).unwrap();
        assert_eq!(again.user_token(), auth.user_token());
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(dir.path().join("t")).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn no_credentials_refuses_grants_and_revokes_nothing() {
        assert!(NoCredentials.grant("t", &[]).unwrap().is_empty());
        assert!(NoCredentials.grant("t", &["aws:read".into()]).is_err());
        assert!(NoCredentials.revoke("t").is_ok());
    }
}
