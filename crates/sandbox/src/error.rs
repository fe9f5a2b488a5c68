//! Errors of the sandbox crate. Messages are for the engineer reading them at
//! 3 a.m.: they say what failed and what to do.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// No backend works here and running unsandboxed was not allowed.
    #[error(
        "no working sandbox on this machine, refusing to run the command unsandboxed.\n{details}\n\
         To run WITHOUT isolation anyway (not recommended), set PADDOCK_ALLOW_UNSANDBOXED=1."
    )]
    NoBackend { details: String },
    #[error("invalid sandbox manifest: {0}")]
    Manifest(String),
    /// The backend cannot give what the manifest asks for; nothing was started.
    #[error("this sandbox cannot run the command as asked: {0}")]
    Unsupported(String),
    #[error("invalid sandbox profile: {0}")]
    Profile(String),
    #[error("no command given to run in the sandbox")]
    EmptyCommand,
    #[error("building the seccomp filter failed: {0}")]
    Seccomp(String),
    #[error("the sandbox init program {} is not usable: {reason}", path.display())]
    Init { path: PathBuf, reason: String },
    #[error("starting {program} failed: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Io(std::io::Error),
}
