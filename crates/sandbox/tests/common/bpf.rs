//! A classic-BPF interpreter for seccomp programs, test-only.
//!
//! Some filter rules guard paths this kernel cannot take (the x32 syscall ABI
//! is compiled out of most distribution kernels, this one included), so no
//! attack run in the sandbox can show that the rule is there. Evaluating the
//! exact programs the backend hands to bwrap, instruction by instruction, on
//! the `seccomp_data` the kernel would build, can. Stacked filters combine as
//! in the kernel: every program runs and the highest-precedence action wins.

use seccompiler::sock_filter;

/// What the kernel fills in for a filter (`struct seccomp_data`).
#[derive(Debug, Clone, Copy)]
pub struct SeccompData {
    pub nr: i32,
    pub arch: u32,
    pub instruction_pointer: u64,
    pub args: [u64; 6],
}

impl SeccompData {
    fn bytes(&self) -> [u8; 64] {
        let mut b = [0u8; 64];
        b[0..4].copy_from_slice(&self.nr.to_ne_bytes());
        b[4..8].copy_from_slice(&self.arch.to_ne_bytes());
        b[8..16].copy_from_slice(&self.instruction_pointer.to_ne_bytes());
        for (i, arg) in self.args.iter().enumerate() {
            b[16 + 8 * i..24 + 8 * i].copy_from_slice(&arg.to_ne_bytes());
        }
        b
    }
}

pub const RET_KILL_PROCESS: u32 = 0x8000_0000;
pub const RET_KILL_THREAD: u32 = 0x0000_0000;
pub const RET_TRAP: u32 = 0x0003_0000;
pub const RET_ERRNO: u32 = 0x0005_0000;
pub const RET_USER_NOTIF: u32 = 0x7fc0_0000;
pub const RET_TRACE: u32 = 0x7ff0_0000;
pub const RET_LOG: u32 = 0x7ffc_0000;
pub const RET_ALLOW: u32 = 0x7fff_0000;
const RET_ACTION_FULL: u32 = 0xffff_0000;

/// Runs one program; panics on an instruction seccomp would refuse to load
/// or that this interpreter does not know (so a gap fails loudly).
pub fn run(program: &[sock_filter], data: &SeccompData) -> u32 {
    let mem = data.bytes();
    let (mut a, mut x) = (0u32, 0u32);
    let mut scratch = [0u32; 16];
    let mut pc = 0usize;
    loop {
        let insn = program
            .get(pc)
            .unwrap_or_else(|| panic!("BPF program ran off its end at {pc}"));
        let k = insn.k;
        pc += 1;
        match insn.code {
            0x20 => {
                // BPF_LD | BPF_W | BPF_ABS
                let off = k as usize;
                assert!(
                    off.is_multiple_of(4) && off + 4 <= mem.len(),
                    "bad load offset {off}"
                );
                a = u32::from_ne_bytes(mem[off..off + 4].try_into().unwrap());
            }
            0x00 => a = k,                             // BPF_LD | BPF_IMM
            0x01 => x = k,                             // BPF_LDX | BPF_IMM
            0x60 => a = scratch[k as usize],           // BPF_LD | BPF_MEM
            0x61 => x = scratch[k as usize],           // BPF_LDX | BPF_MEM
            0x02 => scratch[k as usize] = a,           // BPF_ST
            0x03 => scratch[k as usize] = x,           // BPF_STX
            0x04 => a = a.wrapping_add(k),             // BPF_ALU | BPF_ADD | BPF_K
            0x14 => a = a.wrapping_sub(k),             // SUB
            0x54 => a &= k,                            // AND
            0x44 => a |= k,                            // OR
            0xa4 => a ^= k,                            // XOR
            0x64 => a = a.checked_shl(k).unwrap_or(0), // LSH
            0x74 => a = a.checked_shr(k).unwrap_or(0), // RSH
            0x84 => a = a.wrapping_neg(),              // NEG
            0x05 => pc += k as usize,                  // BPF_JMP | BPF_JA
            0x15 | 0x25 | 0x35 | 0x45 => {
                let taken = match insn.code {
                    0x15 => a == k,  // JEQ
                    0x25 => a > k,   // JGT
                    0x35 => a >= k,  // JGE
                    _ => a & k != 0, // JSET
                };
                pc += usize::from(if taken { insn.jt } else { insn.jf });
            }
            0x06 => return k, // BPF_RET | BPF_K
            0x16 => return a, // BPF_RET | BPF_A
            0x07 => x = a,    // BPF_MISC | BPF_TAX
            0x87 => a = x,    // BPF_MISC | BPF_TXA
            other => panic!(
                "BPF opcode {other:#x} at {} not supported by the test interpreter",
                pc - 1
            ),
        }
    }
}

/// Kernel precedence of seccomp actions (higher wins), from
/// `Documentation/userspace-api/seccomp_filter.rst`.
fn precedence(ret: u32) -> u32 {
    match ret & RET_ACTION_FULL {
        RET_KILL_PROCESS => 8,
        RET_KILL_THREAD => 7,
        RET_TRAP => 6,
        RET_ERRNO => 5,
        RET_USER_NOTIF => 4,
        RET_TRACE => 3,
        RET_LOG => 2,
        RET_ALLOW => 1,
        other => panic!("unknown seccomp action {other:#x}"),
    }
}

/// Runs every stacked program; the action the kernel would take.
pub fn run_stack(programs: &[&[sock_filter]], data: &SeccompData) -> u32 {
    programs
        .iter()
        .map(|p| run(p, data))
        .max_by_key(|r| precedence(*r))
        .unwrap_or(RET_ALLOW)
}

/// `ALLOW`, `KILL_PROCESS`, `ERRNO(EPERM)`... for assertion messages and data files.
pub fn describe(ret: u32) -> String {
    match ret & RET_ACTION_FULL {
        RET_ALLOW => "ALLOW".into(),
        RET_KILL_PROCESS => "KILL_PROCESS".into(),
        RET_KILL_THREAD => "KILL_THREAD".into(),
        RET_ERRNO => match (ret & 0xffff) as i32 {
            libc::EPERM => "EPERM".into(),
            libc::ENOSYS => "ENOSYS".into(),
            e => format!("ERRNO({e})"),
        },
        other => format!("{other:#x}"),
    }
}
