//! Podman backend. Argument generation is tested everywhere; the real
//! container test runs podman for real, with no image at all: `--rootfs` on
//! an empty directory, the host toolchain bind-mounted read-only (as the
//! backend does for bwrap parity). It needs the apt packages `podman` and, on
//! hosts with hybrid cgroups (like this one), `runc` (crun refuses them; the
//! backend picks runc by itself there). It fails, never skips, without them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use std::ffi::OsString;
use std::path::Path;
use std::process::Stdio;

use paddock_sandbox::podman::podman_args;
use paddock_sandbox::{BackendKind, Manifest, Policy, Selected, select_backend};

#[test]
fn args_isolate_like_bwrap() {
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join(".git/hooks")).unwrap();
    let m = Manifest::builder().writable(work.path()).build().unwrap();
    let env =
        std::collections::BTreeMap::from([(OsString::from("HOME"), OsString::from("/home/agent"))]);
    let args: Vec<String> = podman_args(&m, Path::new("/rootfs"), &env, &["true".into()], true)
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let joined = args.join(" ");
    for needle in [
        "run --rm -i --network none --cap-drop all --security-opt no-new-privileges --read-only --user 1000:1000",
        "--tmpfs /tmp:rw,size=1024m,mode=1777",
        "--env HOME=/home/agent",
        "--uidmap 0:100000:1000 --uidmap 1000:0:1",
        "--rootfs /rootfs true",
    ] {
        assert!(joined.contains(needle), "missing `{needle}` in: {joined}");
    }
    let hooks = format!(
        "{}/.git/hooks:{}/.git/hooks:ro",
        work.path().display(),
        work.path().display()
    );
    assert!(
        args.contains(&hooks),
        "protected hooks are mounted read-only: {joined}"
    );
    assert_eq!(args.last().map(String::as_str), Some("true"));
}

#[test]
fn not_offered_without_a_rootfs() {
    let policy = Policy {
        only: Some(BackendKind::Podman),
        podman_rootfs: None,
        ..Policy::default()
    };
    let err = select_backend(&policy).unwrap_err().to_string();
    assert!(err.contains("podman"), "{err}");
}

#[test]
fn hybrid_cgroup_layout_is_recognised() {
    let hybrid = "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n\
                  40 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
    let v1 = "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n\
              32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n";
    let v2 = "30 23 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n";
    assert!(paddock_sandbox::podman::hybrid_cgroups(hybrid));
    assert!(!paddock_sandbox::podman::hybrid_cgroups(v1));
    assert!(!paddock_sandbox::podman::hybrid_cgroups(v2));
}

#[test]
fn real_container_runs_isolated() {
    assert!(
        which::which("podman").is_ok(),
        "this test runs a real container: install podman (apt-get install podman runc)"
    );
    let rootfs = tempfile::tempdir().unwrap(); // empty: no image is pulled or imported
    let work = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "FAKE-SECRET-podman").unwrap();
    let host_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = host_port.local_addr().unwrap().port();
    let policy = Policy {
        only: Some(BackendKind::Podman),
        podman_rootfs: Some(rootfs.path().to_path_buf()),
        podman_runtime: std::env::var("PADDOCK_PODMAN_RUNTIME").ok(),
        ..Policy::default()
    };
    let backend = match select_backend(&policy) {
        Ok(Selected::Sandboxed(backend)) => backend,
        Ok(Selected::Unsandboxed(w)) => panic!("podman: unsandboxed: {w}"),
        Err(e) => panic!("podman is installed but cannot run a container here: {e}"),
    };
    let m = Manifest::builder().writable(work.path()).build().unwrap();
    let script = format!(
        "echo uid=$(id -u); grep NoNewPrivs /proc/self/status | tr -d '\\t' | tr ':' '='; \
         grep CapEff /proc/self/status | tr -d '\\t' | tr ':' '='; \
         echo ok > made && echo worktree=writable; (echo x > /etc/pwned) 2>/dev/null && echo etc=written || echo etc=ro; \
         cat {outside}/secret.txt 2>/dev/null || echo outside=invisible; \
         (exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null && echo net=host-reached || echo net=none; echo home=$HOME",
        outside = outside.path().display()
    );
    let argv: Vec<OsString> = ["/bin/bash", "-c", &script]
        .iter()
        .map(OsString::from)
        .collect();
    let mut cmd = backend.command(&m, &argv).unwrap();
    assert!(cmd.is_sandboxed());
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let output = cmd.spawn().unwrap().wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "stdout: {out}\nstderr: {err}");
    for expected in [
        "uid=1000",
        "NoNewPrivs=1",
        "CapEff=0000000000000000",
        "worktree=writable",
        "etc=ro",
        "outside=invisible",
        "net=none",
        "home=/home/agent",
    ] {
        assert!(
            out.lines().any(|l| l == expected),
            "missing `{expected}` in:\n{out}\nstderr: {err}"
        );
    }
    assert!(!out.contains("FAKE-SECRET"), "{out}");
    assert_eq!(
        std::fs::read_to_string(work.path().join("made")).unwrap(),
        "ok\n",
        "the write reached the host worktree"
    );
    drop(host_port);
}
