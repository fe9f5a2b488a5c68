//! Profiling driver, not a benchmark: runs one append path long enough for
//! `perf record -g --call-graph dwarf` and prints wall time and the main thread's on-CPU
//! time per event (the difference is waiting: fsync, locks, or a busy machine).
//!
//!   cargo build --release -p paddock-audit --example append_profile
//!   $CARGO_TARGET_DIR/release/examples/append_profile MODE N
//!
//! MODE: `single` (N appends, one commit each), `batch` (batches of 1,000), either with
//! `-noindex` appended (`index_lag` = MAX; `index_pending` is then timed on its own),
//! `threadsT` (T threads sharing one log, N events in all; prints how many commits
//! they took), or `redact` (the redaction and serialisation of N details alone).
//! Events are built before the clock starts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a driver

use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "../benches/support/events.rs"]
mod events;

use events::{cpu_now, event};
use paddock_audit::{AuditLog, NewEvent, OpenOptions};



fn report(what: &str, n: u64, wall: Duration, cpu: Duration) {
    let per = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    eprintln!(
        "{what}: {n} events, {:.2} µs/event wall, {:.2} µs cpu, {:.0}/s",
        per(wall),
        per(cpu),
        n as f64 / wall.as_secs_f64()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse::<u64>().ok()))
    else {
        eprintln!("usage: append_profile single|batch[-noindex]|threadsT|redact N");
        std::process::exit(2);
    };
    let mut evs: Vec<NewEvent> = (0..n).map(event).collect();
    if mode == "redact" {
        let (t, c) = (Instant::now(), cpu_now());
        for e in &mut evs {
            paddock_audit::redact::redact_json_text(&mut e.detail).unwrap();
            e.resource = paddock_audit::redact::redact_string(std::mem::take(&mut e.resource));
        }
        report(mode, n, t.elapsed(), cpu_now() - c);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let deferred = mode.ends_with("-noindex");
    let log = AuditLog::open_with(
        &dir.path().join("a.db"),
        OpenOptions {
            index_lag: if deferred {
                u64::MAX
            } else {
                OpenOptions::default().index_lag
            },
            ..OpenOptions::default()
        },
    )
    .unwrap();
    if let Some(threads) = mode.strip_prefix("threads") {
        let threads: u64 = threads.parse().unwrap();
        let log = Arc::new(log);
        let mut per_thread: Vec<Vec<NewEvent>> = (0..threads).map(|_| Vec::new()).collect();
        for (i, e) in evs.into_iter().enumerate() {
            per_thread[i % threads as usize].push(e);
        }
        let t = Instant::now();
        let handles: Vec<_> = per_thread
            .into_iter()
            .map(|evs| {
                let log = Arc::clone(&log);
                std::thread::spawn(move || {
                    evs.into_iter()
                        .map(|e| log.append(e).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let all: Vec<_> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        let wall = t.elapsed();
        // One commit stamps all its events with one time.
        let commits: std::collections::HashSet<&str> = all.iter().map(|e| e.ts.as_str()).collect();
        report(mode, n, wall, Duration::ZERO);
        eprintln!("  {} commits", commits.len());
        return;
    }
    let mut kept = Vec::with_capacity(n as usize);
    let mut batch_times: Vec<Duration> = Vec::new();
    let (t, c) = (Instant::now(), cpu_now());
    if mode.starts_with("single") {
        for e in evs {
            kept.push(log.append(e).unwrap());
        }
    } else {
        let mut evs = evs.into_iter();
        loop {
            let b: Vec<_> = evs.by_ref().take(1000).collect();
            if b.is_empty() {
                break;
            }
            let tb = Instant::now();
            kept.extend(log.append_batch(b).unwrap());
            batch_times.push(tb.elapsed());
        }
    }
    let appended = t.elapsed();
    report(mode, n, appended, cpu_now() - c);
    if !deferred {
        // Sustained means indexed too: what the background thread left is caught up
        // here, and the rate counts both.
        let rest = log.index_pending().unwrap();
        let total = t.elapsed();
        eprintln!(
            "  then the {rest} events still pending indexed in {:.2?}: appended and indexed at {:.0} events/s",
            total - appended,
            n as f64 / total.as_secs_f64()
        );
    }
    if !batch_times.is_empty() {
        batch_times.sort();
        let at = |q: f64| batch_times[((batch_times.len() - 1) as f64 * q) as usize];
        let total: Duration = batch_times.iter().sum();
        let slow: Duration = batch_times.iter().filter(|d| **d > at(0.5) * 2).sum();
        eprintln!(
            "  batches of 1,000: p50 {:.2?}, p90 {:.2?}, p99 {:.2?}, max {:.2?}; {:.0}% of the time in batches over twice the median",
            at(0.5),
            at(0.9),
            at(0.99),
            at(1.0),
            100.0 * slow.as_secs_f64() / total.as_secs_f64()
        );
    }
    for f in ["a.db", "a.db-wal", "a.db.index", "a.db.index-wal"] {
        let len = std::fs::metadata(dir.path().join(f)).map_or(0, |m| m.len());
        eprintln!("  {f}: {:.1} MB", len as f64 / 1e6);
    }
    if deferred {
        let (t, c) = (Instant::now(), cpu_now());
        assert_eq!(log.index_pending().unwrap(), n);
        report("  then index_pending", n, t.elapsed(), cpu_now() - c);
    }
}
