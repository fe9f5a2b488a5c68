//! Shared fixtures for the sandbox tests: a throwaway world with a fake host
//! HOME full of planted fake secrets, a worktree, and the real bwrap backend.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use paddock_sandbox::{
    Backend, BackendKind, InitProgram, Manifest, ManifestBuilder, Policy, Selected, select_backend,
};
use tempfile::TempDir;

/// Marker planted in every fake secret; must never show up in sandbox output.
pub const SECRET: &str = "FAKE-SECRET-7f3a9c";

pub struct World {
    _dir: TempDir,
    pub root: PathBuf,
    /// Fake host HOME with planted secrets (~/.ssh, ~/.aws, ...).
    pub home: PathBuf,
    /// The task worktree (a git repo), the only writable place.
    pub worktree: PathBuf,
    /// A directory next to the worktree, not granted.
    pub outside: PathBuf,
}

/// Mutation check (test-only): with `PADDOCK_ESCAPE_MUTATION=<name>` the
/// suite runs through a wrapper `bwrap` that drops one protection from the
/// real bwrap's arguments, to prove the tests notice (see `mutation.py`).
fn mutated_bwrap() -> Option<PathBuf> {
    let mutation = std::env::var("PADDOCK_ESCAPE_MUTATION").ok()?;
    let dir = std::env::temp_dir().join(format!("paddock-mutation-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let wrapper = dir.join("bwrap");
    let script = include_str!("mutation.py").replace("@MUTATION@", &mutation);
    fs::write(&wrapper, script).unwrap();
    fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).unwrap();
    Some(wrapper)
}

pub fn backend() -> Box<dyn Backend> {
    let policy = Policy {
        only: Some(BackendKind::Bubblewrap),
        init: Some(InitProgram {
            path: PathBuf::from(env!("CARGO_BIN_EXE_paddock-sandbox-init")),
        }),
        bwrap: mutated_bwrap(),
        ..Policy::default()
    };
    match select_backend(&policy) {
        Ok(Selected::Sandboxed(b)) => b,
        Ok(Selected::Unsandboxed(w)) => {
            panic!("escape tests need bubblewrap, got unsandboxed: {w}")
        }
        Err(e) => {
            panic!("escape tests need a working bubblewrap (apt-get install bubblewrap): {e}")
        }
    }
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

impl World {
    pub fn new() -> World {
        let dir = tempfile::Builder::new()
            .prefix("paddock-escape-")
            .tempdir()
            .unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        let home = root.join("home");
        let worktree = root.join("worktree");
        let outside = root.join("outside");
        for (rel, text) in [
            (".ssh/id_ed25519", SECRET),
            (".aws/credentials", SECRET),
            (".config/gcloud/credentials.db", SECRET),
            (".kube/config", SECRET),
            (".docker/config.json", SECRET),
            (".netrc", SECRET),
            (".gnupg/private-keys-v1.d/key", SECRET),
            (".mozilla/firefox/profile/cookies.sqlite", SECRET),
            (".bashrc", "# host bashrc\n"),
            ("notes.txt", "public notes\n"),
        ] {
            write(&home.join(rel), text);
        }
        write(&outside.join(".env"), &format!("API_KEY={SECRET}\n"));
        write(&outside.join("data.txt"), "outside data\n");
        write(&worktree.join("README.md"), "worktree readme\n");
        write(&worktree.join("src/main.rs"), "fn main() {}\n");
        write(&worktree.join(".bashrc"), "# project bashrc\n");
        write(&worktree.join(".claude/settings.json"), "{}\n");
        let git = std::process::Command::new("git")
            .args(["init", "-q"])
            .current_dir(&worktree)
            .status()
            .expect("git is needed by the escape tests");
        assert!(git.success());
        write(
            &worktree.join(".git/hooks/pre-commit"),
            "#!/bin/sh\nexit 0\n",
        );
        World {
            _dir: dir,
            root,
            home,
            worktree,
            outside,
        }
    }

    /// Default manifest for this world: worktree writable, fake HOME as the host HOME.
    pub fn manifest(&self) -> ManifestBuilder {
        Manifest::builder()
            .host_home(&self.home)
            .writable(&self.worktree)
    }

    pub fn run_with(
        &self,
        manifest: &Manifest,
        argv: &[&str],
        host_env: Vec<(OsString, OsString)>,
    ) -> Output {
        let argv: Vec<OsString> = argv.iter().map(OsString::from).collect();
        let mut cmd = backend()
            .command_with_host_env(manifest, &argv, host_env)
            .unwrap();
        assert!(cmd.is_sandboxed());
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().unwrap().wait_with_output().unwrap()
    }

    /// Runs `sh -c script` in the sandbox built from `manifest`.
    pub fn sh_in(&self, manifest: &Manifest, script: &str) -> Output {
        self.run_with(
            manifest,
            &["/bin/sh", "-c", script],
            vec![("PATH".into(), "/usr/bin:/bin".into())],
        )
    }

    pub fn sh(&self, script: &str) -> Output {
        self.sh_in(&self.manifest().build().unwrap(), script)
    }

    /// Runs a python3 program in the sandbox.
    pub fn py_in(&self, manifest: &Manifest, program: &str) -> Output {
        self.run_with(
            manifest,
            &["/usr/bin/python3", "-c", program],
            vec![("PATH".into(), "/usr/bin:/bin".into())],
        )
    }

    pub fn py(&self, program: &str) -> Output {
        self.py_in(&self.manifest().build().unwrap(), program)
    }

    pub fn make_executable(path: &Path) {
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts the attack's output shows it failed and leaked nothing.
#[track_caller]
pub fn assert_no_secret(out: &Output) {
    let all = format!("{}{}", stdout(out), stderr(out));
    assert!(
        !all.contains(SECRET),
        "secret leaked into sandbox output:\n{all}"
    );
}

/// Lines printed by a script as `KEY=VALUE`, for asserting each step.
pub fn field(out: &Output, key: &str) -> String {
    let prefix = format!("{key}=");
    stdout(out)
        .lines()
        .find_map(|l| l.strip_prefix(&prefix).map(str::to_owned))
        .unwrap_or_else(|| {
            panic!(
                "no {key}= line in output:\nstdout: {}\nstderr: {}",
                stdout(out),
                stderr(out)
            )
        })
}
