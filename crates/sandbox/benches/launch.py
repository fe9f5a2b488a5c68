#!/usr/bin/env python3
"""Launch overhead of `true`, side by side in one run: bare, `paddock sandbox
run -- true`, and sandbox-runtime's `srt` with an equivalent policy.

usage: launch.py PADDOCK_BIN [SRT_BIN] [ITERS]
Prints p50/p90 per launcher, the overhead over bare `true`, and srt/paddock.
"""
import json, os, statistics, subprocess, sys, tempfile, time

def measure(argv, iters, cwd):
    for _ in range(5):  # warm-up, and fail loudly if the launcher is broken
        subprocess.run(argv, cwd=cwd, check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples = []
    for _ in range(iters):
        t = time.perf_counter()
        subprocess.run(argv, cwd=cwd, check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1]

def main():
    paddock = sys.argv[1]
    srt = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    iters = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    with tempfile.TemporaryDirectory() as work:
        rows = [("bare true", *measure(["/bin/true"], iters, work)),
                ("paddock sandbox run -- true", *measure([paddock, "sandbox", "run", "--", "/bin/true"], iters, work))]
        if srt:
            settings = os.path.join(work, "srt-settings.json")
            with open(settings, "w") as f:
                json.dump({"network": {"allowedDomains": [], "deniedDomains": []},
                           "filesystem": {"denyRead": ["~/.ssh", "~/.aws", "~/.config/gcloud", "~/.kube", "~/.docker", "~/.netrc"],
                                          "allowWrite": [work], "denyWrite": [".git/hooks", ".git/config"]}}, f)
            rows.append(("srt /bin/true", *measure([srt, "--settings", settings, "/bin/true"], min(iters, 30), work)))
    print(f"{'launcher':<30} {'p50 ms':>9} {'p90 ms':>9} {'overhead p50':>13}")
    for name, p50, p90 in rows:
        print(f"{name:<30} {p50:9.2f} {p90:9.2f} {p50 - rows[0][1]:+12.2f}")
    if srt:
        print(f"srt / paddock (p50): {rows[2][1] / rows[1][1]:.1f}x")

main()
