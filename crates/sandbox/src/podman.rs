//! Podman backend: the same manifest as an OCI container with `--rootfs`.
//!
//! No image is pulled (none can be assumed offline): the container runs on a
//! local root filesystem directory (`PADDOCK_PODMAN_ROOTFS`, may be empty:
//! toolchain paths are bind-mounted from the host like bwrap does). The
//! backend is offered only when podman is installed, a rootfs is configured,
//! and a probe container really starts.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::backend::{Backend, BackendKind, BackendStatus, Isolation, SandboxedCommand, probe_launch};
use crate::env::sandbox_env;
use crate::error::SandboxError;
use crate::install_hint::{InstallHint, install_command};
use crate::manifest::{Manifest, Network, SANDBOX_HOME};

#[derive(Debug, Clone)]
pub struct PodmanBackend {
    pub podman: PathBuf,
    pub rootfs: PathBuf,
    /// OCI runtime (`PADDOCK_PODMAN_RUNTIME`, e.g. `runc` where crun cannot
    /// run, as on cgroup v1/hybrid hosts).
    pub runtime: Option<String>,
}

impl PodmanBackend {
    pub fn locate(rootfs: Option<PathBuf>, runtime: Option<String>) -> Result<Self, BackendStatus> {
        let unavailable = |detail: String, fix| BackendStatus {
            kind: BackendKind::Podman,
            available: false,
            detail,
            fix,
        };
        let podman = which::which("podman").map_err(|_| {
            unavailable(
                "podman is not installed".into(),
                Some(install_command(InstallHint::Podman)),
            )
        })?;
        let rootfs = rootfs.ok_or_else(|| {
            unavailable(
                "installed, but no local root filesystem is configured (no image is pulled)".into(),
                Some("set PADDOCK_PODMAN_ROOTFS to a directory (an empty one works: toolchains are bind-mounted)".into()),
            )
        })?;
        Ok(Self {
            podman,
            rootfs,
            runtime: runtime.or_else(default_runtime),
        })
    }
}

/// podman's default runtime here, crun, refuses hosts with *hybrid* cgroups
/// (v1 controllers plus a v2 hierarchy at /sys/fs/cgroup/unified); runc
/// works there. Picked only when no runtime is configured.
fn default_runtime() -> Option<String> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    (hybrid_cgroups(&mountinfo) && which::which("runc").is_ok()).then(|| "runc".to_owned())
}

/// True when `mountinfo` (the text of /proc/self/mountinfo) shows the
/// hybrid layout: a cgroup2 hierarchy at /sys/fs/cgroup/unified.
pub fn hybrid_cgroups(mountinfo: &str) -> bool {
    mountinfo.lines().any(|line| {
        let mut halves = line.splitn(2, " - ");
        let (Some(left), Some(right)) = (halves.next(), halves.next()) else {
            return false;
        };
        left.split_whitespace().nth(4) == Some("/sys/fs/cgroup/unified")
            && right.split_whitespace().next() == Some("cgroup2")
    })
}

impl Backend for PodmanBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Podman
    }

    fn status(&self) -> BackendStatus {
        let manifest = Manifest::default();
        let out = probe_launch(self, &manifest, "true");
        let status = |available, detail| BackendStatus {
            kind: BackendKind::Podman,
            available,
            detail,
            fix: None,
        };
        match out {
            Ok(o) if o.status.success() => status(
                true,
                format!(
                    "{} works with rootfs {}",
                    self.podman.display(),
                    self.rootfs.display()
                ),
            ),
            Ok(o) => {
                let stderr = String::from_utf8_lossy(&o.stderr).trim().to_owned();
                let mut s = status(
                    false,
                    format!("podman cannot start a container here: {stderr}"),
                );
                if stderr.contains("cgroups in hybrid mode") {
                    s.fix = Some(
                        "install runc (apt-get install runc) and set PADDOCK_PODMAN_RUNTIME=runc"
                            .into(),
                    );
                }
                s
            }
            Err(e) => status(false, format!("podman failed to start: {e}")),
        }
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
            return Err(SandboxError::Manifest(
                "the podman backend supports network = none only (the proxy bridge is bwrap-only for now)".into(),
            ));
        }
        let env = sandbox_env(manifest, host_env);
        let mut command = Command::new(&self.podman);
        if let Some(runtime) = &self.runtime {
            command.arg("--runtime").arg(runtime);
        }
        let rootful = rustix::process::geteuid().is_root();
        command.args(podman_args(manifest, &self.rootfs, &env, argv, rootful));
        Ok(SandboxedCommand::new(
            command,
            Isolation::Sandboxed {
                backend: BackendKind::Podman,
            },
        ))
    }
}

/// Pure translation of a manifest into `podman run` arguments.
pub fn podman_args(
    manifest: &Manifest,
    rootfs: &Path,
    env: &std::collections::BTreeMap<OsString, OsString>,
    argv: &[OsString],
    rootful: bool,
) -> Vec<OsString> {
    let mut a: Vec<OsString> = Vec::new();
    let mut push = |s: &dyn AsRef<std::ffi::OsStr>| a.push(s.as_ref().to_os_string());
    for s in [
        "run",
        "--rm",
        "-i",
        "--network",
        "none",
        "--cap-drop",
        "all",
        "--security-opt",
        "no-new-privileges",
    ] {
        push(&s);
    }
    push(&"--read-only");
    push(&"--user");
    push(&format!("{}:{}", manifest.uid, manifest.gid));
    // The sandbox uid owns what the invoking user owns (the worktree), like
    // bwrap's mapping; container root is an unprivileged host uid (rootful)
    // or the user's own subuid range (rootless, keep-id; not verified here).
    if rootful {
        for flag in ["--uidmap", "--gidmap"] {
            let id = if flag == "--uidmap" {
                manifest.uid
            } else {
                manifest.gid
            };
            push(&flag);
            push(&format!("0:100000:{id}"));
            push(&flag);
            push(&format!("{id}:0:1"));
        }
    } else {
        push(&format!(
            "--userns=keep-id:uid={},gid={}",
            manifest.uid, manifest.gid
        ));
    }
    push(&"--pids-limit");
    push(&"4096");
    // Explicit limits: also a fork-bomb guard, and runtimes fail on hosts
    // where raising to their defaults is not permitted.
    push(&"--ulimit");
    push(&"nofile=4096:4096");
    push(&"--ulimit");
    push(&"nproc=4096:4096");
    push(&"--tmpfs");
    push(&format!(
        "/tmp:rw,size={}m,mode=1777",
        manifest.tmp_size_mib
    ));
    push(&"--tmpfs");
    // podman 4 tmpfs takes no uid=: a sticky world-writable dir is the private
    // HOME (nothing else runs in the container).
    push(&format!(
        "{SANDBOX_HOME}:rw,size={}m,mode=1777",
        manifest.home_size_mib
    ));
    for path in &manifest.read_only {
        let path = manifest.expand(path);
        if let Ok(real) = std::fs::canonicalize(&path) {
            push(&"--volume");
            push(&format!("{}:{}:ro", real.display(), path.display()));
        }
    }
    for path in &manifest.writable {
        let path = manifest.expand(path);
        push(&"--volume");
        push(&format!("{}:{}:rw", path.display(), path.display()));
        for rel in &manifest.protected {
            let p = path.join(rel);
            if p.exists() {
                push(&"--volume");
                push(&format!("{}:{}:ro", p.display(), p.display()));
            }
        }
    }
    for (k, v) in env {
        push(&"--env");
        let mut kv = k.clone();
        kv.push("=");
        kv.push(v);
        push(&kv);
    }
    if let Some(dir) = manifest.workdir.as_ref().or(manifest.writable.first()) {
        push(&"--workdir");
        push(&manifest.expand(dir));
    }
    push(&"--rootfs");
    push(&rootfs);
    for x in argv {
        push(x);
    }
    a
}
