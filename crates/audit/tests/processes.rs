//! Real processes against one database file: SIGKILL mid-burst, several concurrent writers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use paddock_audit::{AuditLog, Filter};

const STRESS: &str = env!("CARGO_BIN_EXE_paddock-audit-stress");

/// (seq, id, writer-local n) for every `committed` line.
fn parse_committed(line: &str) -> Option<(u64, String, u64)> {
    let mut it = line.strip_prefix("committed ")?.split(' ');
    Some((
        it.next()?.parse().ok()?,
        it.next()?.to_owned(),
        it.next()?.parse().ok()?,
    ))
}

#[test]
fn kill_9_mid_burst_loses_no_committed_event() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    // Create the log (and its key) first so the child starts appending at once.
    drop(AuditLog::open(&db).unwrap());
    let mut child = Command::new(STRESS)
        .args([db.to_str().unwrap(), "victim", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut committed = Vec::new();
    let mut line = String::new();
    // Let it get well into the burst (past several checkpoints), then SIGKILL it.
    while committed.len() < 3000 {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "writer exited early"
        );
        committed.push(parse_committed(line.trim_end()).expect("malformed line from writer"));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    let status = child.wait().unwrap();
    assert!(!status.success(), "writer was not killed: {status:?}");
    // Lines already in the pipe were also reported committed.
    for l in reader.lines() {
        let l = l.unwrap();
        if let Some(c) = parse_committed(&l) {
            committed.push(c);
        }
    }

    let log = AuditLog::open(&db).unwrap();
    for (seq, id, n) in &committed {
        let ev = log
            .get(*seq)
            .unwrap()
            .unwrap_or_else(|| panic!("committed event #{seq} is gone"));
        assert_eq!(&ev.id, id, "event #{seq} changed identity");
        assert_eq!(ev.detail["n"], *n, "event #{seq} changed content");
    }
    let report = log.verify().unwrap();
    assert!(report.ok, "{report:#?}");
    assert!(report.head_seq >= committed.len() as u64);
    assert!(report.checkpoints_verified >= 3000 / 64, "{report:#?}");
}

#[test]
fn concurrent_writer_processes_form_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    const WRITERS: usize = 4;
    const EACH: u64 = 400;
    // No pre-open: the writers race to create the database and the signing key too.
    let children: Vec<_> = (0..WRITERS)
        .map(|i| {
            Command::new(STRESS)
                .args([db.to_str().unwrap(), &format!("w{i}"), &EACH.to_string()])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut seen: HashMap<u64, String> = HashMap::new();
    for (i, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "writer {i} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            let (seq, _, _) = parse_committed(line).unwrap();
            assert!(
                seen.insert(seq, format!("w{i}")).is_none(),
                "two writers got #{seq}"
            );
        }
    }
    let total = WRITERS as u64 * EACH;
    assert_eq!(seen.len() as u64, total);

    let log = AuditLog::open(&db).unwrap();
    let report = log.verify().unwrap();
    assert!(report.ok, "{report:#?}");
    assert_eq!(report.head_seq, total);
    assert_eq!(report.events, total);
    // Each writer's events are all there, in its own order.
    for i in 0..WRITERS {
        let task = format!("w{i}");
        let mut ns = Vec::new();
        log.for_each_event(
            &Filter {
                task_id: Some(task.clone()),
                ..Filter::default()
            },
            |e| {
                assert_eq!(seen.get(&e.seq), Some(&task));
                ns.push(e.detail["n"].as_u64().unwrap());
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(ns, (0..EACH).collect::<Vec<_>>(), "writer {task}");
    }
}

#[test]
fn concurrent_writer_processes_index_in_turn() {
    // Every writer indexes (on its background thread) whenever 50 events are pending:
    // four processes take turns at it, each finishing what it started before it exits,
    // and the index must end up with every event exactly once.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    drop(AuditLog::open(&db).unwrap());
    const WRITERS: usize = 4;
    const EACH: u64 = 300;
    let children: Vec<_> = (0..WRITERS)
        .map(|i| {
            Command::new(STRESS)
                .args([db.to_str().unwrap(), &format!("w{i}"), &EACH.to_string()])
                .env("PADDOCK_AUDIT_STRESS_INDEX_LAG", "50")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "writer {i} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let total = WRITERS as u64 * EACH;
    let mut index_file = db.as_os_str().to_owned();
    index_file.push(".index");
    let indexed: String = rusqlite::Connection::open(index_file)
        .unwrap()
        .query_row(
            "SELECT value FROM index_meta WHERE key = 'index_through'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let indexed: u64 = indexed.parse().unwrap();
    assert!(
        total - indexed < 50,
        "writers left {} events unindexed",
        total - indexed
    );
    let log = AuditLog::open(&db).unwrap();
    assert_eq!(log.counts(&Filter::default()).unwrap().total, total);
    let tasks = log.tasks(10).unwrap();
    assert_eq!(tasks.len(), WRITERS);
    assert!(tasks.iter().all(|t| t.events == EACH), "{tasks:?}");
    for i in 0..WRITERS {
        let mut seen = Vec::new();
        log.for_each_event(
            &Filter {
                text: Some(format!("w{i}")),
                ..Filter::default()
            },
            |e| {
                seen.push(e.detail["n"].as_u64().unwrap());
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(
            seen,
            (0..EACH).collect::<Vec<_>>(),
            "search for writer w{i}"
        );
    }
    assert!(log.verify().unwrap().ok);
}

#[test]
fn concurrent_threads_sharing_one_log_form_one_chain() {
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(AuditLog::open(&dir.path().join("audit.db")).unwrap());
    const THREADS: u64 = 8;
    const EACH: u64 = 150;
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let mut seqs = Vec::new();
                for n in 0..EACH {
                    let ev = paddock_audit::NewEvent::new(
                        paddock_audit::Actor::Agent,
                        paddock_audit::Kind::Egress,
                        "GET",
                    )
                    .task(format!("thread-{t}"))
                    .detail(serde_json::json!({ "n": n }));
                    // Mix single appends and small batches through the group commit.
                    if n % 10 == 0 {
                        let evs = vec![ev.clone(), ev];
                        let got = log.append_batch(evs).unwrap();
                        assert_eq!(got.len(), 2);
                        assert_eq!(got[1].seq, got[0].seq + 1, "a batch must stay consecutive");
                        assert!(
                            got.iter()
                                .all(|e| e.task_id.as_deref() == Some(&*format!("thread-{t}")))
                        );
                        seqs.extend(got.iter().map(|e| e.seq));
                    } else {
                        let e = log.append(ev).unwrap();
                        assert_eq!(
                            e.task_id.as_deref(),
                            Some(&*format!("thread-{t}")),
                            "got someone else's event"
                        );
                        assert_eq!(e.detail["n"], n);
                        seqs.push(e.seq);
                    }
                }
                seqs
            })
        })
        .collect();
    let mut all = Vec::new();
    for h in handles {
        let seqs = h.join().unwrap();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "a thread's events out of order"
        );
        all.extend(seqs);
    }
    all.sort_unstable();
    let total = THREADS * (EACH + EACH / 10);
    assert_eq!(all, (1..=total).collect::<Vec<_>>());
    let report = log.verify().unwrap();
    assert!(report.ok, "{report:#?}");
    assert_eq!(report.head_seq, total);
}

#[test]
fn appends_that_arrive_during_a_commit_share_the_next_one() {
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let log = Arc::new(AuditLog::open(&db).unwrap());
    log.append(paddock_audit::NewEvent::new(
        paddock_audit::Actor::System,
        paddock_audit::Kind::Task,
        "start",
    ))
    .unwrap();
    // Another process holds the write lock: the first caller leads and waits for it,
    // the others queue behind it.
    let other = rusqlite::Connection::open(&db).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    const THREADS: usize = 8;
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let ev = paddock_audit::NewEvent::new(
                    paddock_audit::Actor::Agent,
                    paddock_audit::Kind::ToolCall,
                    "Bash",
                )
                .task(format!("thread-{t}"));
                log.append(ev).unwrap()
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while log.queued_appends() < THREADS - 1 {
        assert!(Instant::now() < deadline, "the appends never queued up");
        std::thread::yield_now();
    }
    other.execute_batch("COMMIT").unwrap();
    let events: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    // One commit stamps all its events with one time: the leader's own, then the rest.
    let mut commits: Vec<&str> = events.iter().map(|e| e.ts.as_str()).collect();
    commits.sort_unstable();
    commits.dedup();
    assert_eq!(commits.len(), 2, "{events:#?}");
    let mut seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (2..=THREADS as u64 + 1).collect::<Vec<_>>());
    assert!(log.verify().unwrap().ok);
}
