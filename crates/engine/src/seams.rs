//! Where cloud credentials plug into the engine: [`CredentialLeaser`]
//! (implemented with `paddock-creds` in [`crate::creds`]). The default,
//! [`NoCredentials`], refuses every grant: fail closed.

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
    /// Leases what `grants` name (e.g. `s3:read bucket/prefix`) for `task_id`,
    /// for at most `ttl`.
    fn grant(&self, task_id: &str, grants: &[String], ttl: std::time::Duration) -> Result<LeaseEnv, EngineError>;
    /// Revokes every lease of `task_id`; succeeding when there are none.
    fn revoke(&self, task_id: &str) -> Result<(), EngineError>;
}

/// No credential provider: a task asking for grants is refused (fail
/// closed), and there is never anything to revoke.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoCredentials;

impl CredentialLeaser for NoCredentials {
    fn grant(&self, _task_id: &str, grants: &[String], _ttl: std::time::Duration) -> Result<LeaseEnv, EngineError> {
        if grants.is_empty() {
            return Ok(Vec::new());
        }
        Err(EngineError::Credentials(format!(
            "this engine has no cloud credential provider (no aws.toml in the data directory), so it cannot lease {}; configure one or run the task without --grant",
            grants.join(", ")
        )))
    }

    fn revoke(&self, _task_id: &str) -> Result<(), EngineError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_credentials_refuses_grants_and_revokes_nothing() {
        assert!(NoCredentials.grant("t", &[], std::time::Duration::from_secs(60)).unwrap().is_empty());
        assert!(NoCredentials.grant("t", &["s3:read b".into()], std::time::Duration::from_secs(60)).is_err());
        assert!(NoCredentials.revoke("t").is_ok());
    }
}
