//! The bubblewrap backend: turns a [`Manifest`] into bwrap arguments and a
//! ready-to-spawn command.
//!
//! The sandbox root is an empty tmpfs, remounted read-only at the end; only
//! what the manifest lists is mounted into it, at the same paths as on the
//! host. Everything else (the real HOME, /run, /sys, /var, the host /tmp)
//! simply does not exist inside.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::backend::{
    Backend, BackendKind, BackendStatus, InitProgram, Isolation, SandboxedCommand, probe_launch,
};
use crate::env::sandbox_env;
use crate::error::SandboxError;
use crate::install_hint::{InstallHint, install_command};
use crate::manifest::{Manifest, Network, SANDBOX_HOME, SANDBOX_INIT, SANDBOX_PROXY_SOCKET};
use crate::seccomp;

#[derive(Debug, Clone)]
pub struct BwrapBackend {
    pub bwrap: PathBuf,
    pub init: Option<InitProgram>,
}

impl BwrapBackend {
    /// Finds `bwrap` on PATH (or takes the given one).
    pub fn locate(
        bwrap: Option<PathBuf>,
        init: Option<InitProgram>,
    ) -> Result<Self, BackendStatus> {
        let found = match bwrap {
            Some(path) if path.is_file() => Ok(path),
            Some(path) => Err(format!("{} does not exist", path.display())),
            None => {
                which::which("bwrap").map_err(|_| "bubblewrap (bwrap) is not installed".to_owned())
            }
        };
        match found {
            Ok(bwrap) => Ok(Self { bwrap, init }),
            Err(detail) => Err(BackendStatus {
                kind: BackendKind::Bubblewrap,
                available: false,
                detail,
                fix: Some(install_command(InstallHint::Bubblewrap)),
            }),
        }
    }

    /// Really starts a sandbox running `true`: proves user namespaces, mounts
    /// and seccomp all work here, not just that the binary exists.
    pub fn probe(&self) -> BackendStatus {
        let manifest = Manifest {
            writable: Vec::new(),
            ..Manifest::default()
        };
        let result = probe_launch(self, &manifest, "true");
        let status = |available, detail: String, fix| BackendStatus {
            kind: BackendKind::Bubblewrap,
            available,
            detail,
            fix,
        };
        match result {
            Ok(out) if out.status.success() => status(
                true,
                format!(
                    "{} works (user, pid, net namespaces, seccomp)",
                    self.bwrap.display()
                ),
                None,
            ),
            Ok(out) => {
                let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
                status(
                    false,
                    format!(
                        "{} is installed but cannot create a sandbox: {stderr}",
                        self.bwrap.display()
                    ),
                    Some(install_command(InstallHint::UserNamespaces)),
                )
            }
            Err(err) => status(
                false,
                format!("{} failed to start: {err}", self.bwrap.display()),
                Some(install_command(InstallHint::Bubblewrap)),
            ),
        }
    }
}

impl Backend for BwrapBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Bubblewrap
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
        let proxy = matches!(manifest.network, Network::ProxyOnly { .. });
        let init = if proxy {
            Some(
                self.init
                    .clone()
                    .map_or_else(InitProgram::current_exe, Ok)?,
            )
        } else {
            None
        };
        // The agent layer (no AF_UNIX) goes to bwrap unless the bridge needs
        // AF_UNIX, in which case the init applies it to the agent alone.
        let deny_unix = manifest.unix_sockets.is_empty() && !proxy;
        let programs = seccomp::bwrap_programs(deny_unix)?;
        let program_fds = programs
            .iter()
            .map(|p| seccomp::program_fd(p))
            .collect::<Result<Vec<_>, _>>()?;
        let fds: Vec<i32> = program_fds.iter().map(|fd| fd.as_raw_fd()).collect();
        let args = bwrap_args(manifest, argv, init.as_ref(), &fds)?;
        let mut command = Command::new(&self.bwrap);
        command
            .args(&args)
            .env_clear()
            .envs(sandbox_env(manifest, host_env));
        Ok(SandboxedCommand::new(
            command,
            Isolation::Sandboxed {
                backend: BackendKind::Bubblewrap,
            },
        )
        .inheriting(program_fds))
    }
}

fn arg(args: &mut Vec<OsString>, items: &[&OsStr]) {
    args.extend(items.iter().map(|s| s.to_os_string()));
}

fn depth(path: &Path) -> usize {
    path.components().count()
}

/// Canonical path if it exists (mount sources and targets must not contain
/// symlinks the sandboxed side could later swap).
fn existing(path: &Path) -> Option<PathBuf> {
    fs::canonicalize(path).ok()
}

/// Git worktrees keep hooks and config in the main repository's git dir; find
/// those for a writable root whose `.git` is a file.
fn linked_git_dirs(root: &Path) -> Vec<PathBuf> {
    let dot_git = root.join(".git");
    let Ok(text) = fs::read_to_string(&dot_git) else {
        return Vec::new();
    };
    let Some(gitdir) = text
        .lines()
        .find_map(|l| l.strip_prefix("gitdir:"))
        .map(|s| root.join(s.trim()))
    else {
        return Vec::new();
    };
    let mut dirs = vec![gitdir.clone()];
    if let Ok(common) = fs::read_to_string(gitdir.join("commondir")) {
        dirs.push(gitdir.join(common.trim()));
    }
    dirs.into_iter().filter_map(|d| existing(&d)).collect()
}

/// Pure translation of a manifest into bwrap arguments (tested on its own).
pub fn bwrap_args(
    manifest: &Manifest,
    argv: &[OsString],
    init: Option<&InitProgram>,
    seccomp_fds: &[i32],
) -> Result<Vec<OsString>, SandboxError> {
    let mut a: Vec<OsString> = Vec::new();
    let uid = manifest.uid.to_string();
    let gid = manifest.gid.to_string();
    arg(
        &mut a,
        &[
            "--new-session".as_ref(),
            "--die-with-parent".as_ref(),
            "--unshare-user".as_ref(),
            "--unshare-ipc".as_ref(),
            "--unshare-pid".as_ref(),
            "--unshare-net".as_ref(),
            "--unshare-uts".as_ref(),
            "--unshare-cgroup-try".as_ref(),
            "--disable-userns".as_ref(),
            "--uid".as_ref(),
            uid.as_ref(),
            "--gid".as_ref(),
            gid.as_ref(),
            "--cap-drop".as_ref(),
            "ALL".as_ref(),
            "--hostname".as_ref(),
            "paddock".as_ref(),
            "--proc".as_ref(),
            "/proc".as_ref(),
            "--dev".as_ref(),
            "/dev".as_ref(),
        ],
    );
    let tmp_bytes = (manifest.tmp_size_mib * 1024 * 1024).to_string();
    arg(
        &mut a,
        &[
            "--size".as_ref(),
            tmp_bytes.as_ref(),
            "--tmpfs".as_ref(),
            "/tmp".as_ref(),
        ],
    );

    // Read-only and writable roots, parents before children.
    let mut mounts: Vec<(PathBuf, bool)> = Vec::new();
    for path in &manifest.read_only {
        let path = manifest.expand(path);
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() && depth(&path) == 2 => {
                // /bin -> usr/bin on merged-/usr systems: recreate the link.
                let target = fs::read_link(&path).map_err(SandboxError::Io)?;
                arg(
                    &mut a,
                    &["--symlink".as_ref(), target.as_os_str(), path.as_os_str()],
                );
            }
            Ok(_) => {
                if let Some(real) = existing(&path) {
                    mounts.push((real, false));
                }
            }
            Err(_) => {} // absent on this machine (e.g. /lib32): nothing to hide or show
        }
    }
    let mut writable_roots = Vec::new();
    for path in &manifest.writable {
        let path = manifest.expand(path);
        let real = existing(&path).ok_or_else(|| {
            SandboxError::Manifest(format!("writable path {} does not exist", path.display()))
        })?;
        writable_roots.push(real.clone());
        mounts.push((real, true));
    }
    mounts.sort_by_key(|(p, _)| depth(p));
    for (path, writable) in &mounts {
        let flag: &OsStr = if *writable {
            "--bind".as_ref()
        } else {
            "--ro-bind".as_ref()
        };
        arg(&mut a, &[flag, path.as_os_str(), path.as_os_str()]);
    }

    // Private HOME: a size-limited tmpfs, seeded read-only, caches opt-in.
    let home_bytes = (manifest.home_size_mib * 1024 * 1024).to_string();
    arg(
        &mut a,
        &[
            "--perms".as_ref(),
            "0700".as_ref(),
            "--size".as_ref(),
            home_bytes.as_ref(),
            "--tmpfs".as_ref(),
            SANDBOX_HOME.as_ref(),
        ],
    );
    for seed in &manifest.home_seed {
        let from = manifest.expand(&seed.from);
        let from = existing(&from).ok_or_else(|| {
            SandboxError::Manifest(format!("home_seed {} does not exist", from.display()))
        })?;
        let to = Path::new(SANDBOX_HOME).join(&seed.to);
        arg(
            &mut a,
            &["--ro-bind".as_ref(), from.as_os_str(), to.as_os_str()],
        );
    }
    for (host, rel) in manifest.tool_cache_dirs() {
        fs::create_dir_all(&host).map_err(SandboxError::Io)?;
        let to = Path::new(SANDBOX_HOME).join(rel);
        arg(
            &mut a,
            &["--bind".as_ref(), host.as_os_str(), to.as_os_str()],
        );
    }

    // Write-protected paths inside writable roots, bound read-only over themselves.
    for root in &writable_roots {
        if root.join(".git").is_dir() && !root.join(".git/hooks").exists() {
            // Create the hooks dir so it can be protected (git treats it as empty).
            fs::create_dir_all(root.join(".git/hooks")).map_err(SandboxError::Io)?;
        }
        let mut candidates: Vec<PathBuf> = manifest
            .protected
            .iter()
            .map(|rel| root.join(rel))
            .collect();
        for git_dir in linked_git_dirs(root) {
            candidates.extend(
                ["hooks", "config", "config.worktree", "info"]
                    .iter()
                    .map(|n| git_dir.join(n)),
            );
        }
        for path in candidates {
            let Some(real) = existing(&path) else {
                continue;
            };
            if mounts.iter().any(|(m, w)| *w && real.starts_with(m)) {
                arg(
                    &mut a,
                    &["--ro-bind".as_ref(), real.as_os_str(), real.as_os_str()],
                );
            }
        }
    }

    for socket in &manifest.unix_sockets {
        let socket = manifest.expand(socket);
        arg(
            &mut a,
            &["--ro-bind".as_ref(), socket.as_os_str(), socket.as_os_str()],
        );
    }

    // Never-visible paths that a mount would otherwise expose.
    for secret in &manifest.never_visible {
        let secret = manifest.expand(secret);
        let Some(real) = existing(&secret) else {
            continue;
        };
        if !mounts.iter().any(|(m, _)| real.starts_with(m)) {
            continue; // not mounted at all: already invisible
        }
        if real.is_dir() {
            arg(
                &mut a,
                &[
                    "--perms".as_ref(),
                    "0000".as_ref(),
                    "--tmpfs".as_ref(),
                    real.as_os_str(),
                    "--remount-ro".as_ref(),
                    real.as_os_str(),
                ],
            );
        } else {
            arg(
                &mut a,
                &["--ro-bind".as_ref(), "/dev/null".as_ref(), real.as_os_str()],
            );
        }
    }

    let mut command: Vec<OsString> = argv.to_vec();
    if let Network::ProxyOnly { socket, port } = &manifest.network {
        let socket = manifest.expand(socket);
        let init = init.ok_or_else(|| {
            SandboxError::Manifest("proxy-only network needs the sandbox init program".into())
        })?;
        arg(
            &mut a,
            &[
                "--ro-bind".as_ref(),
                socket.as_os_str(),
                SANDBOX_PROXY_SOCKET.as_ref(),
            ],
        );
        arg(
            &mut a,
            &[
                "--ro-bind".as_ref(),
                init.path.as_os_str(),
                SANDBOX_INIT.as_ref(),
            ],
        );
        let mut wrapped: Vec<OsString> = vec![SANDBOX_INIT.into(), crate::init::INIT_ARG.into()];
        wrapped.extend([
            "--proxy-socket".into(),
            SANDBOX_PROXY_SOCKET.into(),
            "--port".into(),
            port.to_string().into(),
        ]);
        if manifest.unix_sockets.is_empty() {
            wrapped.push("--deny-unix-sockets".into());
        }
        wrapped.push("--".into());
        wrapped.extend(command);
        command = wrapped;
    }

    arg(&mut a, &["--remount-ro".as_ref(), "/".as_ref()]);
    let workdir = manifest
        .workdir
        .as_ref()
        .map(|w| manifest.expand(w))
        .or_else(|| writable_roots.first().cloned())
        .unwrap_or_else(|| PathBuf::from(SANDBOX_HOME));
    arg(&mut a, &["--chdir".as_ref(), workdir.as_os_str()]);
    for fd in seccomp_fds {
        let fd = fd.to_string();
        arg(&mut a, &["--add-seccomp-fd".as_ref(), fd.as_ref()]);
    }
    a.push("--".into());
    a.extend(command);
    Ok(a)
}
