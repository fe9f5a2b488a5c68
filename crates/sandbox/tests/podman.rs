//! Podman backend. Argument generation is tested everywhere; a real container
//! run needs podman with a working OCI runtime and is `#[ignore]`d (reported
//! as ignored, never as passed): run it with
//! `PADDOCK_PODMAN_RUNTIME=runc cargo test -p paddock-sandbox --test podman -- --ignored`.
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
#[ignore = "needs podman and a working OCI runtime (here: PADDOCK_PODMAN_RUNTIME=runc)"]
fn real_container_runs_isolated() {
    let rootfs = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let policy = Policy {
        only: Some(BackendKind::Podman),
        podman_rootfs: Some(rootfs.path().to_path_buf()),
        podman_runtime: std::env::var("PADDOCK_PODMAN_RUNTIME").ok(),
        ..Policy::default()
    };
    let Selected::Sandboxed(backend) = select_backend(&policy).unwrap() else {
        panic!("unsandboxed")
    };
    let m = Manifest::builder().writable(work.path()).build().unwrap();
    let argv: Vec<OsString> = [
        "/bin/sh",
        "-c",
        "id -u; grep NoNewPrivs /proc/self/status; echo ok > made; echo x > /etc/pwned || echo ro",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    let mut cmd = backend.command(&m, &argv).unwrap();
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let output = cmd.spawn().unwrap().wait_with_output().unwrap();
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(out.contains("1000"), "{out}");
    assert!(out.contains("NoNewPrivs:\t1"), "{out}");
    assert!(out.contains("ro"), "{out}");
    assert!(work.path().join("made").exists());
}
