//! `paddock audit`: read, follow, verify and export the audit trail.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use paddock_audit::{
    Actor, AuditLog, Cursor, Event, ExportFormat, Filter, Kind, Query, VerifyReport,
};

#[derive(clap::Args)]
pub struct Args {
    /// Audit database [default: $PADDOCK_DATA_DIR/audit.db, else the user data dir's paddock/audit.db].
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// List events matching filters, a page at a time (oldest of the page first).
    List(ListArgs),
    /// Show one event in full, by sequence number (`42`, `#42`) or id.
    Show(ShowArgs),
    /// Print the latest events; with -f, keep printing new ones as they are recorded.
    Tail(TailArgs),
    /// Check the hash chain and the signed checkpoints. Exits 1 if anything is wrong.
    Verify(VerifyArgs),
    /// Write matching events to a file or stdout as JSONL or CSV, oldest first.
    Export(ExportArgs),
    /// Sign a checkpoint at the current head now.
    Checkpoint,
}

#[derive(clap::Args)]
struct FilterArgs {
    /// Only events at or after this time: RFC 3339, a date (2026-11-23) or an age (15m, 2h, 7d).
    #[arg(long, value_parser = parse_time)]
    since: Option<DateTime<Utc>>,
    /// Only events before this time (same forms as --since).
    #[arg(long, value_parser = parse_time)]
    until: Option<DateTime<Utc>>,
    /// Only events of this task.
    #[arg(long, value_name = "TASK_ID")]
    task: Option<String>,
    /// Only these actors (comma-separated): user, agent, sub_agent, system.
    #[arg(long, value_delimiter = ',')]
    actor: Vec<Actor>,
    /// Only these kinds (comma-separated): tool_call, gate_decision, approval, sandbox, egress,
    /// credential, task, webhook, config, warning.
    #[arg(long, value_delimiter = ',')]
    kind: Vec<Kind>,
    /// Only these decisions/outcomes (comma-separated), e.g. deny,ask.
    #[arg(long, value_delimiter = ',')]
    outcome: Vec<String>,
    /// Free-text search in action, resource, outcome and the detail's values (not its keys): every word
    /// must occur; `word*` matches a prefix.
    #[arg(long, short = 's', value_name = "TEXT")]
    search: Option<String>,
}

impl FilterArgs {
    fn filter(&self) -> Filter {
        Filter {
            since: self.since,
            until: self.until,
            task_id: self.task.clone(),
            actors: self.actor.clone(),
            kinds: self.kind.clone(),
            outcomes: self.outcome.clone(),
            text: self.search.clone(),
        }
    }
}

#[derive(clap::Args)]
struct ListArgs {
    #[command(flatten)]
    filter: FilterArgs,
    /// Events per page.
    #[arg(long, short = 'n', default_value_t = 50)]
    limit: u32,
    /// Events older than this sequence number (page backwards).
    #[arg(long, value_name = "SEQ", conflicts_with_all = ["after", "oldest"])]
    before: Option<u64>,
    /// Events newer than this sequence number (page forwards).
    #[arg(long, value_name = "SEQ", conflicts_with = "oldest")]
    after: Option<u64>,
    /// Start from the oldest events instead of the newest.
    #[arg(long)]
    oldest: bool,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct ShowArgs {
    /// Sequence number or event id.
    event: String,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct TailArgs {
    #[command(flatten)]
    filter: FilterArgs,
    /// How many of the latest events to print first.
    #[arg(long, short = 'n', default_value_t = 10)]
    lines: u32,
    /// Keep running and print new events as they are recorded.
    #[arg(long, short = 'f')]
    follow: bool,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// Check checkpoints against this public key (hex) instead of the local key file,
    /// e.g. one you wrote down or stored elsewhere.
    #[arg(long, value_name = "HEX")]
    expect_key: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct ExportArgs {
    #[command(flatten)]
    filter: FilterArgs,
    /// jsonl or csv [default: from the --output extension, else jsonl].
    #[arg(long)]
    format: Option<String>,
    /// Output file [default: stdout].
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    paddock_audit::parse_time_bound(s)
        .map_err(|e| e.to_string().replace("invalid audit query: ", ""))
}


/// Opens an existing log; reading commands never create one as a side effect.
fn open_existing(path: &std::path::Path) -> anyhow::Result<AuditLog> {
    if !path.exists() {
        bail!(
            "no audit log at {} (nothing recorded yet, or pass --db PATH / set PADDOCK_DATA_DIR)",
            path.display()
        );
    }
    AuditLog::open(path).with_context(|| format!("opening audit log {}", path.display()))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let path = paddock_cli::paths::audit_db(args.db)?;
    let log = open_existing(&path)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = match args.command {
        Command::List(a) => list(&log, a, &mut out),
        Command::Show(a) => show(&log, a, &mut out),
        Command::Tail(a) => tail(&log, a, &mut out),
        Command::Verify(a) => verify(&log, a, &mut out),
        Command::Export(a) => export(&log, a, &mut out),
        Command::Checkpoint => match log.checkpoint()? {
            Some(cp) => writeln!(out, "signed checkpoint at #{} ({})", cp.seq, cp.hash)
                .map(|()| ExitCode::SUCCESS)
                .map_err(Into::into),
            None => writeln!(
                out,
                "nothing to sign: the head is already checkpointed or the log is empty"
            )
            .map(|()| ExitCode::SUCCESS)
            .map_err(Into::into),
        },
    };
    match result {
        // `paddock audit tail -f | head` closing the pipe is a normal way to stop.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            Ok(ExitCode::SUCCESS)
        }
        other => other,
    }
}

fn one_line(s: &str, max: usize) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() > max {
        let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

fn print_event(out: &mut impl Write, e: &Event, json: bool) -> anyhow::Result<()> {
    if json {
        serde_json::to_writer(&mut *out, e)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "#{:<7} {}  {:<9} {:<13} {:<6} {:<12} {} {}",
            e.seq,
            e.ts,
            e.actor.as_str(),
            e.kind.as_str(),
            e.outcome.as_deref().unwrap_or("-"),
            e.task_id.as_deref().unwrap_or("-"),
            one_line(&e.action, 40),
            one_line(&e.resource, 100),
        )?;
    }
    Ok(())
}

fn list(log: &AuditLog, a: ListArgs, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let cursor = match (a.before, a.after, a.oldest) {
        (Some(s), _, _) => Cursor::Before(s),
        (_, Some(s), _) => Cursor::After(s),
        (_, _, true) => Cursor::Oldest,
        _ => Cursor::Newest,
    };
    let page = log.query(&Query {
        filter: a.filter.filter(),
        cursor,
        limit: a.limit,
    })?;
    for e in &page.events {
        print_event(out, e, a.json)?;
    }
    // Paging hints go to stderr so stdout stays clean for scripts.
    if let Some(Cursor::Before(s)) = page.older() {
        eprintln!("older events: --before {s}");
    }
    if let Some(Cursor::After(s)) = page.newer() {
        eprintln!("newer events: --after {s}");
    }
    if page.events.is_empty() {
        eprintln!("no matching events");
    }
    Ok(ExitCode::SUCCESS)
}

fn show(log: &AuditLog, a: ShowArgs, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let key = a.event.trim().trim_start_matches('#');
    let found = match key.parse::<u64>() {
        Ok(seq) => log.get(seq)?,
        Err(_) => log.get_by_id(key)?,
    };
    let Some(e) = found else {
        bail!("no event {:?} in {}", a.event, log.path().display());
    };
    if a.json {
        serde_json::to_writer_pretty(&mut *out, &e)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "seq:      #{}", e.seq)?;
    writeln!(out, "id:       {}", e.id)?;
    writeln!(out, "time:     {}", e.ts)?;
    writeln!(out, "task:     {}", e.task_id.as_deref().unwrap_or("-"))?;
    writeln!(out, "actor:    {}", e.actor)?;
    writeln!(out, "kind:     {}", e.kind)?;
    writeln!(out, "action:   {}", e.action)?;
    writeln!(out, "resource: {}", e.resource)?;
    writeln!(out, "outcome:  {}", e.outcome.as_deref().unwrap_or("-"))?;
    writeln!(out, "hash:     {}", e.hash)?;
    writeln!(out, "detail:\n{}", serde_json::to_string_pretty(&e.detail)?)?;
    Ok(ExitCode::SUCCESS)
}

fn tail(log: &AuditLog, a: TailArgs, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let filter = a.filter.filter();
    let head_before = log.head()?.map_or(0, |h| h.0);
    let mut last = head_before;
    if a.lines > 0 {
        let page = log.query(&Query {
            filter: filter.clone(),
            cursor: Cursor::Newest,
            limit: a.lines,
        })?;
        for e in &page.events {
            print_event(out, e, a.json)?;
            last = last.max(e.seq);
        }
    } else {
        filter.validate()?;
    }
    out.flush()?;
    if !a.follow {
        return Ok(ExitCode::SUCCESS);
    }
    loop {
        let page = log.query(&Query {
            filter: filter.clone(),
            cursor: Cursor::After(last),
            limit: 1000,
        })?;
        for e in &page.events {
            print_event(out, e, a.json)?;
            last = e.seq;
        }
        out.flush()?;
        if !page.has_newer {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn verify(log: &AuditLog, a: VerifyArgs, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let report: VerifyReport = match &a.expect_key {
        Some(k) => log.verify_with_key(k)?,
        None => log.verify()?,
    };
    if a.json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else if report.ok {
        writeln!(
            out,
            "ok: {} events, chain intact, {} signed checkpoints verified, sealed through #{}",
            report.events, report.checkpoints_verified, report.sealed_through
        )?;
        let unsealed = report.head_seq - report.sealed_through;
        if unsealed > 0 {
            writeln!(
                out,
                "note: the newest {unsealed} events are chained but not yet under a checkpoint \
                 (run `paddock audit checkpoint` to seal them)"
            )?;
        }
        writeln!(out, "key: {}", report.trusted_key)?;
    } else {
        match report.first_broken {
            Some(seq) => writeln!(out, "BROKEN at #{seq}")?,
            None => writeln!(out, "BROKEN")?,
        }
        for p in &report.problems {
            writeln!(out, "  - {}", p.message)?;
        }
        writeln!(
            out,
            "{} events read; key checked: {}",
            report.events, report.trusted_key
        )?;
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn export(log: &AuditLog, a: ExportArgs, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let format: ExportFormat = match (&a.format, &a.output) {
        (Some(f), _) => f.parse()?,
        (None, Some(p)) if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) => {
            ExportFormat::Csv
        }
        _ => ExportFormat::Jsonl,
    };
    let filter = a.filter.filter();
    let n = match &a.output {
        Some(p) => {
            let f =
                std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?;
            log.export(&filter, format, f)?
        }
        None => log.export(&filter, format, &mut *out)?,
    };
    eprintln!("exported {n} events");
    Ok(ExitCode::SUCCESS)
}
