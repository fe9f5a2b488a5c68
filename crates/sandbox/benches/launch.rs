//! Launch overhead, side by side in one run: bare `true`, the library
//! (`SandboxedCommand::spawn` of `true` under bubblewrap), `paddock sandbox
//! run -- true` (when `PADDOCK_BIN` is set) and Anthropic's sandbox-runtime
//! `srt` with an equivalent policy (when `SRT_BIN` is set). Prints p50/p90
//! and the ratios. Run it through `benches/launch.sh`, which sets both up.
//!
//! `LAUNCH_BENCH_ITERS` (default 200) sets the sample count.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // a bench binary: abort loudly

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use paddock_sandbox::{BackendKind, Manifest, Policy, Selected, select_backend};

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let idx = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[idx]
}

struct Stats {
    name: String,
    p50: Duration,
    p90: Duration,
}

fn measure(name: &str, iters: usize, mut run: impl FnMut() -> bool) -> Option<Stats> {
    for _ in 0..5 {
        if !run() {
            eprintln!("{name}: the command failed; not measured");
            return None;
        }
    }
    let mut samples = Vec::with_capacity(iters);
    for _ in 0..iters {
        let start = Instant::now();
        assert!(run(), "{name} failed during measurement");
        samples.push(start.elapsed());
    }
    let p50 = percentile(&mut samples, 0.5);
    let p90 = percentile(&mut samples, 0.9);
    Some(Stats {
        name: name.to_owned(),
        p50,
        p90,
    })
}

fn quiet(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn main() {
    let iters: usize = std::env::var("LAUNCH_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let work = tempfile::tempdir().expect("tempdir");
    let mut results = Vec::new();

    results.extend(measure("bare true", iters, || {
        quiet(&mut Command::new("/bin/true"))
    }));

    let policy = Policy {
        only: Some(BackendKind::Bubblewrap),
        ..Policy::default()
    };
    let Ok(Selected::Sandboxed(backend)) = select_backend(&policy) else {
        eprintln!("bubblewrap does not work here: nothing to measure");
        std::process::exit(1);
    };
    let manifest = Manifest::builder()
        .writable(work.path())
        .build()
        .expect("manifest");
    let argv: Vec<OsString> = vec!["/bin/true".into()];
    results.extend(measure("library spawn (bwrap+seccomp)", iters, || {
        let mut cmd = backend.command(&manifest, &argv).expect("command");
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd.status().is_ok_and(|s| s.success())
    }));

    if let Some(paddock) = std::env::var_os("PADDOCK_BIN").map(PathBuf::from) {
        results.extend(measure("paddock sandbox run -- true", iters, || {
            quiet(
                Command::new(&paddock)
                    .args(["sandbox", "run", "--", "/bin/true"])
                    .current_dir(work.path()),
            )
        }));
    } else {
        eprintln!("PADDOCK_BIN not set: skipping the CLI measurement");
    }

    if let Some(srt) = std::env::var_os("SRT_BIN").map(PathBuf::from) {
        // Equivalent policy: no network, write only the worktree, deny ~/.ssh etc.
        let settings = work.path().join("srt-settings.json");
        std::fs::write(
            &settings,
            format!(
                r#"{{"network":{{"allowedDomains":[],"deniedDomains":[]}},
"filesystem":{{"denyRead":["~/.ssh","~/.aws","~/.config/gcloud","~/.kube","~/.docker","~/.netrc"],
"allowWrite":["{}"],"denyWrite":[".git/hooks",".git/config"]}}}}"#,
                work.path().display()
            ),
        )
        .expect("srt settings");
        let srt_iters = iters.min(30); // srt is slow; fewer samples keep the run short
        results.extend(measure("srt true (sandbox-runtime)", srt_iters, || {
            quiet(
                Command::new(&srt)
                    .arg("--settings")
                    .arg(&settings)
                    .arg("/bin/true")
                    .current_dir(work.path()),
            )
        }));
    } else {
        eprintln!("SRT_BIN not set: skipping the sandbox-runtime measurement");
    }

    println!("{:<34} {:>10} {:>10}", "launch of `true`", "p50", "p90");
    for s in &results {
        println!("{:<34} {:>8.2}ms {:>8.2}ms", s.name, ms(s.p50), ms(s.p90));
    }
    let bare = results.first().map(|s| s.p50).unwrap_or_default();
    for s in results.iter().skip(1) {
        println!(
            "overhead of {:<30} p50 {:+.2} ms",
            s.name,
            ms(s.p50) - ms(bare)
        );
    }
    let find = |prefix: &str| {
        results
            .iter()
            .find(|s| s.name.starts_with(prefix))
            .map(|s| s.p50)
    };
    if let (Some(cli), Some(srt)) = (find("paddock"), find("srt")) {
        println!("srt / paddock (p50): {:.1}x", ms(srt) / ms(cli));
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
