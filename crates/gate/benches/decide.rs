//! In-process decision latency for typical commands (target: p50 ≤ 20 µs).
//! Run: cargo bench -p paddock-gate --bench decide -- --warm-up-time 1 --measurement-time 3

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};
use paddock_gate::{Context, Gate};

const CASES: &[(&str, &str)] = &[
    ("cargo_test", "cargo test -p paddock-gate"),
    ("git_status_and_diff", "git status && git diff --stat"),
    ("npm_build_pipe", "npm run build 2>&1 | tail -20"),
    ("grep_in_src", "rg -n 'fn decide' crates/gate/src"),
    ("rm_rf_target", "rm -rf target"),
    ("reference_payload", "echo HELLO_FROM_TOOL > /home/dev/out.txt; rm -rf /home/dev/victim"),
    ("force_push", "git push -uf origin main"),
    ("nested_bash_c", "bash -c 'cd sub && sudo env -S \"rm -rf /\"'"),
    (
        "long_pipeline",
        "find . -name '*.rs' -not -path './target/*' | xargs grep -l unsafe | sort | uniq -c | sort -rn | head -20 && echo done",
    ),
];

fn bench(c: &mut Criterion) {
    let gate = Gate::with_builtin_packs();
    let ctx = Context {
        worktree: Some(PathBuf::from("/home/dev/project")),
        home: Some(PathBuf::from("/home/dev")),
        temp_dirs: vec![PathBuf::from("/tmp")],
    };
    let cwd = Path::new("/home/dev/project");
    // Compile the rules outside the measurement, as a long-lived engine would.
    black_box(gate.decide_command("true", Some(cwd), &ctx));
    let mut group = c.benchmark_group("decide");
    for (name, cmd) in CASES {
        group.bench_function(*name, |b| b.iter(|| gate.decide_command(black_box(cmd), Some(cwd), &ctx)));
    }
    group.finish();
    // First decision in a fresh process: rule packs parsed and compiled too.
    c.bench_function("cold_gate_first_decision", |b| {
        b.iter(|| Gate::with_builtin_packs().decide_command(black_box("cargo test"), Some(cwd), &ctx))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
