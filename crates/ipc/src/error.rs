//! The one error type that crosses IPC: `{ code, message }`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A stable, machine-readable category; the UI switches on this, never on
/// message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request was malformed or failed validation; fix the input.
    InvalidInput,
    /// The thing asked for does not exist.
    NotFound,
    /// The action is refused by policy (gate, sandbox, token scope).
    PermissionDenied,
    /// A required tool or service is missing or not running.
    Unavailable,
    /// The state changed underneath the request; retry after reloading.
    Conflict,
    /// A bug or an unexpected failure; details are in the log.
    Internal,
}

/// The wire error. `message` is written for a person and never contains a
/// secret: domain errors are redacted before they are converted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct WireError {
    pub code: ErrorCode,
    pub message: String,
}

impl WireError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_code_and_message() {
        let err = WireError::invalid_input("bad filter: unknown kind 'foo'");
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "invalid_input", "message": "bad filter: unknown kind 'foo'"})
        );
    }
}
