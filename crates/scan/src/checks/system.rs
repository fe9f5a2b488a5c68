//! Machine-level privileges: container daemon sockets, root, passwordless
//! sudo, powerful groups.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::Command;

use super::{Ctx, What, instead};
use crate::fsutil::run_with_timeout;
use crate::{Category, Severity};

pub(super) fn run(ctx: &mut Ctx<'_>) {
    sockets(ctx);
    if ctx.opts.system_checks {
        identity(ctx);
    }
}

/// Where Docker and Podman daemons listen.
fn socket_candidates(ctx: &Ctx<'_>) -> Vec<PathBuf> {
    let o = ctx.opts;
    let mut out: Vec<PathBuf> = [
        "/var/run/docker.sock",
        "/run/docker.sock",
        "/run/podman/podman.sock",
        "/var/run/podman/podman.sock",
        "/run/containerd/containerd.sock",
    ]
    .iter()
    .map(|p| o.system_path(p))
    .collect();
    for rel in [".docker/run/docker.sock", ".docker/desktop/docker.sock", ".colima/default/docker.sock", ".rd/docker.sock"] {
        out.push(o.home.join(rel));
    }
    if let Some(xdg) = o.env_var("XDG_RUNTIME_DIR") {
        out.push(PathBuf::from(xdg).join("docker.sock"));
        out.push(PathBuf::from(xdg).join("podman/podman.sock"));
    }
    for var in ["DOCKER_HOST", "CONTAINER_HOST"] {
        if let Some(path) = o.env_var(var).and_then(|v| v.strip_prefix("unix://")) {
            out.push(PathBuf::from(path));
        }
    }
    out
}

fn sockets(ctx: &mut Ctx<'_>) {
    // A daemon on TCP is reported without connecting: the scan sends nothing
    // over a network.
    for var in ["DOCKER_HOST", "CONTAINER_HOST"] {
        let Some(host) = ctx.opts.env_var(var).filter(|v| v.starts_with("tcp://") || v.starts_with("ssh://")) else {
            continue;
        };
        let scheme = host.split("://").next().unwrap_or("tcp");
        let what = What {
            category: Category::Privilege,
            kind: format!("{var} points at a remote container daemon ({scheme})"),
            severity: Severity::High,
            explanation: "Every docker/podman command goes to this daemon: an agent can start containers there, \
                with whatever that daemon's host lets containers mount.",
            mitigation: instead::SOCKETS,
        };
        ctx.other(format!("env:{var}"), format!("env {var}"), what, None);
    }
    let mut seen = Vec::new();
    for path in socket_candidates(ctx) {
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        if !meta.file_type().is_socket() || seen.contains(&(meta.dev(), meta.ino())) {
            continue;
        }
        seen.push((meta.dev(), meta.ino()));
        // connect(2) on a Unix socket needs write permission on it: success
        // means this user can drive the daemon.
        if UnixStream::connect(&path).is_err() {
            continue;
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let daemon = if name.contains("podman") {
            "Podman"
        } else if name.contains("containerd") {
            "containerd"
        } else {
            "Docker"
        };
        let root_owned = meta.uid() == 0;
        let (severity, explanation) = if root_owned {
            (
                Severity::Critical,
                "You can write to a root container daemon's socket. An agent can start a container with your whole \
                 disk mounted and be root on this machine in one command.",
            )
        } else {
            (
                Severity::High,
                "A rootless container daemon you can drive: an agent can start containers as you outside any \
                 sandbox, with your files mounted and no network limits.",
            )
        };
        let kind = format!("writable {daemon} socket{}", if root_owned { " (root daemon)" } else { "" });
        let what = What { category: Category::Privilege, kind, severity, explanation, mitigation: instead::SOCKETS };
        ctx.file("socket", &path, None, what, None);
    }
}

fn identity(ctx: &mut Ctx<'_>) {
    let timeout = ctx.opts.command_timeout;
    let uid = match run_with_timeout(Command::new("id").arg("-u"), timeout) {
        Ok(Some(out)) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().parse::<u32>().ok(),
        _ => None,
    };
    if uid == Some(0) {
        let what = What {
            category: Category::Privilege,
            kind: "running as root".to_owned(),
            severity: Severity::Critical,
            explanation: "This session is root: an agent started from it can change anything on the machine, \
                install software, read every user's files.",
            mitigation: instead::PRIVILEGE,
        };
        ctx.other("privilege.root".to_owned(), "current user (uid 0)".to_owned(), what, None);
    } else {
        sudo(ctx);
    }
    match run_with_timeout(Command::new("id").arg("-Gn"), timeout) {
        Ok(Some(out)) if out.status.success() => {
            let groups: Vec<String> = String::from_utf8_lossy(&out.stdout).split_whitespace().map(str::to_owned).collect();
            for (group, what) in group_findings(&groups) {
                ctx.other(format!("group:{group}"), format!("group {group}"), what, None);
            }
        }
        _ => ctx.note("could not list this user's groups (`id -Gn` failed)".to_owned()),
    }
}

fn sudo(ctx: &mut Ctx<'_>) {
    // -n: never prompt; fails at once if a password would be needed.
    match run_with_timeout(Command::new("sudo").args(["-n", "true"]), ctx.opts.command_timeout) {
        Ok(Some(out)) if out.status.success() => {
            let what = What {
                category: Category::Privilege,
                kind: "sudo without a password".to_owned(),
                severity: Severity::Critical,
                explanation: "sudo runs without asking for a password: an agent can become root with one command.",
                mitigation: instead::PRIVILEGE,
            };
            ctx.other("privilege.sudo".to_owned(), "sudo -n true".to_owned(), what, None);
        }
        Ok(Some(_)) => {}
        Ok(None) => ctx.note("`sudo -n true` did not finish in time; passwordless sudo not checked".to_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => ctx.note(format!("could not run `sudo -n true`: {e}")),
    }
}

/// Groups that grant more than an ordinary user has.
pub(crate) fn group_findings(groups: &[String]) -> Vec<(String, What<'static>)> {
    let mut out = Vec::new();
    for g in groups {
        let (severity, explanation) = match g.as_str() {
            "docker" | "lxd" | "incus" | "incus-admin" => (
                Severity::High,
                "Members of this group can drive a root container daemon: an agent can start a privileged \
                 container and be root on the machine.",
            ),
            "disk" => (Severity::High, "Members of `disk` can read and write raw disks, every file of every user included."),
            "sudo" | "wheel" | "admin" => (
                Severity::Medium,
                "Members can become root with sudo. Your password is still asked, unless sudo caches it or a rule \
                 says NOPASSWD.",
            ),
            "libvirt" | "kvm" => (Severity::Medium, "Members can create virtual machines with access to host devices."),
            _ => continue,
        };
        let what = What {
            category: Category::Privilege,
            kind: format!("member of the `{g}` group"),
            severity,
            explanation,
            mitigation: instead::PRIVILEGE,
        };
        out.push((g.clone(), what));
    }
    out
}
