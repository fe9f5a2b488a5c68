//! Launch overhead, side by side in one run, samples interleaved round-robin
//! (so load on a busy machine hits every launcher alike):
//! - bare `/bin/true`;
//! - the peer: bare bubblewrap, `bwrap --ro-bind / / /bin/true`;
//! - bwrap with Paddock's exact arguments but no seccomp programs (what the
//!   namespaces and mounts cost);
//! - the library: `SandboxedCommand::spawn` of `/bin/true` (arguments,
//!   seccomp programs, fds, bwrap), with no network and with ProxyOnly (which
//!   adds the in-sandbox init and its bridge);
//! - `paddock sandbox run -- /bin/true` when `PADDOCK_BIN` is set;
//! - Anthropic's sandbox-runtime `srt` with an equivalent policy when
//!   `SRT_BIN` is set (fewer samples: it is slow).
//!
//! Then the in-process parts Paddock adds before bwrap starts (building the
//! command: manifest to arguments, seccomp compile, program fds). Prints
//! p50/p90, overheads and ratios. Run it through `benches/launch.sh`.
//!
//! `LAUNCH_BENCH_ITERS` (default 200) sets the sample count.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // a bench binary: abort loudly

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use paddock_sandbox::{
    BackendKind, InitProgram, Manifest, Network, Policy, Selected, seccomp, select_backend,
};

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let idx = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[idx]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn quiet(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

type Launcher<'a> = (String, usize, Box<dyn FnMut() -> bool + 'a>);

fn main() {
    let iters: usize = std::env::var("LAUNCH_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let work = tempfile::tempdir().expect("tempdir");
    let policy = Policy {
        only: Some(BackendKind::Bubblewrap),
        ..Policy::default()
    };
    let Ok(Selected::Sandboxed(backend)) = select_backend(&policy) else {
        eprintln!("bubblewrap does not work here: nothing to measure");
        std::process::exit(1);
    };
    let bwrap = which::which("bwrap").expect("bwrap");
    let manifest = Manifest::builder()
        .writable(work.path())
        .build()
        .expect("manifest");
    let argv: Vec<OsString> = vec!["/bin/true".into()];
    // ProxyOnly: the in-sandbox init starts the bridge, then the command. A
    // listening socket stands in for the egress proxy (nothing connects).
    let proxy_socket = work.path().join("egress.sock");
    let _proxy = std::os::unix::net::UnixListener::bind(&proxy_socket).expect("socket");
    let proxy_backend = {
        let policy = Policy {
            only: Some(BackendKind::Bubblewrap),
            init: Some(InitProgram {
                path: PathBuf::from(env!("CARGO_BIN_EXE_paddock-sandbox-init")),
            }),
            skip_probe: true,
            ..Policy::default()
        };
        match select_backend(&policy) {
            Ok(Selected::Sandboxed(b)) => b,
            _ => panic!("bubblewrap"),
        }
    };
    let proxy_manifest = Manifest::builder()
        .writable(work.path())
        .network(Network::ProxyOnly {
            socket: proxy_socket.clone(),
            port: 3128,
        })
        .build()
        .expect("manifest");
    // Paddock's bwrap arguments, replayed without the seccomp fds.
    let paddock_args: Vec<OsString> = {
        let cmd = backend.command(&manifest, &argv).expect("command");
        let args: Vec<OsString> = cmd.as_command().get_args().map(OsString::from).collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < args.len() {
            if args[i] == "--add-seccomp-fd" {
                i += 2;
                continue;
            }
            out.push(args[i].clone());
            i += 1;
        }
        out
    };

    let mut launchers: Vec<Launcher> = vec![
        (
            "bare /bin/true".into(),
            iters,
            Box::new(|| quiet(&mut Command::new("/bin/true"))),
        ),
        (
            "bwrap --ro-bind / / true (peer)".into(),
            iters,
            Box::new(|| quiet(Command::new(&bwrap).args(["--ro-bind", "/", "/", "/bin/true"]))),
        ),
        (
            "bwrap, Paddock's args, no seccomp".into(),
            iters,
            Box::new(|| quiet(Command::new(&bwrap).args(&paddock_args))),
        ),
        (
            "library spawn (bwrap+seccomp)".into(),
            iters,
            Box::new(|| {
                let mut cmd = backend.command(&manifest, &argv).expect("command");
                cmd.stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null());
                cmd.status().is_ok_and(|s| s.success())
            }),
        ),
        (
            "library spawn, ProxyOnly (+ init, bridge)".into(),
            iters,
            Box::new(|| {
                let mut cmd = proxy_backend.command(&proxy_manifest, &argv).expect("command");
                cmd.stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null());
                cmd.status().is_ok_and(|s| s.success())
            }),
        ),
    ];
    if let Some(paddock) = std::env::var_os("PADDOCK_BIN").map(PathBuf::from) {
        // The launcher's own start plus the profile it would run with, no
        // sandbox (`--version` would measure `paddock-full`, which a launch
        // never starts).
        let (p, d) = (paddock.clone(), work.path().to_path_buf());
        launchers.push((
            "paddock sandbox profile (start, no launch)".into(),
            iters,
            Box::new(move || quiet(Command::new(&p).args(["sandbox", "profile"]).current_dir(&d))),
        ));
        let dir = work.path().to_path_buf();
        launchers.push((
            "paddock sandbox run -- true".into(),
            iters,
            Box::new(move || {
                quiet(
                    Command::new(&paddock)
                        .args(["sandbox", "run", "--", "/bin/true"])
                        .current_dir(&dir),
                )
            }),
        ));
    } else {
        eprintln!("PADDOCK_BIN not set: skipping the CLI measurement");
    }
    if let Some(srt) = std::env::var_os("SRT_BIN")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
    {
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
        let dir = work.path().to_path_buf();
        launchers.push((
            "srt /bin/true (sandbox-runtime)".into(),
            iters.min(30),
            Box::new(move || {
                quiet(
                    Command::new(&srt)
                        .arg("--settings")
                        .arg(&settings)
                        .arg("/bin/true")
                        .current_dir(&dir),
                )
            }),
        ));
    } else {
        eprintln!("SRT_BIN not set: skipping the sandbox-runtime measurement");
    }

    // Warm up, and fail loudly if a launcher is broken.
    for (name, _, run) in launchers.iter_mut() {
        for _ in 0..5 {
            assert!(run(), "{name}: the command failed");
        }
    }
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); launchers.len()];
    for round in 0..iters {
        for (i, (name, wanted, run)) in launchers.iter_mut().enumerate() {
            if round >= *wanted {
                continue;
            }
            let start = Instant::now();
            assert!(run(), "{name} failed during measurement");
            samples[i].push(start.elapsed());
        }
    }

    println!("{:<38} {:>10} {:>10}", "launch of /bin/true", "p50", "p90");
    let mut p50s = Vec::new();
    for ((name, _, _), s) in launchers.iter().zip(samples.iter_mut()) {
        let (p50, p90) = (percentile(s, 0.5), percentile(s, 0.9));
        println!("{name:<38} {:>8.2}ms {:>8.2}ms", ms(p50), ms(p90));
        p50s.push((name.clone(), p50));
    }
    let find = |prefix: &str| {
        p50s.iter()
            .find(|(n, _)| n.starts_with(prefix))
            .map(|(_, p)| ms(*p))
    };
    let bare = find("bare").unwrap_or_default();
    let peer = find("bwrap --ro-bind").unwrap_or_default();
    println!();
    for (name, p50) in p50s.iter().skip(1) {
        println!(
            "{name:<38} over bare true {:+7.2} ms   over bare bwrap {:+7.2} ms   ratio to bare bwrap {:5.2}x",
            ms(*p50) - bare,
            ms(*p50) - peer,
            ms(*p50) / peer
        );
    }
    if let (Some(cli), Some(srt)) = (find("paddock sandbox run"), find("srt")) {
        println!("srt / paddock (p50): {:.1}x", srt / cli);
    }

    // In-process cost of what Paddock adds before bwrap runs.
    let n = 2000;
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(seccomp::bwrap_programs(true).expect("programs"));
    }
    let compile = start.elapsed() / n;
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(backend.command(&manifest, &argv).expect("command"));
    }
    let build = start.elapsed() / n;
    println!();
    println!(
        "in-process, per launch: seccomp programs {:.3} ms; whole command (manifest -> args, programs, fds) {:.3} ms",
        ms(compile),
        ms(build)
    );
}
