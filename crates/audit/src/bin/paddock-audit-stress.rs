//! Test helper: appends events to an audit log in a loop and prints `committed <seq>`
//! after each append returns, so a test can kill it mid-burst and check that every
//! reported event survived. Not installed with Paddock; used by the crash and
//! concurrency tests.
//!
//! Usage: paddock-audit-stress DB WRITER_NAME COUNT   (COUNT 0 = until killed)
//! `PADDOCK_AUDIT_STRESS_INDEX_LAG=N` sets `OpenOptions::index_lag` (default: the default).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use paddock_audit::{Actor, AuditLog, Kind, NewEvent, OpenOptions};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, db, writer, count] = args.as_slice() else {
        eprintln!("usage: paddock-audit-stress DB WRITER_NAME COUNT");
        return ExitCode::from(2);
    };
    let Ok(count) = count.parse::<u64>() else {
        eprintln!("COUNT must be a number");
        return ExitCode::from(2);
    };
    let mut opts = OpenOptions {
        checkpoint_every: 64,
        ..OpenOptions::default()
    };
    if let Some(lag) = std::env::var("PADDOCK_AUDIT_STRESS_INDEX_LAG")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        opts.index_lag = lag;
    }
    let log = match AuditLog::open_with(&PathBuf::from(db), opts) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("open: {e}");
            return ExitCode::from(1);
        }
    };
    let mut out = std::io::stdout().lock();
    let mut n = 0u64;
    while count == 0 || n < count {
        let ev = NewEvent::new(Actor::Agent, Kind::ToolCall, "Bash")
            .task(writer.clone())
            .resource(format!("step {n}"))
            .detail(serde_json::json!({ "writer": writer, "n": n }));
        match log.append(ev) {
            Ok(e) => {
                // Reported only after append returned, i.e. after the commit.
                if writeln!(out, "committed {} {} {n}", e.seq, e.id)
                    .and_then(|()| out.flush())
                    .is_err()
                {
                    return ExitCode::from(1);
                }
            }
            Err(e) => {
                eprintln!("append: {e}");
                return ExitCode::from(1);
            }
        }
        n += 1;
    }
    ExitCode::SUCCESS
}
