//! One error type for the crate. Messages are written for the engineer reading them at 3 am,
//! and never contain a secret: AWS errors are reduced to code + message, never a request dump.

use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum CredsError {
    #[error("grant `{grant}`: {why}")]
    InvalidGrant { grant: String, why: String },
    #[error(
        "the {what} would be {chars} characters, over AWS's limit of {max}; grant fewer or broader resources \
         (e.g. one prefix instead of several)"
    )]
    PolicyTooLarge { what: &'static str, chars: usize, max: usize },
    #[error("tags: {0}")]
    InvalidTag(String),
    #[error("{0}")]
    InvalidTask(String),
    #[error("provider configuration: {0}")]
    Config(String),
    #[error("admin credentials: {0}")]
    AdminCredentials(String),
    #[error("AWS {step} failed: {message}")]
    Aws { step: &'static str, message: String },
    #[error("the new credentials did not start working within {secs} s: {message}")]
    NotUsable { secs: u64, message: String },
    #[error("no lease {0}")]
    NoSuchLease(Uuid),
    #[error("lease database {path}: {source}")]
    Store { path: String, source: rusqlite::Error },
    #[error("lease database: {0}")]
    Corrupt(String),
    #[error("no provider `{0}` is configured in this build")]
    UnknownProvider(String),
}
