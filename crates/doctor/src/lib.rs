//! Machine checks: is each tool Paddock relies on present and working?
//!
//! Each check runs the real tool (a version query, or for bubblewrap a real
//! throwaway sandbox) rather than only looking for a file, because a binary
//! that exists but cannot create namespaces is as good as missing.

use std::path::Path;
use std::process::{Command, Stdio};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Warn,
    Missing,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub id: &'static str,
    pub title: &'static str,
    pub status: Status,
    pub detail: String,
    pub fix: Option<String>,
}

/// One named check. `required` ones make the status `Missing` when absent,
/// the rest `Warn`.
pub struct Check {
    pub id: &'static str,
    pub title: &'static str,
    required: bool,
    program: &'static str,
    args: &'static [&'static str],
    apt_package: Option<&'static str>,
    install_hint: &'static str,
}

/// The checks, in the order the UI shows them.
pub fn checks() -> Vec<Check> {
    vec![
        Check {
            id: "git",
            title: "git (task worktrees)",
            required: true,
            program: "git",
            args: &["--version"],
            apt_package: Some("git"),
            install_hint: "",
        },
        Check {
            id: "bubblewrap",
            title: "bubblewrap sandbox (Linux)",
            required: cfg!(target_os = "linux"),
            program: "bwrap",
            // A real sandbox: namespaces must be creatable here, not just the binary present.
            args: &["--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"],
            apt_package: Some("bubblewrap"),
            install_hint: "",
        },
        Check {
            id: "podman",
            title: "Podman (container backend, optional)",
            required: false,
            program: "podman",
            args: &["--version"],
            apt_package: Some("podman"),
            install_hint: "",
        },
        Check {
            id: "node",
            title: "Node.js (runs Claude Code and Codex)",
            required: false,
            program: "node",
            args: &["--version"],
            apt_package: Some("nodejs"),
            install_hint: "",
        },
        Check {
            id: "claude",
            title: "Claude Code agent",
            required: false,
            program: "claude",
            args: &["--version"],
            apt_package: None,
            install_hint: "npm install -g @anthropic-ai/claude-code",
        },
    ]
}

impl Check {
    /// Runs the check with `PATH` taken from `path_var` (the process's own
    /// when `None`).
    pub fn run(&self, path_var: Option<&std::ffi::OsStr>) -> Finding {
        let found = match path_var {
            Some(p) => which::which_in(self.program, Some(p), Path::new("/")),
            None => which::which(self.program),
        };
        let missing_status = if self.required { Status::Missing } else { Status::Warn };
        let fix = self.fix();
        let Ok(bin) = found else {
            return Finding {
                id: self.id,
                title: self.title,
                status: missing_status,
                detail: format!("`{}` is not on PATH", self.program),
                fix,
            };
        };
        match Command::new(&bin).args(self.args).stdin(Stdio::null()).output() {
            Ok(out) if out.status.success() => {
                let text = String::from_utf8_lossy(&out.stdout);
                let version = text.lines().next().unwrap_or("").trim();
                let detail = if version.is_empty() {
                    format!("works ({})", bin.display())
                } else {
                    format!("{version} ({})", bin.display())
                };
                Finding { id: self.id, title: self.title, status: Status::Ok, detail, fix: None }
            }
            Ok(out) => {
                let err = String::from_utf8_lossy(&out.stderr);
                let first = err.lines().next().unwrap_or("no error output").trim();
                Finding {
                    id: self.id,
                    title: self.title,
                    status: missing_status,
                    detail: format!("{} is installed but failed: {first}", bin.display()),
                    fix,
                }
            }
            Err(e) => Finding {
                id: self.id,
                title: self.title,
                status: missing_status,
                detail: format!("{} could not be started: {e}", bin.display()),
                fix,
            },
        }
    }

    fn fix(&self) -> Option<String> {
        if !self.install_hint.is_empty() {
            return Some(self.install_hint.to_owned());
        }
        let pkg = self.apt_package?;
        Some(if cfg!(target_os = "macos") {
            format!("brew install {pkg}")
        } else {
            format!("sudo apt-get install {pkg}")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tool_missing_from_path_is_reported_with_its_install_command() {
        let empty = tempfile::tempdir().unwrap();
        let checks = checks();
        let git = checks.iter().find(|c| c.id == "git").unwrap();
        let f = git.run(Some(empty.path().as_os_str()));
        assert_eq!(f.status, Status::Missing);
        assert_eq!(f.fix.as_deref(), Some("sudo apt-get install git"));
        assert!(f.detail.contains("not on PATH"), "{}", f.detail);
    }

    #[test]
    fn an_optional_tool_missing_is_only_a_warning() {
        let empty = tempfile::tempdir().unwrap();
        let checks = checks();
        let claude = checks.iter().find(|c| c.id == "claude").unwrap();
        let f = claude.run(Some(empty.path().as_os_str()));
        assert_eq!(f.status, Status::Warn);
        assert_eq!(f.fix.as_deref(), Some("npm install -g @anthropic-ai/claude-code"));
    }

    #[test]
    fn a_present_tool_that_fails_is_not_ok() {
        // A fake `git` that exits 1: present on PATH, but broken.
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("git");
        std::fs::write(&fake, "#!/bin/sh\necho 'broken install' >&2\nexit 1\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let checks = checks();
        let git = checks.iter().find(|c| c.id == "git").unwrap();
        let f = git.run(Some(dir.path().as_os_str()));
        assert_eq!(f.status, Status::Missing);
        assert!(f.detail.contains("broken install"), "{}", f.detail);
    }

    #[test]
    fn git_is_found_on_this_machine() {
        let checks = checks();
        let git = checks.iter().find(|c| c.id == "git").unwrap();
        let f = git.run(None);
        assert_eq!(f.status, Status::Ok, "{f:?}");
        assert!(f.detail.starts_with("git version"), "{}", f.detail);
    }
}
