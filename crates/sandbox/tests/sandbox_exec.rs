//! The macOS backend's command, built and started on Linux with a stand-in for
//! `/usr/bin/sandbox-exec` (a script that checks the profile argument and runs
//! the rest): the arguments, the private HOME and its links, the environment,
//! its removal, and the refusals. Execution under the real sandbox-exec needs
//! macOS and is not verified here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use paddock_sandbox::sandbox_exec::SandboxExecBackend;
use paddock_sandbox::{Backend, HomeSeed, Manifest, Network, SandboxError, ToolCache};

struct World {
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let w = World { dir: tempfile::tempdir().unwrap() };
        for d in ["homes", "host/.cargo/registry", "work"] {
            std::fs::create_dir_all(w.path(d)).unwrap();
        }
        std::fs::write(w.path("host/.gitconfig"), "[user]\n\tname = dev\n").unwrap();
        // The stand-in: refuses unless called as `-p <deny-by-default profile> CMD…`.
        let fake = w.path("sandbox-exec");
        std::fs::write(
            &fake,
            "#!/bin/sh\n[ \"$1\" = -p ] || { echo 'no -p' >&2; exit 90; }\n\
             case \"$2\" in '(version 1)\n(deny default)'*) ;; *) echo 'not deny-by-default' >&2; exit 91;; esac\n\
             shift 2\nexec \"$@\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        w
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn backend(&self) -> SandboxExecBackend {
        SandboxExecBackend { program: self.path("sandbox-exec"), homes: self.path("homes") }
    }

    fn manifest(&self) -> Manifest {
        let mut m = Manifest::builder()
            .host_home(self.path("host"))
            .writable(self.path("work"))
            .tool_cache(ToolCache::Cargo)
            .build()
            .unwrap();
        m.home_seed = vec![HomeSeed { from: "~/.gitconfig".into(), to: ".gitconfig".into() }];
        m
    }
}

fn homes(w: &World) -> Vec<PathBuf> {
    std::fs::read_dir(w.path("homes")).unwrap().map(|e| e.unwrap().path()).collect()
}

#[test]
fn runs_the_command_with_a_private_home_of_links_removed_afterwards() {
    let w = World::new();
    let m = w.manifest();
    let script = "echo home=$HOME; echo tmp=$TMPDIR; echo cwd=$(pwd); cat $HOME/.gitconfig | head -1; \
                  readlink $HOME/.cargo/registry; echo secret=${AWS_SECRET_ACCESS_KEY:-none}";
    let mut cmd = w
        .backend()
        .command_with_host_env(
            &m,
            &["/bin/sh".into(), "-c".into(), script.into()],
            vec![("PATH".into(), "/usr/bin:/bin".into()), ("AWS_SECRET_ACCESS_KEY".into(), "AKIAsecret".into())],
        )
        .unwrap();
    let args: Vec<String> = cmd.as_command().get_args().map(|a| a.to_string_lossy().into_owned()).collect();
    assert_eq!(args[0], "-p");
    assert!(args[1].contains("(deny network*)"), "network none is denied in the profile: {}", args[1]);
    assert_eq!(&args[2..4], ["/bin/sh", "-c"]);
    let made = homes(&w);
    assert_eq!(made.len(), 1, "one private HOME expected: {made:?}");
    let home = made[0].clone();
    assert_eq!(std::fs::metadata(&home).unwrap().permissions().mode() & 0o777, 0o700);
    let home = std::fs::canonicalize(home).unwrap();
    let profile = &args[1];
    let allowed = |verbs: &str, path: &Path| {
        let block = profile.split("\n(").find(|b| b.starts_with(verbs)).unwrap_or_default();
        block.contains(&format!("(subpath \"{}\")", path.display()))
    };
    assert!(allowed("allow file-read* file-write*\n", &home), "its HOME is writable:\n{profile}");
    assert!(allowed("allow file-read* file-write*\n", &w.path("host/.cargo/registry")), "the cargo cache is writable");
    assert!(allowed("allow file-read*\n", &w.path("host/.gitconfig")), "the seed is readable:\n{profile}");
    assert!(!allowed("allow file-read* file-write*\n", &w.path("host/.gitconfig")), "the seed is not writable");
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let out = cmd.spawn().unwrap().wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    let work = std::fs::canonicalize(w.path("work")).unwrap();
    let expected = format!(
        "home={h}\ntmp={h}/tmp\ncwd={}\n[user]\n{}\nsecret=none\n",
        work.display(),
        w.path("host/.cargo/registry").display(),
        h = home.display()
    );
    assert_eq!(text, expected);
    drop(cmd);
    assert!(homes(&w).is_empty(), "the private HOME outlived its command: {:?}", homes(&w));
}

#[test]
fn proxy_only_networking_is_refused_before_anything_starts() {
    let w = World::new();
    let mut m = w.manifest();
    m.network = Network::ProxyOnly { socket: w.path("egress.sock"), port: 3128 };
    let err = w.backend().command_with_host_env(&m, &["/bin/true".into()], Vec::new()).unwrap_err();
    assert!(matches!(err, SandboxError::Unsupported(_)), "{err}");
    assert!(err.to_string().contains("proxy-only"), "{err}");
    assert!(homes(&w).is_empty());
}

#[test]
fn a_missing_seed_or_an_empty_command_is_refused() {
    let w = World::new();
    let mut m = w.manifest();
    m.home_seed = vec![HomeSeed { from: "~/.absent".into(), to: ".absent".into() }];
    let err = w.backend().command_with_host_env(&m, &["/bin/true".into()], Vec::new()).unwrap_err();
    assert!(err.to_string().contains(".absent") && err.to_string().contains("does not exist"), "{err}");
    let err = w.backend().command_with_host_env(&w.manifest(), &[], Vec::new()).unwrap_err();
    assert!(matches!(err, SandboxError::EmptyCommand), "{err}");
}

#[test]
fn it_is_offered_only_on_macos() {
    let located = SandboxExecBackend::locate();
    if cfg!(target_os = "macos") {
        assert!(located.is_ok() == Path::new("/usr/bin/sandbox-exec").is_file());
    } else {
        let status = located.unwrap_err();
        assert!(!status.available && status.detail == "macOS only", "{status:?}");
    }
}
