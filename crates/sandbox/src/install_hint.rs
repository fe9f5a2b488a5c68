//! The exact command that installs or enables a missing backend on this
//! distribution (read from /etc/os-release).

/// What is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallHint {
    Bubblewrap,
    /// bwrap is installed but unprivileged user namespaces are disabled.
    UserNamespaces,
    Podman,
}

/// The install command for `what` on the distribution described by
/// `os_release` (the text of /etc/os-release); `root` drops `sudo`.
pub fn install_command_for(what: InstallHint, os_release: &str, root: bool) -> String {
    let ids: Vec<String> = os_release
        .lines()
        .filter_map(|l| l.strip_prefix("ID=").or_else(|| l.strip_prefix("ID_LIKE=")))
        .flat_map(|v| {
            v.trim_matches('"')
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    let has = |name: &str| ids.iter().any(|i| i == name);
    let sudo = if root { "" } else { "sudo " };
    let package = match what {
        InstallHint::Bubblewrap => "bubblewrap",
        InstallHint::Podman => "podman",
        InstallHint::UserNamespaces => {
            return if has("ubuntu") {
                format!(
                    "{sudo}sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 \
                     (or install an AppArmor profile allowing bwrap to create user namespaces)"
                )
            } else {
                format!(
                    "{sudo}sysctl -w kernel.unprivileged_userns_clone=1 user.max_user_namespaces=15000"
                )
            };
        }
    };
    if has("debian") || has("ubuntu") {
        format!("{sudo}apt-get install -y {package}")
    } else if has("fedora") || has("rhel") || has("centos") {
        format!("{sudo}dnf install -y {package}")
    } else if has("arch") {
        format!("{sudo}pacman -S {package}")
    } else if has("suse") || has("opensuse") {
        format!("{sudo}zypper install {package}")
    } else if has("alpine") {
        format!("{sudo}apk add {package}")
    } else {
        format!("install the `{package}` package with your distribution's package manager")
    }
}

/// [`install_command_for`] on this machine.
pub fn install_command(what: InstallHint) -> String {
    let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    install_command_for(what, &os_release, rustix::process::geteuid().is_root())
}
