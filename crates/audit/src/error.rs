use std::path::PathBuf;

/// Everything the audit log can fail with. Messages name the file involved and never
/// include event contents (which might hold what redaction is for).
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("audit database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("audit database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{context} {path}: {source}")]
    Io {
        context: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid audit query: {0}")]
    InvalidQuery(String),
    #[error("audit signing key {path}: {reason}")]
    Key { path: PathBuf, reason: String },
    #[error("audit database is corrupt: {0}")]
    Corrupt(String),
    #[error("appending to the audit log: {0}")]
    Write(String),
    #[error("writing audit export: {0}")]
    Export(String),
}

impl AuditError {
    pub(crate) fn io(
        context: &'static str,
        path: &std::path::Path,
        source: std::io::Error,
    ) -> Self {
        AuditError::Io {
            context,
            path: path.to_owned(),
            source,
        }
    }
}
