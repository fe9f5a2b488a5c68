#!/usr/bin/env python3
# Test-only bwrap wrapper. It rewrites bwrap's arguments, then execs the real
# bwrap (inherited fds, like the seccomp programs, stay open). Options:
# - mutations (PADDOCK_ESCAPE_MUTATION, comma-separated): drop one protection,
#   to prove the escape tests notice when it is gone;
# - layer isolation used by single tests (e.g. `no-new-session` so a test can
#   prove the seccomp TIOCSTI rule on its own);
# - `ctty-stdin`: make stdin (a pty) the controlling terminal of a new
#   session before bwrap starts, like a user launching from a terminal.
import os, sys

OPTIONS = set(filter(None, "@OPTIONS@".split(",")))
args = sys.argv[1:]
out = []
# The escape tests' throwaway world: <root>/{home,worktree,outside}.
world = next((args[j + 1][: -len("/worktree")] for j in range(len(args) - 2)
              if args[j] == "--bind" and args[j + 1] == args[j + 2] and args[j + 1].endswith("/worktree")), None)
i = 0
while i < len(args):
    a = args[i]
    if a == "--":
        out += args[i:]
        break
    if a == "--add-seccomp-fd":
        if "no-seccomp" in OPTIONS:
            i += 2; continue
    if "world-visible" in OPTIONS and world and a == "--bind" and args[i + 1] == world + "/worktree":
        out += ["--ro-bind", world, world]  # ungranted host paths become visible (read-only)
    if "host-home" in OPTIONS and world and args[i:i + 2] == ["--perms", "0700"] and args[i + 4:i + 6] == ["--tmpfs", "/home/agent"]:
        out += ["--bind", world + "/home", "/home/agent"]; i += 6; continue  # the (fake) host HOME instead of a private one
    if "cap-add-all" in OPTIONS and args[i:i + 2] == ["--cap-drop", "ALL"]:
        out += ["--cap-add", "ALL"]; i += 2; continue
    if "no-masks" in OPTIONS and a == "--ro-bind" and args[i + 1] == "/dev/null":
        i += 3; continue
    if "no-masks" in OPTIONS and a == "--perms" and args[i + 1] == "0000":
        i += 6; continue  # --perms 0000 --tmpfs P --remount-ro P
    if "no-protected" in OPTIONS and a == "--ro-bind" and args[i + 1] == args[i + 2] and "/worktree/" in args[i + 1]:
        i += 3; continue
    if "no-netns" in OPTIONS and a == "--unshare-net":
        i += 1; continue
    if "no-pidns" in OPTIONS and a == "--unshare-pid":
        i += 1; continue
    if "no-ipcns" in OPTIONS and a == "--unshare-ipc":
        i += 1; continue
    if "no-new-session" in OPTIONS and a == "--new-session":
        i += 1; continue
    if "no-die-with-parent" in OPTIONS and a == "--die-with-parent":
        i += 1; continue
    if "no-disable-userns" in OPTIONS and a == "--disable-userns":
        i += 1; continue
    if "no-tmp-size" in OPTIONS and a == "--size":
        i += 2; continue
    if "writable-root" in OPTIONS and a == "--remount-ro" and args[i + 1] == "/":
        i += 2; continue
    if "share-user-uid0" in OPTIONS and a in ("--uid", "--gid"):
        out += [a, "0"]; i += 2; continue
    out.append(a)
    i += 1
if "ctty-stdin" in OPTIONS and os.isatty(0):  # not for the probe (stdin /dev/null)
    import fcntl, termios
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
os.execv("/usr/bin/bwrap", ["bwrap"] + out)
