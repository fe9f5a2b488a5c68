//! `paddock-sandbox`: launch a command inside an OS sandbox, or refuse.
//!
//! A [`Manifest`] says what the command may read, write, never see, which
//! network it gets (none, or only the egress proxy) and which environment
//! (an allowlist). [`select_backend`] picks a backend that really works on
//! this machine (bubblewrap on Linux, probed by starting a sandbox) and
//! **fails closed**: with none working it returns [`SandboxError::NoBackend`]
//! naming the exact install command, unless `PADDOCK_ALLOW_UNSANDBOXED=1`, in
//! which case the result says so ([`Selected::Unsandboxed`],
//! [`Isolation::Unsandboxed`]) and the caller must log a warning event.
//!
//! Invariants of the bubblewrap backend (each has an attack in
//! `tests/escape.rs`; `tests/escape_mutations.py` removes each protection in
//! turn and checks the attacks naming it then fail, see
//! `tests/data/escape_mutations.toml`; rules no attack can exercise on the
//! running kernel, like x32, are checked on the compiled seccomp programs in
//! `tests/seccomp_filter.rs`):
//! - no host path is visible unless the manifest lists it; the real HOME never
//!   is (a private, size-limited tmpfs HOME replaces it), and never-visible
//!   paths are masked even under a listed path;
//! - nothing is writable except the listed writable roots, the private HOME
//!   and a size-limited `/tmp`; protected paths inside writable roots (git
//!   hooks and config, shell rc files, agent config dirs) are read-only;
//! - no inherited environment except the allowlist; loader/interpreter/shell
//!   injection variables (`LD_*`, `NODE_OPTIONS`, `BASH_ENV`...) never pass;
//! - uid 1000 in a user namespace, no capabilities, no_new_privs, own
//!   pid/ipc/uts/net/cgroup namespaces, new session (no TIOCSTI on the
//!   caller's terminal), dies with its parent;
//! - seccomp: no ptrace, mount, keyring, io_uring, new namespaces, and no
//!   `AF_UNIX` sockets for the agent unless granted;
//! - network: loopback only; in ProxyOnly mode the only route out is the
//!   egress proxy's unix socket, reached through a bridge run by the
//!   in-sandbox init ([`init`]) on `127.0.0.1:<port>`.
//!
//! Not enforced: a size quota on the writable worktree (it is a bind mount of
//! the host filesystem; `/tmp` and HOME are size-limited tmpfs). Protected
//! paths that do not exist when the sandbox starts (e.g. no `.envrc`) can be
//! created by the command (`.git/hooks` is created first so it is protected).
//!
//! What is verified where:
//! | backend | status | verified |
//! |---|---|---|
//! | bubblewrap (Linux) | implemented | escape suite against real bwrap, in CI |
//! | Podman (Linux) | implemented, network none only, needs a local rootfs (an empty directory works) | argument tests and a real container run (podman + runc, picked on hybrid-cgroup hosts) |
//! | sandbox-exec (macOS) | implemented, network none only (proxy-only refused); offered on macOS only | SBPL expected-text tests and the command it builds (run through a stand-in for sandbox-exec) on Linux; never run on macOS |
//! | AppContainer (Windows) | design + cfg-gated stub, reports unavailable | nothing runs |

mod backend;
pub mod env;
mod error;
pub mod macos;
pub mod sandbox_exec;
mod manifest;
pub mod windows;

#[cfg(target_os = "linux")]
pub mod bwrap;
#[cfg(target_os = "linux")]
pub mod init;
#[cfg(target_os = "linux")]
pub mod install_hint;
#[cfg(target_os = "linux")]
pub mod podman;
#[cfg(target_os = "linux")]
pub mod seccomp;

pub use backend::{
    ALLOW_UNSANDBOXED_ENV, Backend, BackendKind, BackendStatus, InitProgram, Isolation, Policy,
    SandboxedCommand, Selected, UnsandboxedWarning, check, select_backend,
};
pub use error::SandboxError;
pub use manifest::{
    DEFAULT_NEVER_VISIBLE, DEFAULT_PROTECTED, DEFAULT_READ_ONLY, EnvPolicy, HomeSeed, Manifest,
    ManifestBuilder, Network, SANDBOX_HOME, SANDBOX_INIT, SANDBOX_PROXY_SOCKET, ToolCache,
};
