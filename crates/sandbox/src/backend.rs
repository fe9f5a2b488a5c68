//! Backend selection (fail closed) and the command handle callers spawn.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};

use crate::env::sandbox_env;
use crate::error::SandboxError;
use crate::manifest::Manifest;

/// Environment variable that allows running without any sandbox.
pub const ALLOW_UNSANDBOXED_ENV: &str = "PADDOCK_ALLOW_UNSANDBOXED";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackendKind {
    Bubblewrap,
    Podman,
    SandboxExec,
    AppContainer,
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BackendKind::Bubblewrap => "bubblewrap",
            BackendKind::Podman => "podman",
            BackendKind::SandboxExec => "sandbox-exec",
            BackendKind::AppContainer => "appcontainer",
        })
    }
}

/// Whether a backend works on this machine, and if not, why and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendStatus {
    pub kind: BackendKind,
    pub available: bool,
    pub detail: String,
    /// The exact command (or step) that would make it work.
    pub fix: Option<String>,
}

/// A sandbox implementation.
pub trait Backend: Send + Sync + fmt::Debug {
    fn kind(&self) -> BackendKind;
    /// Probes the machine (may start a tiny sandbox).
    fn status(&self) -> BackendStatus;
    /// Builds the command running `argv` inside a sandbox described by `manifest`.
    fn command(
        &self,
        manifest: &Manifest,
        argv: &[OsString],
    ) -> Result<SandboxedCommand, SandboxError> {
        self.command_with_host_env(manifest, argv, std::env::vars_os().collect())
    }
    /// Same, filtering the given host environment instead of this process's.
    fn command_with_host_env(
        &self,
        manifest: &Manifest,
        argv: &[OsString],
        host_env: Vec<(OsString, OsString)>,
    ) -> Result<SandboxedCommand, SandboxError>;
}

/// A backend's probe launch: runs `program` under `backend` with `manifest`,
/// stdin and stdout closed, and returns how it ended with its stderr (what a
/// status shows when the sandbox itself cannot start).
pub(crate) fn probe_launch(
    backend: &dyn Backend,
    manifest: &Manifest,
    program: &str,
) -> Result<std::process::Output, SandboxError> {
    let mut cmd = backend.command(manifest, &[program.into()])?;
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    cmd.spawn()?.wait_with_output().map_err(SandboxError::Io)
}

/// The program the sandbox runs as its init in ProxyOnly mode (to start the
/// loopback→unix-socket bridge before the agent). It is invoked as
/// `<path> __sandbox-init ...`; both `paddock` and `paddock-sandbox-init`
/// accept that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitProgram {
    pub path: PathBuf,
}

impl InitProgram {
    /// The running executable: correct when the caller is `paddock` itself.
    pub fn current_exe() -> Result<Self, SandboxError> {
        let path = std::env::current_exe().map_err(|e| SandboxError::Init {
            path: PathBuf::from("<current executable>"),
            reason: e.to_string(),
        })?;
        Ok(Self { path })
    }
}

/// What the caller learns about the isolation of a command it spawns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Isolation {
    Sandboxed {
        backend: BackendKind,
    },
    /// No isolation at all: the caller must surface this (audit warning event,
    /// persistent banner in the app).
    Unsandboxed(UnsandboxedWarning),
}

/// Why a command runs without a sandbox. Displayed as a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsandboxedWarning {
    /// What was wrong with each backend.
    pub reason: String,
}

impl fmt::Display for UnsandboxedWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "running WITHOUT a sandbox because {ALLOW_UNSANDBOXED_ENV}=1: the command can read your secrets and \
             write anywhere you can. No backend works here: {}",
            self.reason
        )
    }
}

/// A command ready to start, knowing how isolated it will be.
#[derive(Debug)]
pub struct SandboxedCommand {
    command: Command,
    isolation: Isolation,
    /// Open, inheritable fds the command reads at start (bwrap's seccomp
    /// programs), closed right after the spawn.
    #[cfg(unix)]
    inherited: Vec<std::os::fd::OwnedFd>,
    /// Started once already while it had inherited fds: a second start would
    /// hand bwrap fd numbers that are closed, or reused by something else.
    spent: bool,
    /// A private HOME made on the host for this command (sandbox-exec), removed
    /// when the command is dropped: keep the command until the child is done.
    private_home: Option<tempfile::TempDir>,
}

impl SandboxedCommand {
    pub(crate) fn new(command: Command, isolation: Isolation) -> Self {
        Self {
            command,
            isolation,
            #[cfg(unix)]
            inherited: Vec::new(),
            spent: false,
            private_home: None,
        }
    }

    /// Keeps `home` (and so the directory) alive as long as this command.
    pub(crate) fn keeping(mut self, home: tempfile::TempDir) -> Self {
        self.private_home = Some(home);
        self
    }

    #[cfg(unix)]
    pub(crate) fn inheriting(mut self, fds: Vec<std::os::fd::OwnedFd>) -> Self {
        self.inherited = fds;
        self
    }

    pub fn isolation(&self) -> &Isolation {
        &self.isolation
    }

    pub fn is_sandboxed(&self) -> bool {
        matches!(self.isolation, Isolation::Sandboxed { .. })
    }

    pub fn stdin(&mut self, cfg: Stdio) -> &mut Self {
        self.command.stdin(cfg);
        self
    }
    pub fn stdout(&mut self, cfg: Stdio) -> &mut Self {
        self.command.stdout(cfg);
        self
    }
    pub fn stderr(&mut self, cfg: Stdio) -> &mut Self {
        self.command.stderr(cfg);
        self
    }

    /// The underlying host command (bwrap and its arguments), for logs and tests.
    pub fn as_command(&self) -> &Command {
        &self.command
    }

    /// Starts the command. The sandbox dies with the *thread* that spawned it
    /// (bwrap `--die-with-parent` uses `PR_SET_PDEATHSIG`): spawn from a
    /// long-lived thread, not from a short-lived worker.
    ///
    /// One spawn per command: the inherited fds are closed after the first.
    pub fn spawn(&mut self) -> Result<Child, SandboxError> {
        let program = self.command.get_program().to_string_lossy().into_owned();
        if self.spent {
            return Err(SandboxError::Spawn {
                program,
                source: std::io::Error::other(
                    "this sandboxed command was already started once; build a new one",
                ),
            });
        }
        let child = self.command.spawn();
        #[cfg(unix)]
        if !self.inherited.is_empty() {
            self.inherited.clear();
            self.spent = true;
        }
        child.map_err(|source| SandboxError::Spawn { program, source })
    }

    /// Runs to completion with inherited stdio.
    pub fn status(&mut self) -> Result<ExitStatus, SandboxError> {
        self.spawn()?.wait().map_err(SandboxError::Io)
    }
}

/// How to choose a backend. `Policy::from_env()` is what the CLI and app use.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Run without isolation when no backend works (`PADDOCK_ALLOW_UNSANDBOXED=1`).
    pub allow_unsandboxed: bool,
    /// Use this bwrap instead of the one on PATH.
    pub bwrap: Option<PathBuf>,
    /// Init program for ProxyOnly mode (default: the running executable).
    pub init: Option<InitProgram>,
    /// Podman: a local root filesystem to run in (`PADDOCK_PODMAN_ROOTFS`).
    /// Without one the Podman backend is not offered (no image can be assumed).
    pub podman_rootfs: Option<PathBuf>,
    /// Podman OCI runtime override (`PADDOCK_PODMAN_RUNTIME`).
    pub podman_runtime: Option<String>,
    /// Only consider this backend.
    pub only: Option<BackendKind>,
    /// Trust a located backend without starting a probe sandbox first (saves
    /// one sandbox launch). Still fails closed: a backend that cannot start
    /// makes the command fail, it never runs unsandboxed. Ignored when
    /// `allow_unsandboxed` is set (the fallback needs the probe's answer).
    pub skip_probe: bool,
}

impl Policy {
    pub fn from_env() -> Self {
        Self {
            allow_unsandboxed: std::env::var(ALLOW_UNSANDBOXED_ENV).is_ok_and(|v| v == "1"),
            podman_rootfs: std::env::var_os("PADDOCK_PODMAN_ROOTFS").map(PathBuf::from),
            podman_runtime: std::env::var("PADDOCK_PODMAN_RUNTIME").ok(),
            ..Self::default()
        }
    }
}

/// The outcome of [`select_backend`]: a working backend, or explicit
/// permission to run unsandboxed (which the caller must log as a warning).
#[derive(Debug)]
pub enum Selected {
    Sandboxed(Box<dyn Backend>),
    Unsandboxed(UnsandboxedWarning),
}

impl Selected {
    pub fn isolation(&self) -> Isolation {
        match self {
            Selected::Sandboxed(b) => Isolation::Sandboxed { backend: b.kind() },
            Selected::Unsandboxed(w) => Isolation::Unsandboxed(w.clone()),
        }
    }

    pub fn warning(&self) -> Option<&UnsandboxedWarning> {
        match self {
            Selected::Sandboxed(_) => None,
            Selected::Unsandboxed(w) => Some(w),
        }
    }

    /// Builds the command. Unsandboxed, it still gets the environment
    /// allowlist and working directory, nothing else.
    pub fn command(
        &self,
        manifest: &Manifest,
        argv: &[OsString],
    ) -> Result<SandboxedCommand, SandboxError> {
        match self {
            Selected::Sandboxed(backend) => backend.command(manifest, argv),
            Selected::Unsandboxed(warning) => {
                let (program, args) = argv.split_first().ok_or(SandboxError::EmptyCommand)?;
                manifest.validate()?;
                let mut command = Command::new(program);
                command
                    .args(args)
                    .env_clear()
                    .envs(sandbox_env(manifest, std::env::vars_os()));
                if let Some(dir) = manifest.workdir.as_ref().or(manifest.writable.first()) {
                    command.current_dir(manifest.expand(dir));
                }
                Ok(SandboxedCommand::new(
                    command,
                    Isolation::Unsandboxed(warning.clone()),
                ))
            }
        }
    }
}

/// Every backend this build knows, in order of preference, each either
/// constructed or with the status saying why not.
fn candidates(policy: &Policy) -> Vec<Result<Box<dyn Backend>, BackendStatus>> {
    let mut list: Vec<Result<Box<dyn Backend>, BackendStatus>> = Vec::new();
    #[cfg(target_os = "linux")]
    {
        list.push(
            crate::bwrap::BwrapBackend::locate(policy.bwrap.clone(), policy.init.clone())
                .map(|b| Box::new(b) as Box<dyn Backend>),
        );
        list.push(
            crate::podman::PodmanBackend::locate(
                policy.podman_rootfs.clone(),
                policy.podman_runtime.clone(),
            )
            .map(|b| Box::new(b) as Box<dyn Backend>),
        );
    }
    list.push(
        crate::sandbox_exec::SandboxExecBackend::locate().map(|b| Box::new(b) as Box<dyn Backend>),
    );
    list.push(Err(crate::windows::status()));
    list.retain(|c| {
        let kind = match c {
            Ok(b) => b.kind(),
            Err(s) => s.kind,
        };
        policy.only.is_none_or(|only| only == kind)
    });
    list
}

/// Which backends work here, and why the others do not.
pub fn check(policy: &Policy) -> Vec<BackendStatus> {
    candidates(policy)
        .into_iter()
        .map(|c| match c {
            Ok(backend) => backend.status(),
            Err(status) => status,
        })
        .collect()
}

/// Picks the first working backend. Fails closed: with none working, returns
/// [`SandboxError::NoBackend`] naming what to install, unless the policy
/// allows running unsandboxed.
pub fn select_backend(policy: &Policy) -> Result<Selected, SandboxError> {
    let mut failures = Vec::new();
    for candidate in candidates(policy) {
        match candidate {
            Ok(backend) => {
                if policy.skip_probe && !policy.allow_unsandboxed {
                    return Ok(Selected::Sandboxed(backend));
                }
                let status = backend.status();
                if status.available {
                    return Ok(Selected::Sandboxed(backend));
                }
                failures.push(status);
            }
            Err(status) => failures.push(status),
        }
    }
    let details = failures
        .iter()
        .map(|s| match &s.fix {
            Some(fix) => format!("- {}: {}. Fix: {fix}", s.kind, s.detail),
            None => format!("- {}: {}", s.kind, s.detail),
        })
        .collect::<Vec<_>>()
        .join("\n");
    if policy.allow_unsandboxed {
        tracing::warn!(
            "no sandbox backend works; running unsandboxed as {ALLOW_UNSANDBOXED_ENV}=1 allows"
        );
        Ok(Selected::Unsandboxed(UnsandboxedWarning {
            reason: details.replace('\n', " "),
        }))
    } else {
        Err(SandboxError::NoBackend { details })
    }
}
