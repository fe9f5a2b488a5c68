#!/usr/bin/env python3
# Test-only bwrap wrapper: drops one protection from bwrap's arguments, then
# execs the real bwrap (inherited fds, like the seccomp programs, stay open).
import os, sys

MUTATION = "@MUTATION@"
args = sys.argv[1:]
out = []
i = 0
while i < len(args):
    a = args[i]
    if a == "--":
        out += args[i:]
        break
    if MUTATION == "no-seccomp" and a == "--add-seccomp-fd":
        i += 2; continue
    if MUTATION == "no-masks" and a == "--ro-bind" and args[i + 1] == "/dev/null":
        i += 3; continue
    if MUTATION == "no-masks" and a == "--perms" and args[i + 1] == "0000":
        i += 6; continue  # --perms 0000 --tmpfs P --remount-ro P
    if MUTATION == "no-protected" and a == "--ro-bind" and args[i + 1] == args[i + 2] and "/worktree/" in args[i + 1]:
        i += 3; continue
    if MUTATION == "no-netns" and a == "--unshare-net":
        i += 1; continue
    if MUTATION == "no-pidns" and a == "--unshare-pid":
        i += 1; continue
    if MUTATION == "no-new-session" and a == "--new-session":
        i += 1; continue
    if MUTATION == "no-tmp-size" and a == "--size":
        i += 2; continue
    if MUTATION == "writable-root" and a == "--remount-ro" and args[i + 1] == "/":
        i += 2; continue
    if MUTATION == "share-user-uid0" and a in ("--uid", "--gid"):
        out += [a, "0"]; i += 2; continue
    out.append(a)
    i += 1
os.execv("/usr/bin/bwrap", ["bwrap"] + out)
