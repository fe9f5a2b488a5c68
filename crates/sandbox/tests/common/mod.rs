//! Shared fixtures for the sandbox tests: a throwaway world with a fake host
//! HOME full of planted fake secrets, a worktree, and the real bwrap backend.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ffi::OsString;
use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

pub mod bpf;

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

/// The bwrap to use: the real one, or a test-only wrapper (`mutation.py`)
/// when `PADDOCK_ESCAPE_MUTATION=<name>[,<name>...]` drops protections (to
/// prove the tests notice) or a test asks for `options` (isolating one layer,
/// or starting from a controlling terminal).
fn bwrap_wrapper(options: &[&str]) -> Option<PathBuf> {
    let mut all: Vec<String> = std::env::var("PADDOCK_ESCAPE_MUTATION")
        .ok()
        .map(|m| m.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    all.extend(options.iter().map(|o| (*o).to_owned()));
    all.retain(|o| !o.is_empty());
    if all.is_empty() {
        return None;
    }
    all.sort();
    all.dedup();
    let joined = all.join(",");
    let dir = std::env::temp_dir().join(format!("paddock-mutation-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let wrapper = dir.join(format!("bwrap-{}", joined.replace(',', "+")));
    let script = include_str!("mutation.py").replace("@OPTIONS@", &joined);
    // Write then rename: tests run in parallel and may race on the same wrapper.
    let tmp = dir.join(format!("tmp-{}", uuid_like()));
    fs::write(&tmp, script).unwrap();
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755)).unwrap();
    fs::rename(&tmp, &wrapper).unwrap();
    Some(wrapper)
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{:?}-{}",
        std::thread::current().id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
    .replace(|c: char| !c.is_ascii_alphanumeric(), "")
}

/// The real bubblewrap backend (through the mutation wrapper when one is set).
pub fn backend() -> Box<dyn Backend> {
    backend_with(&[])
}

/// The bubblewrap backend with test-only wrapper `options` (see `mutation.py`).
pub fn backend_with(options: &[&str]) -> Box<dyn Backend> {
    let policy = Policy {
        only: Some(BackendKind::Bubblewrap),
        init: Some(InitProgram {
            path: PathBuf::from(env!("CARGO_BIN_EXE_paddock-sandbox-init")),
        }),
        bwrap: bwrap_wrapper(options),
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

/// How long a sandboxed test command may run. Generous for a loaded 2-core
/// machine; a hang (an attack that got further than it should, then blocked)
/// is a failure, never a stuck suite.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(180);

/// Waits for `child` with [`COMMAND_TIMEOUT`], collecting its piped output;
/// kills it and panics on timeout.
pub fn wait_with_timeout(mut child: Child) -> Output {
    fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    }
    let out_reader = drain(child.stdout.take());
    let err_reader = drain(child.stderr.take());
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let stdout = String::from_utf8_lossy(&out_reader.join().unwrap()).into_owned();
            panic!(
                "sandboxed command still running after {COMMAND_TIMEOUT:?}; killed it. stdout so far:\n{stdout}"
            );
        }
        std::thread::sleep(Duration::from_millis(20)); // polling for exit, not synchronisation
    };
    Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
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
        self.run_on(&*backend(), manifest, argv, host_env)
    }

    /// Like [`World::run_with`] on a given backend (e.g. [`backend_with`]).
    pub fn run_on(
        &self,
        backend: &dyn Backend,
        manifest: &Manifest,
        argv: &[&str],
        host_env: Vec<(OsString, OsString)>,
    ) -> Output {
        let argv: Vec<OsString> = argv.iter().map(OsString::from).collect();
        let mut cmd = backend
            .command_with_host_env(manifest, &argv, host_env)
            .unwrap();
        assert!(cmd.is_sandboxed());
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        wait_with_timeout(cmd.spawn().unwrap())
    }

    /// Runs `sh -c script` in the sandbox built from `manifest`.
    pub fn sh_in(&self, manifest: &Manifest, script: &str) -> Output {
        self.run_with(
            manifest,
            &["/bin/sh", "-c", script],
            vec![("PATH".into(), "/usr/bin:/bin".into())],
        )
    }

    /// Runs `sh -c script` on a given backend.
    pub fn sh_with(&self, backend: &dyn Backend, manifest: &Manifest, script: &str) -> Output {
        self.run_on(
            backend,
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
