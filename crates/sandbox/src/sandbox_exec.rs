//! The macOS backend: `sandbox-exec -p <profile> CMD…`, the profile from
//! [`crate::macos::sbpl_profile`].
//!
//! With no mount namespace, the private HOME is a fresh directory per command
//! (under the temporary directory, mode 0700), removed when the
//! [`SandboxedCommand`] is dropped; seeds and tool caches are symbolic links in
//! it to the host paths the profile allows (seeds read-only, caches writable).
//! Only `Network::None` runs: ProxyOnly needs a loopback bridge outside the
//! sandbox that does not exist yet, so such a manifest is refused rather than
//! run with more network than it asked for.
//!
//! Nothing here is platform-specific code: it compiles and its command is
//! tested on Linux. It is only *offered* on macOS ([`SandboxExecBackend::locate`]),
//! where a probe launch decides whether it works. Not verified: execution on
//! macOS (no macOS machine in CI).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::backend::{Backend, BackendKind, BackendStatus, Isolation, SandboxedCommand, probe_launch};
use crate::env::sandbox_env_with_home;
use crate::error::SandboxError;
use crate::macos::sbpl_profile;
use crate::manifest::{Manifest, Network};

/// Where macOS keeps it.
pub const SANDBOX_EXEC: &str = "/usr/bin/sandbox-exec";

#[derive(Debug, Clone)]
pub struct SandboxExecBackend {
    pub program: PathBuf,
    /// Where private HOMEs are created (the temporary directory by default).
    pub homes: PathBuf,
}

impl SandboxExecBackend {
    /// The backend on macOS, when `sandbox-exec` is there; elsewhere the
    /// status saying why not.
    pub fn locate() -> Result<Self, BackendStatus> {
        if !cfg!(target_os = "macos") {
            return Err(crate::macos::status());
        }
        let program = PathBuf::from(SANDBOX_EXEC);
        if !program.is_file() {
            return Err(BackendStatus { detail: format!("{SANDBOX_EXEC} is missing"), ..crate::macos::status() });
        }
        Ok(Self { program, homes: std::env::temp_dir() })
    }

    /// Really runs `true` under a deny-by-default profile.
    pub fn probe(&self) -> BackendStatus {
        let manifest = Manifest { writable: Vec::new(), ..Manifest::default() };
        let result = probe_launch(self, &manifest, "/usr/bin/true");
        let (available, detail) = match result {
            Ok(out) if out.status.success() => (true, format!("{} works (deny-by-default profile)", self.program.display())),
            Ok(out) => (false, format!(
                "{} cannot run a sandboxed command: {}",
                self.program.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            )),
            Err(e) => (false, format!("{} failed to start: {e}", self.program.display())),
        };
        BackendStatus { kind: BackendKind::SandboxExec, available, detail, fix: None }
    }
}

/// Creates the private HOME: an empty 0700 directory, the seeds and granted
/// caches linked into it.
fn private_home(manifest: &Manifest, homes: &Path) -> Result<tempfile::TempDir, SandboxError> {
    let home = tempfile::Builder::new().prefix("paddock-home-").tempdir_in(homes).map_err(SandboxError::Io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).map_err(SandboxError::Io)?;
    }
    let link = |from: &Path, rel: &Path| -> Result<(), SandboxError> {
        let to = home.path().join(rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(SandboxError::Io)?;
        }
        symlink(from, &to)
    };
    for seed in &manifest.home_seed {
        let from = manifest.expand(&seed.from);
        let from = std::fs::canonicalize(&from)
            .map_err(|_| SandboxError::Manifest(format!("home_seed {} does not exist", from.display())))?;
        link(&from, &seed.to)?;
    }
    for (cache_dir, rel) in manifest.tool_cache_dirs() {
        std::fs::create_dir_all(&cache_dir).map_err(SandboxError::Io)?;
        link(&cache_dir, Path::new(rel))?;
    }
    Ok(home)
}

#[cfg(unix)]
fn symlink(from: &Path, to: &Path) -> Result<(), SandboxError> {
    std::os::unix::fs::symlink(from, to).map_err(SandboxError::Io)
}

#[cfg(not(unix))]
fn symlink(_: &Path, to: &Path) -> Result<(), SandboxError> {
    Err(SandboxError::Manifest(format!("cannot link {} on this system", to.display())))
}

impl Backend for SandboxExecBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::SandboxExec
    }

    fn status(&self) -> BackendStatus {
        self.probe()
    }

    fn command_with_host_env(
        &self,
        manifest: &Manifest,
        argv: &[OsString],
        host_env: Vec<(OsString, OsString)>,
    ) -> Result<SandboxedCommand, SandboxError> {
        if argv.is_empty() {
            return Err(SandboxError::EmptyCommand);
        }
        manifest.validate()?;
        if matches!(manifest.network, Network::ProxyOnly { .. }) {
            return Err(SandboxError::Unsupported(
                "proxy-only networking is not available with sandbox-exec yet (it needs a loopback bridge outside \
                 the sandbox that Paddock does not run on macOS); the command was not started"
                    .into(),
            ));
        }
        let home = private_home(manifest, &self.homes)?;
        let home_path = std::fs::canonicalize(home.path()).map_err(SandboxError::Io)?;
        let home_str = home_path.to_str().ok_or_else(|| {
            SandboxError::Manifest(format!("the private HOME {} is not valid UTF-8", home_path.display()))
        })?;
        let mut command = Command::new(&self.program);
        command
            .arg("-p")
            .arg(sbpl_profile(manifest, &home_path))
            .args(argv)
            .env_clear()
            .envs(sandbox_env_with_home(manifest, host_env, home_str))
            .env("TMPDIR", home_path.join("tmp"));
        std::fs::create_dir_all(home_path.join("tmp")).map_err(SandboxError::Io)?;
        let workdir = manifest.workdir.as_ref().or(manifest.writable.first()).map(|w| manifest.expand(w));
        command.current_dir(workdir.unwrap_or_else(|| home_path.clone()));
        Ok(SandboxedCommand::new(command, Isolation::Sandboxed { backend: BackendKind::SandboxExec }).keeping(home))
    }
}
