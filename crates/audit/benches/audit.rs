//! Audit log benchmarks. Run:
//!   CARGO_TARGET_DIR=/root/.cache/paddock/target cargo bench -p paddock-audit --bench audit -- \
//!     --warm-up-time 1 --measurement-time 3
//! The 1,000,000-event fixture is built once and cached under the target directory
//! (`paddock-audit-bench/`); delete that folder to rebuild it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // bench harness

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
#[path = "support/events.rs"]
mod events;

use events::event;
use paddock_audit::{Actor, AuditLog, Cursor, Filter, Kind, OpenOptions, Query};

const FIXTURE_EVENTS: u64 = 1_000_000;

fn fixture_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("paddock-audit-bench")
}

/// The cached 1M fixture, built (batched appends) if missing.
fn fixture() -> AuditLog {
    let dir = fixture_dir();
    let db = dir.join("audit-1m.db");
    let done = dir.join("audit-1m.complete");
    let opts = || OpenOptions {
        checkpoint_every: 1024,
        ..OpenOptions::default()
    };
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let log = AuditLog::open_with(&db, opts()).unwrap();
        let t = Instant::now();
        for chunk in 0..(FIXTURE_EVENTS / 10_000) {
            let evs = (chunk * 10_000..(chunk + 1) * 10_000).map(event).collect();
            log.append_batch(evs).unwrap();
        }
        eprintln!(
            "built {FIXTURE_EVENTS}-event fixture in {:.1?}",
            t.elapsed()
        );
        drop(log);
        std::fs::write(&done, b"").unwrap();
    }
    let log = AuditLog::open_with(&db, opts()).unwrap();
    // A fixture from an older version is migrated on open and its index rebuilt here,
    // not inside the first timed query.
    let t = Instant::now();
    let n = log.index_pending().unwrap();
    if n > 0 {
        eprintln!("indexed {n} fixture events in {:.1?}", t.elapsed());
    }
    let bytes = |prefix: &str, exclude: &str| -> u64 {
        std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.starts_with(prefix) && (exclude.is_empty() || !name.starts_with(exclude))
            })
            .map(|e| e.metadata().unwrap().len())
            .sum()
    };
    let log_bytes = bytes("audit-1m.db", "audit-1m.db.index");
    let index_bytes = bytes("audit-1m.db.index", "");
    let per = |b: u64| b as f64 / FIXTURE_EVENTS as f64;
    eprintln!(
        "fixture on disk: log (db + wal + checkpoints) {log_bytes} bytes = {:.0} bytes/event; \
         index file {index_bytes} bytes = {:.0} bytes/event",
        per(log_bytes),
        per(index_bytes)
    );
    log
}

/// Appends as a long-lived process makes them, with the default options: the search index
/// is kept up by the log's background thread (in its own file, so it runs beside the
/// appends), and by the appender itself whenever that thread falls 8,192 events behind.
/// `batch_1000_indexing_inline` is the same with the appender doing all the indexing
/// (`background_thread: false`): what one thread alone sustains, indexing included.
fn appends(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(&dir.path().join("append.db")).unwrap();
    let mut g = c.benchmark_group("append");
    g.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    g.bench_function("single_durable", |b| {
        b.iter(|| {
            i += 1;
            black_box(log.append(event(i)).unwrap());
        })
    });
    // Four threads appending single events at once share commits (group commit).
    let shared = std::sync::Arc::new(AuditLog::open(&dir.path().join("threads.db")).unwrap());
    g.throughput(Throughput::Elements(400));
    g.bench_function("single_4_threads_x100", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                let hs: Vec<_> = (0..4)
                    .map(|t| {
                        let log = std::sync::Arc::clone(&shared);
                        std::thread::spawn(move || {
                            for k in 0..100 {
                                log.append(event(t * 1000 + k)).unwrap();
                            }
                        })
                    })
                    .collect();
                hs.into_iter().for_each(|h| h.join().unwrap());
            }
            start.elapsed()
        })
    });
    g.throughput(Throughput::Elements(1000));
    g.bench_function("batch_1000", |b| {
        b.iter_batched(
            || (0..1000).map(|k| event(k + i)).collect::<Vec<_>>(),
            |evs| black_box(log.append_batch(evs).unwrap()),
            criterion::BatchSize::LargeInput,
        )
    });
    let inline = AuditLog::open_with(
        &dir.path().join("inline.db"),
        OpenOptions {
            background_thread: false,
            ..OpenOptions::default()
        },
    )
    .unwrap();
    g.bench_function("batch_1000_indexing_inline", |b| {
        b.iter_batched(
            || (0..1000).map(|k| event(k + i)).collect::<Vec<_>>(),
            |evs| black_box(inline.append_batch(evs).unwrap()),
            criterion::BatchSize::LargeInput,
        )
    });
    g.finish();
    // How far behind the background thread was left: work it still owes.
    let behind = log.index_pending().unwrap();
    eprintln!("append.db: {behind} events were still waiting for the background indexer");
}

fn queries(c: &mut Criterion) {
    let log = fixture();
    let mid_ts = chrono::DateTime::parse_from_rfc3339(&log.get(600_000).unwrap().unwrap().ts)
        .unwrap()
        .to_utc();
    let mut g = c.benchmark_group("page_1m");
    let cases: Vec<(&str, Filter, Cursor)> = vec![
        ("newest_unfiltered", Filter::default(), Cursor::Newest),
        (
            "middle_unfiltered",
            Filter::default(),
            Cursor::Before(500_000),
        ),
        (
            "kind_egress",
            Filter {
                kinds: vec![Kind::Egress],
                ..Filter::default()
            },
            Cursor::Newest,
        ),
        (
            "kind_approval_rare_middle",
            Filter {
                kinds: vec![Kind::Approval],
                ..Filter::default()
            },
            Cursor::Before(500_000),
        ),
        (
            "actor_user",
            Filter {
                actors: vec![Actor::User],
                ..Filter::default()
            },
            Cursor::Newest,
        ),
        (
            "outcome_deny",
            Filter {
                outcomes: vec!["deny".into()],
                ..Filter::default()
            },
            Cursor::Newest,
        ),
        (
            "task",
            Filter {
                task_id: Some("task-0123".into()),
                ..Filter::default()
            },
            Cursor::Oldest,
        ),
        (
            "since_time",
            Filter {
                since: Some(mid_ts),
                ..Filter::default()
            },
            Cursor::Oldest,
        ),
        (
            "kind_and_outcome",
            Filter {
                kinds: vec![Kind::GateDecision],
                outcomes: vec!["deny".into()],
                ..Filter::default()
            },
            Cursor::Newest,
        ),
        (
            "no_match_user_credential",
            Filter {
                kinds: vec![Kind::Credential],
                actors: vec![Actor::User],
                ..Filter::default()
            },
            Cursor::Newest,
        ),
        (
            "two_kinds_two_actors",
            Filter {
                kinds: vec![Kind::Sandbox, Kind::Credential],
                actors: vec![Actor::System, Actor::SubAgent],
                ..Filter::default()
            },
            Cursor::Before(700_000),
        ),
    ];
    for (name, filter, cursor) in cases {
        let q = Query {
            filter,
            cursor,
            limit: 100,
        };
        g.bench_function(name, |b| b.iter(|| black_box(log.query(&q).unwrap())));
    }
    g.finish();

    let mut g = c.benchmark_group("fts_1m");
    let text = |t: &str| Filter {
        text: Some(t.into()),
        ..Filter::default()
    };
    let cases: Vec<(&str, Filter)> = vec![
        ("common_word", text("cargo")),
        ("two_words", text("migrate python3")),
        ("prefix", text("modul*")),
        // A prefix of words that occur in nearly every event: FTS5 merges their whole
        // doclists before it can return the first match (no prefix index, see docs).
        ("prefix_of_common_words", text("dev*")),
        ("rare_word", text("zanzibar")),
        (
            "word_and_kind",
            Filter {
                kinds: vec![Kind::Egress],
                ..text("items")
            },
        ),
        (
            "word_and_rare_actor",
            Filter {
                actors: vec![Actor::User],
                ..text("npm")
            },
        ),
        // Worst case: a common word and a filter nothing matches, so every posting is read.
        (
            "common_word_no_match",
            Filter {
                outcomes: vec!["no-such-outcome".into()],
                ..text("cargo")
            },
        ),
    ];
    for (name, filter) in cases {
        let q = Query {
            filter,
            cursor: Cursor::Newest,
            limit: 100,
        };
        g.bench_function(name, |b| b.iter(|| black_box(log.query(&q).unwrap())));
    }
    g.finish();

    let mut g = c.benchmark_group("counts_1m");
    g.sample_size(10);
    g.bench_function("unfiltered", |b| {
        b.iter(|| black_box(log.counts(&Filter::default()).unwrap()))
    });
    let task = Filter {
        task_id: Some("task-0042".into()),
        ..Filter::default()
    };
    g.bench_function("task", |b| b.iter(|| black_box(log.counts(&task).unwrap())));
    let since = Filter {
        since: Some(mid_ts),
        ..Filter::default()
    };
    g.bench_function("since_time", |b| {
        b.iter(|| black_box(log.counts(&since).unwrap()))
    });
    let word = Filter {
        text: Some("cargo".into()),
        ..Filter::default()
    };
    g.bench_function("common_word", |b| {
        b.iter(|| black_box(log.counts(&word).unwrap()))
    });
    g.finish();

    let mut g = c.benchmark_group("verify_1m");
    g.sample_size(10);
    g.throughput(Throughput::Elements(FIXTURE_EVENTS));
    g.bench_function("full", |b| {
        b.iter(|| {
            let r = log.verify().unwrap();
            assert!(r.ok, "{r:?}");
        })
    });
    g.finish();
}

criterion_group!(benches, appends, queries);
criterion_main!(benches);
