//! Windows: AppContainer backend — design, and a cfg-gated stub that reports
//! itself unavailable (so selection fails closed on Windows today).
//!
//! Design (not verified anywhere yet: no Windows machine in CI):
//! - `CreateAppContainerProfile("paddock.task.<uuid>")` per task; the process is
//!   started with `SECURITY_CAPABILITIES` for that SID via
//!   `UpdateProcThreadAttribute(PROC_THREAD_ATTRIBUTE_SECURITY_CAPABILITIES)`,
//!   with **no** capabilities: no `internetClient`, no `privateNetworkClientServer`
//!   (network: none). ProxyOnly grants loopback to the proxy bridge only via a
//!   `CheckNetIsolation`-style loopback exemption for that profile.
//! - Files: an AppContainer can read nothing of the user's profile by default.
//!   Read-only paths get an ACE `GENERIC_READ|GENERIC_EXECUTE` for the container
//!   SID, writable paths `GENERIC_ALL`; protected paths (.git\hooks, .git\config,
//!   agent configs) get an explicit deny-write ACE for the SID, which wins over
//!   the inherited allow. ACEs are removed when the task ends.
//! - Never-visible: nothing to do beyond never granting them (deny by default);
//!   a grant that contains one is refused by `Manifest::validate`.
//! - Environment: `CreateProcessW` with an explicit environment block built by
//!   `env::sandbox_env`; private HOME = `%LOCALAPPDATA%\Packages\<profile>\AC`.
//! - Lifetime: a Job Object with `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`,
//!   `ActiveProcessLimit`, and `JobMemoryLimit` (the quota `/tmp` has on Linux).
//! - Crate: `windows` (Microsoft's bindings), unsafe confined to one module.

use crate::backend::{BackendKind, BackendStatus};

/// Status of the AppContainer backend in this build.
pub fn status() -> BackendStatus {
    BackendStatus {
        kind: BackendKind::AppContainer,
        available: false,
        detail: if cfg!(windows) {
            "the AppContainer backend is designed but not implemented yet".into()
        } else {
            "Windows only".into()
        },
        fix: None,
    }
}

/// Windows-only entry point; compiled only there so the design stays honest.
#[cfg(windows)]
pub mod appcontainer {
    use crate::error::SandboxError;

    /// Refuses: there is no working AppContainer launcher yet.
    pub fn launch() -> Result<(), SandboxError> {
        Err(SandboxError::NoBackend {
            details: "- appcontainer: designed, not implemented in this build".into(),
        })
    }
}
