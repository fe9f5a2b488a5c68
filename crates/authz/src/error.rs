//! Errors. None of them carries token text, key bytes or signatures: only a token's id (a
//! UUID, shown once the signature has been verified, so an attacker cannot put words into the
//! audit trail), the action and the resource asked for.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::{Action, InvalidName};

/// The distinct ways a request is refused; stable snake_case names for the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Malformed,
    Forged,
    WrongAudience,
    NotYetValid,
    Expired,
    OutOfScope,
    PolicyDenied,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Malformed => "malformed",
            ErrorKind::Forged => "forged",
            ErrorKind::WrongAudience => "wrong_audience",
            ErrorKind::NotYetValid => "not_yet_valid",
            ErrorKind::Expired => "expired",
            ErrorKind::OutOfScope => "out_of_scope",
            ErrorKind::PolicyDenied => "policy_denied",
        }
    }
}

/// Why `authorize` refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("token is malformed: {0}")]
    Malformed(&'static str),
    #[error(
        "token signature does not verify with this engine's key (forged, tampered or from another install)"
    )]
    Forged,
    #[error("token {token_id} was issued for another service, not this engine")]
    WrongAudience { token_id: Uuid },
    #[error("token {token_id} is not valid before {not_before}")]
    NotYetValid {
        token_id: Uuid,
        not_before: DateTime<Utc>,
    },
    #[error("token {token_id} expired at {expired_at}")]
    Expired {
        token_id: Uuid,
        expired_at: DateTime<Utc>,
    },
    #[error("token {token_id} does not grant {action} on {resource}")]
    OutOfScope {
        token_id: Uuid,
        action: Action,
        resource: String,
    },
    #[error("policy denies {action} on {resource} for token {token_id}")]
    PolicyDenied {
        token_id: Uuid,
        action: Action,
        resource: String,
    },
}

impl AuthError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            AuthError::Malformed(_) => ErrorKind::Malformed,
            AuthError::Forged => ErrorKind::Forged,
            AuthError::WrongAudience { .. } => ErrorKind::WrongAudience,
            AuthError::NotYetValid { .. } => ErrorKind::NotYetValid,
            AuthError::Expired { .. } => ErrorKind::Expired,
            AuthError::OutOfScope { .. } => ErrorKind::OutOfScope,
            AuthError::PolicyDenied { .. } => ErrorKind::PolicyDenied,
        }
    }

    /// The id of the (signature-verified) token, when there was one.
    pub fn token_id(&self) -> Option<Uuid> {
        match self {
            AuthError::Malformed(_) | AuthError::Forged => None,
            AuthError::WrongAudience { token_id }
            | AuthError::NotYetValid { token_id, .. }
            | AuthError::Expired { token_id, .. }
            | AuthError::OutOfScope { token_id, .. }
            | AuthError::PolicyDenied { token_id, .. } => Some(*token_id),
        }
    }
}

/// Why a token could not be minted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MintError {
    #[error(
        "the system actor never gets a token; the engine uses Authorizer::authorize_system in process"
    )]
    SystemActor,
    #[error("a token must allow at least one action on at least one resource")]
    EmptyScope,
    #[error("an agent token of task {task} may only name its own task, not {resource}")]
    ForeignTask { task: String, resource: String },
    #[error("token lifetime must be positive and end at most {max_secs}s from now")]
    BadLifetime { max_secs: i64 },
    #[error("sub-agent tokens must be minted with mint_child from the parent's token")]
    SubAgentWithoutParent,
    #[error("the parent token is not valid: {0}")]
    Parent(#[source] AuthError),
    #[error("only agent and sub-agent tokens can mint sub-agent tokens")]
    ParentNotAnAgent,
    #[error("refused to widen token {parent}: {reason}")]
    Widening { parent: Uuid, reason: String },
    #[error("{0}")]
    Invalid(#[from] InvalidName),
    #[error("signing the token failed")]
    Signing,
}

/// Errors setting up an authorizer: the key file, the policies.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("authz signing key {path} {reason}")]
    Key { path: PathBuf, reason: String },
    #[error("{action} authz signing key {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not generate an Ed25519 key pair")]
    KeyGeneration,
    #[error("authz policies are invalid: {0}")]
    Policy(String),
}

impl SetupError {
    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        SetupError::Io {
            action,
            path: path.to_owned(),
            source,
        }
    }
}
