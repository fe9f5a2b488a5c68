//! The compiled seccomp programs, evaluated case by case (data file
//! `tests/data/seccomp_cases.toml`) with a test BPF interpreter. This covers
//! rules no attack can exercise on this kernel (x32, i386 compat) and pins
//! the exact decision of every other rule; the escape suite checks the same
//! programs against the real kernel where it can.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::bpf::{SeccompData, describe, run_stack};
use paddock_sandbox::seccomp;
use serde::Deserialize;

#[derive(Deserialize)]
struct Corpus {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    stack: String,
    syscall: String,
    #[serde(default)]
    x32: bool,
    #[serde(default)]
    arch: Option<String>,
    #[serde(default)]
    args: Vec<u64>,
    expect: String,
}

fn syscall_number(name: &str) -> i64 {
    match name {
        "getpid" => libc::SYS_getpid,
        "socket" => libc::SYS_socket,
        "ptrace" => libc::SYS_ptrace,
        "process_vm_writev" => libc::SYS_process_vm_writev,
        "pidfd_getfd" => libc::SYS_pidfd_getfd,
        "mount" => libc::SYS_mount,
        "umount2" => libc::SYS_umount2,
        "pivot_root" => libc::SYS_pivot_root,
        "move_mount" => libc::SYS_move_mount,
        "chroot" => libc::SYS_chroot,
        "fsopen" => libc::SYS_fsopen,
        "open_tree" => libc::SYS_open_tree,
        "keyctl" => libc::SYS_keyctl,
        "io_uring_setup" => libc::SYS_io_uring_setup,
        "io_uring_enter" => libc::SYS_io_uring_enter,
        "unshare" => libc::SYS_unshare,
        "setns" => libc::SYS_setns,
        "bpf" => libc::SYS_bpf,
        "open_by_handle_at" => libc::SYS_open_by_handle_at,
        "ioctl" => libc::SYS_ioctl,
        "clone" => libc::SYS_clone,
        "clone3" => libc::SYS_clone3,
        other => panic!("syscall {other:?} unknown to the test; add it to syscall_number"),
    }
}

#[cfg(target_arch = "x86_64")]
const NATIVE_ARCH: u32 = 0xc000_003e; // AUDIT_ARCH_X86_64
#[cfg(target_arch = "aarch64")]
const NATIVE_ARCH: u32 = 0xc000_00b7; // AUDIT_ARCH_AARCH64
const I386_ARCH: u32 = 0x4000_0003; // AUDIT_ARCH_I386

fn stack(name: &str) -> Vec<Vec<seccompiler::sock_filter>> {
    match name {
        "sandbox" => seccomp::bwrap_programs(false).unwrap(),
        "sandbox_no_unix" => seccomp::bwrap_programs(true).unwrap(),
        "proxy_agent" => {
            let mut programs = seccomp::bwrap_programs(false).unwrap();
            programs.push(seccomp::agent_program().unwrap());
            programs
        }
        other => panic!("unknown stack {other:?}"),
    }
}

#[test]
fn seccomp_programs_decide_each_case() {
    let corpus: Corpus = toml::from_str(include_str!("data/seccomp_cases.toml")).unwrap();
    assert!(corpus.case.len() >= 30, "corpus shrank");
    let mut failures = Vec::new();
    for case in &corpus.case {
        let programs = stack(&case.stack);
        let programs: Vec<&[seccompiler::sock_filter]> =
            programs.iter().map(Vec::as_slice).collect();
        let mut nr = syscall_number(&case.syscall) as i32;
        if case.x32 {
            if cfg!(not(target_arch = "x86_64")) {
                panic!("{}: x32 exists only on x86_64", case.name);
            }
            nr |= 0x4000_0000;
        }
        let arch = match case.arch.as_deref() {
            None | Some("native") => NATIVE_ARCH,
            Some("i386") => I386_ARCH,
            Some(other) => panic!("{}: unknown arch {other:?}", case.name),
        };
        let mut args = [0u64; 6];
        args[..case.args.len()].copy_from_slice(&case.args);
        let data = SeccompData {
            nr,
            arch,
            instruction_pointer: 0x40_1000,
            args,
        };
        let got = describe(run_stack(&programs, &data));
        if got != case.expect {
            failures.push(format!(
                "{}: expected {}, got {got}",
                case.name, case.expect
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "seccomp cases failed:\n{}",
        failures.join("\n")
    );
}
