#!/usr/bin/env python3
"""Mutation check of the escape suite (tests/data/escape_mutations.toml):
- [mutation.*]: run the suite through the test-only bwrap wrapper that
  removes one protection (PADDOCK_ESCAPE_MUTATION);
- [source.*]: edit one line of the crate's source, rebuild, run the listed
  tests (of the escape suite, or of `target`), restore the file (always,
  even on error);
and check that every test listed for a mutation FAILS. Prints the matrix
(which tests failed under which mutation) and the tests no mutation breaks,
with the reason the data file gives. Slow (one suite run per mutation), so
not part of `cargo test`.

usage: crates/sandbox/tests/escape_mutations.py [NAME...]
Run from the repository root, with CARGO_TARGET_DIR set like any cargo run.
Exit 1 when a listed test passed with its protection removed.
"""
import os, re, subprocess, sys, tomllib

HERE = os.path.dirname(os.path.abspath(__file__))

def escape_binary():
    out = subprocess.run(
        ["cargo", "test", "-p", "paddock-sandbox", "--test", "escape", "--no-run", "--message-format=json"],
        check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        if '"executable"' in line and '"escape"' in line:
            m = re.search(r'"executable":"([^"]+)"', line)
            if m:
                return m.group(1)
    sys.exit("could not find the escape test binary")

def run(binary, mutation):
    env = dict(os.environ, PADDOCK_ESCAPE_MUTATION=mutation)
    p = subprocess.run([binary, "--test-threads", "2"], env=env, capture_output=True, text=True, timeout=1800)
    results = dict(re.findall(r"^test (\S+) \.\.\. (ok|FAILED)$", p.stdout, re.M))
    if not results:
        sys.exit(f"{mutation}: no test results\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return results

def run_source(name, spec):
    path = spec["file"]
    with open(path) as f:
        original = f.read()
    if spec["find"] not in original:
        sys.exit(f"{name}: `{spec['find']}` not found in {path}: update the data file")
    try:
        with open(path, "w") as f:
            f.write(original.replace(spec["find"], spec["replace"]))
        p = subprocess.run(["cargo", "test", "-p", "paddock-sandbox", "--test", spec.get("target", "escape"), "--",
                            "--exact", "--test-threads", "2", *spec["must_fail"]],
                           capture_output=True, text=True, timeout=1800)
    finally:
        with open(path, "w") as f:
            f.write(original)
    results = dict(re.findall(r"^test (\S+) \.\.\. (ok|FAILED)$", p.stdout, re.M))
    if not results:
        sys.exit(f"{name}: no test results (build failed?)\n{p.stderr[-3000:]}")
    return results

def main():
    with open(os.path.join(HERE, "data", "escape_mutations.toml"), "rb") as f:
        data = tomllib.load(f)
    wanted = sys.argv[1:] or list(data["mutation"]) + list(data.get("source", {}))
    binary = escape_binary()
    baseline = run(binary, "")
    broken = [t for t, r in baseline.items() if r != "ok"]
    if broken:
        sys.exit(f"the suite fails without any mutation: {broken}")
    failed_under = {t: [] for t in baseline}
    bad = []
    for name in wanted:
        if name in data.get("source", {}):
            continue
        spec = data["mutation"][name]
        results = run(binary, name)
        failed = sorted(t for t, r in results.items() if r == "FAILED")
        for t in failed:
            failed_under.setdefault(t, []).append(name)
        survivors = [t for t in spec["must_fail"] if results.get(t) != "FAILED"]
        unknown = [t for t in spec["must_fail"] if t not in results]
        print(f"{name:<32} {len(failed):>2} failed: {' '.join(failed)}")
        for t in unknown:
            bad.append(f"{name}: no test named {t}")
        for t in survivors:
            if t not in unknown:
                bad.append(f"{name}: {t} PASSED with the protection removed")
    for name in wanted:
        spec = data.get("source", {}).get(name)
        if spec is None:
            continue
        results = run_source(name, spec)
        failed = sorted(t for t, r in results.items() if r == "FAILED")
        for t in failed:
            failed_under.setdefault(t, []).append(name)
        print(f"{'source:' + name:<32} {len(failed):>2} failed: {' '.join(failed)}")
        for t in spec["must_fail"]:
            if results.get(t) != "FAILED":
                bad.append(f"source {name}: {t} {'PASSED' if t in results else 'did not run'} with the protection removed")
    if not sys.argv[1:]:
        print("\nnot broken by any mutation (reason from the data file):")
        notes = data.get("not_by_mutation", {})
        for t in sorted(t for t, m in failed_under.items() if not m):
            print(f"  {t}: {notes.get(t, 'NO REASON GIVEN')}")
            if t not in notes:
                bad.append(f"{t}: no mutation breaks it and the data file gives no reason")
    if bad:
        print("\nMUTATION CHECK FAILED:\n  " + "\n  ".join(bad))
        sys.exit(1)
    print("\nmutation check passed")

main()
