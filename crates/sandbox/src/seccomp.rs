//! Seccomp filters (x86_64 and aarch64), compiled with `seccompiler`.
//!
//! Two layers, stacked:
//! - the **base** filter, handed to bwrap (`--add-seccomp-fd FD`) and so
//!   applied to everything in the sandbox: no ptrace or cross-process memory
//!   access, no mount family, no keyring, no io_uring, no new namespaces, no
//!   TIOCSTI, no x32 syscall numbers (they would dodge the per-number rules),
//!   and `clone3` answered with ENOSYS (so libc uses `clone`, whose namespace
//!   flags the rules can see);
//! - the **agent** filter: no `socket(AF_UNIX, ...)`. Applied by bwrap too when
//!   no bridge is needed; in ProxyOnly mode the in-sandbox init applies it to
//!   the agent only, because the bridge itself must connect to the proxy socket.
//!
//! Denials return `EPERM` (programs handle it) rather than killing.

use std::collections::BTreeMap;
use std::io::{Seek, SeekFrom, Write};
use std::os::fd::OwnedFd;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch, sock_filter,
};

use crate::error::SandboxError;

#[cfg(target_arch = "x86_64")]
const ARCH: TargetArch = TargetArch::x86_64;
#[cfg(target_arch = "aarch64")]
const ARCH: TargetArch = TargetArch::aarch64;

/// Syscalls denied outright.
fn denied_syscalls() -> Vec<i64> {
    let mut calls = vec![
        libc::SYS_ptrace,
        libc::SYS_process_vm_readv,
        libc::SYS_process_vm_writev,
        libc::SYS_kcmp,
        libc::SYS_pidfd_getfd,
        libc::SYS_mount,
        libc::SYS_umount2,
        libc::SYS_pivot_root,
        libc::SYS_move_mount,
        libc::SYS_open_tree,
        libc::SYS_fsopen,
        libc::SYS_fsconfig,
        libc::SYS_fsmount,
        libc::SYS_fspick,
        libc::SYS_mount_setattr,
        libc::SYS_chroot,
        libc::SYS_keyctl,
        libc::SYS_add_key,
        libc::SYS_request_key,
        libc::SYS_io_uring_setup,
        libc::SYS_io_uring_enter,
        libc::SYS_io_uring_register,
        libc::SYS_unshare,
        libc::SYS_setns,
        libc::SYS_bpf,
        libc::SYS_perf_event_open,
        libc::SYS_userfaultfd,
        libc::SYS_kexec_load,
        libc::SYS_init_module,
        libc::SYS_finit_module,
        libc::SYS_delete_module,
        libc::SYS_open_by_handle_at,
        libc::SYS_name_to_handle_at,
        libc::SYS_quotactl,
        libc::SYS_swapon,
        libc::SYS_swapoff,
        libc::SYS_reboot,
        libc::SYS_settimeofday,
        libc::SYS_clock_settime,
        libc::SYS_adjtimex,
        libc::SYS_syslog,
        libc::SYS_acct,
    ];
    #[cfg(target_arch = "x86_64")]
    calls.extend([
        libc::SYS_iopl,
        libc::SYS_ioperm,
        libc::SYS_umount2,
        libc::SYS_uselib,
    ]);
    calls.sort_unstable();
    calls.dedup();
    calls
}

fn cond(
    arg: u8,
    len: SeccompCmpArgLen,
    op: SeccompCmpOp,
    value: u64,
) -> Result<SeccompCondition, SandboxError> {
    SeccompCondition::new(arg, len, op, value).map_err(seccomp_err)
}

fn seccomp_err(e: impl std::fmt::Display) -> SandboxError {
    SandboxError::Seccomp(e.to_string())
}

/// Rules for the base filter (everything in the sandbox).
fn base_rules() -> Result<BTreeMap<i64, Vec<SeccompRule>>, SandboxError> {
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    for nr in denied_syscalls() {
        rules.insert(nr, Vec::new()); // empty chain: always matches
    }
    // ioctl(fd, TIOCSTI/TIOCLINUX): push input into a terminal.
    let ioctl_rules = [libc::TIOCSTI, libc::TIOCLINUX]
        .into_iter()
        .map(|req| {
            SeccompRule::new(vec![cond(
                1,
                SeccompCmpArgLen::Dword,
                SeccompCmpOp::Eq,
                req,
            )?])
            .map_err(seccomp_err)
        })
        .collect::<Result<Vec<_>, _>>()?;
    rules.insert(libc::SYS_ioctl, ioctl_rules);
    // clone() with namespace flags (clone3 is refused with ENOSYS below so libc
    // falls back to clone, whose flags a filter can see).
    let clone_rules = [
        libc::CLONE_NEWUSER,
        libc::CLONE_NEWNS,
        libc::CLONE_NEWNET,
        libc::CLONE_NEWPID,
        libc::CLONE_NEWIPC,
        libc::CLONE_NEWUTS,
        libc::CLONE_NEWCGROUP,
    ]
    .into_iter()
    .map(|flag| {
        SeccompRule::new(vec![cond(
            0,
            SeccompCmpArgLen::Qword,
            SeccompCmpOp::MaskedEq(flag as u64),
            flag as u64,
        )?])
        .map_err(seccomp_err)
    })
    .collect::<Result<Vec<_>, _>>()?;
    rules.insert(libc::SYS_clone, clone_rules);
    Ok(rules)
}

fn unix_socket_rules() -> Result<BTreeMap<i64, Vec<SeccompRule>>, SandboxError> {
    let rule = SeccompRule::new(vec![cond(
        0,
        SeccompCmpArgLen::Dword,
        SeccompCmpOp::Eq,
        libc::AF_UNIX as u64,
    )?])
    .map_err(seccomp_err)?;
    Ok(BTreeMap::from([(libc::SYS_socket, vec![rule])]))
}

fn compile(rules: BTreeMap<i64, Vec<SeccompRule>>, errno: i32) -> Result<BpfProgram, SandboxError> {
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(errno as u32),
        ARCH,
    )
    .map_err(seccomp_err)?;
    let program: BpfProgram = filter.try_into().map_err(seccomp_err)?;
    Ok(program)
}

/// BPF prefix refusing x32-ABI syscall numbers (bit 30 set): without it,
/// `socket` called through the x32 table would not match the `SYS_socket` rule.
/// `seccompiler` reloads the syscall number itself, so this prefix composes.
fn x32_guard() -> Vec<sock_filter> {
    const BPF_LD_W_ABS: u16 = 0x20;
    const BPF_JGE_K: u16 = 0x35;
    const BPF_RET_K: u16 = 0x06;
    const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
    vec![
        sock_filter {
            code: BPF_LD_W_ABS,
            jt: 0,
            jf: 0,
            k: 0,
        }, // A = seccomp_data.nr
        sock_filter {
            code: BPF_JGE_K,
            jt: 0,
            jf: 1,
            k: 0x4000_0000,
        },
        sock_filter {
            code: BPF_RET_K,
            jt: 0,
            jf: 0,
            k: SECCOMP_RET_ERRNO | libc::ENOSYS as u32,
        },
    ]
}

/// BPF prefix refusing `clone3` with ENOSYS (its flags live in a struct a
/// filter cannot read; libc then falls back to `clone`, whose flags the
/// rules check). A prefix, not a second program: bwrap loads one filter.
fn clone3_guard() -> Vec<sock_filter> {
    const BPF_LD_W_ABS: u16 = 0x20;
    const BPF_JEQ_K: u16 = 0x15;
    const BPF_RET_K: u16 = 0x06;
    const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
    vec![
        sock_filter {
            code: BPF_LD_W_ABS,
            jt: 0,
            jf: 0,
            k: 0,
        }, // A = seccomp_data.nr
        sock_filter {
            code: BPF_JEQ_K,
            jt: 0,
            jf: 1,
            k: libc::SYS_clone3 as u32,
        },
        sock_filter {
            code: BPF_RET_K,
            jt: 0,
            jf: 0,
            k: SECCOMP_RET_ERRNO | libc::ENOSYS as u32,
        },
    ]
}

/// The filter for the whole sandbox; `deny_unix_sockets` adds the agent layer.
pub fn base_program(deny_unix_sockets: bool) -> Result<BpfProgram, SandboxError> {
    let mut rules = base_rules()?;
    if deny_unix_sockets {
        rules.extend(unix_socket_rules()?);
    }
    let mut program = x32_guard();
    program.extend(clone3_guard());
    program.extend(compile(rules, libc::EPERM)?);
    Ok(program)
}

/// The agent-only layer applied by the in-sandbox init (ProxyOnly mode).
pub fn agent_program() -> Result<BpfProgram, SandboxError> {
    let mut program = x32_guard();
    program.extend(compile(unix_socket_rules()?, libc::EPERM)?);
    Ok(program)
}

/// Serializes a program for bwrap's `--add-seccomp-fd` (raw `struct
/// sock_filter` array, native endian) into a memfd, read from the start.
///
/// The fd is deliberately *not* close-on-exec: bwrap inherits it under its
/// own number, so the command needs no fd remapping and can be started with
/// `posix_spawn` instead of a fork of the caller. A child spawned meanwhile
/// by another thread would inherit a read-only copy of a public BPF program:
/// nothing secret. The caller closes it right after the spawn.
pub fn program_fd(program: &[sock_filter]) -> Result<OwnedFd, SandboxError> {
    let mut bytes = Vec::with_capacity(program.len() * 8);
    for insn in program {
        bytes.extend_from_slice(&insn.code.to_ne_bytes());
        bytes.push(insn.jt);
        bytes.push(insn.jf);
        bytes.extend_from_slice(&insn.k.to_ne_bytes());
    }
    let fd = rustix::fs::memfd_create("paddock-seccomp", rustix::fs::MemfdFlags::empty())
        .map_err(|e| SandboxError::Io(e.into()))?;
    let mut file = std::fs::File::from(fd);
    file.write_all(&bytes).map_err(SandboxError::Io)?;
    file.seek(SeekFrom::Start(0)).map_err(SandboxError::Io)?;
    Ok(OwnedFd::from(file))
}

/// Programs for bwrap: one, the base filter (x32 and clone3 prefixes, then
/// the rules). A list so callers and tests treat it as the stack it is.
pub fn bwrap_programs(deny_unix_sockets: bool) -> Result<Vec<BpfProgram>, SandboxError> {
    Ok(vec![base_program(deny_unix_sockets)?])
}

/// Applies the agent layer to the calling thread (children inherit it).
pub fn apply_agent_filter() -> Result<(), SandboxError> {
    seccompiler::apply_filter(&agent_program()?).map_err(seccomp_err)
}
