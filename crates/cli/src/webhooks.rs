//! `paddock webhooks`: the standalone listener for verified Slack and GitHub
//! webhooks (proposals only; `paddock serve --webhooks` runs the same
//! listener in the engine and launches approved proposals), the signing
//! secrets in the OS keyring, and the deliveries and proposals recorded.

use std::io::{BufRead as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use paddock_webhooks::{
    Delivery, DeliveryObserver, KEYRING_SERVICE, KeyringSecretStore, Listener, ListenerConfig,
    Proposal, ProposalState, Rules, Secret, SecretError, SecretStore, Source, Store, SystemClock,
};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Listen for Slack and GitHub webhooks until interrupted. Verified
    /// requests become proposals; each delivery is printed as a JSON line
    /// on stdout and appended to the audit trail (kind `webhook`).
    Serve(ServeArgs),
    /// Store a signing secret in the OS keyring, read from stdin (never from
    /// the command line, so it stays out of shell history).
    SetSecret(SecretArgs),
    /// Remove a signing secret from the OS keyring.
    DeleteSecret(SecretArgs),
    /// The latest deliveries and their verdicts, newest first.
    Deliveries(DeliveriesArgs),
    /// Proposals, newest first.
    Proposals(ProposalsArgs),
    /// Approve a pending proposal.
    Approve(DecideArgs),
    /// Reject a pending proposal.
    Reject(DecideArgs),
}

/// Where the webhook listener listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8790";

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on. Loopback by default; any other address is
    /// reachable from other machines and prints a warning.
    #[arg(long, default_value = DEFAULT_LISTEN)]
    listen: SocketAddr,
    #[command(flatten)]
    listener: ListenerArgs,
    /// Audit database [default: $PADDOCK_DATA_DIR/audit.db, else the user data dir's paddock/audit.db].
    #[arg(long)]
    audit_db: Option<PathBuf>,
}

/// The listener's settings, shared by `paddock webhooks serve` and
/// `paddock serve --webhooks`.
#[derive(clap::Args)]
pub struct ListenerArgs {
    #[command(flatten)]
    db: DbArg,
    /// Rules file (TOML): [[auto_run]] rules (repos, senders, labels) and,
    /// for `paddock serve --webhooks`, [repos] mapping owner/name to a local
    /// checkout with [task] defaults [default: <data dir>/webhook-rules.toml
    /// if it exists, the file the app's Settings edit]. Without rules every
    /// proposal waits for approval.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    max_body_bytes: usize,
    /// Seconds allowed to receive a whole body.
    #[arg(long, default_value_t = 10)]
    body_timeout_secs: u64,
    /// Keyring service name under which the secrets are stored.
    #[arg(long, default_value = KEYRING_SERVICE)]
    keyring_service: String,
}

#[derive(clap::Args)]
struct DbArg {
    /// Proposals database [default: $PADDOCK_DATA_DIR/webhooks.db, else the user data dir's paddock/webhooks.db].
    #[arg(long)]
    proposals_db: Option<PathBuf>,
}

impl DbArg {
    pub(crate) fn open(&self) -> anyhow::Result<Store> {
        let path = match &self.proposals_db {
            Some(p) => p.clone(),
            None => paddock_webhooks::default_db_path()
                .context("no user data directory; set PADDOCK_DATA_DIR or pass --proposals-db")?,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        Store::open(&path).with_context(|| format!("opening proposals database {}", path.display()))
    }
}

#[derive(clap::Args)]
struct SecretArgs {
    /// Which integration: slack (signing secret) or github (webhook secret).
    #[arg(value_parser = ["slack", "github"])]
    source: String,
    /// Keyring service name under which the secrets are stored.
    #[arg(long, default_value = KEYRING_SERVICE)]
    keyring_service: String,
}

#[derive(clap::Args)]
struct DeliveriesArgs {
    #[command(flatten)]
    db: DbArg,
    /// How many to show.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct ProposalsArgs {
    #[command(flatten)]
    db: DbArg,
    /// Only proposals in this state: pending, approved, rejected,
    /// launching, launched or failed.
    #[arg(long)]
    state: Option<ProposalState>,
    /// One JSON object per line instead of a summary.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct DecideArgs {
    #[command(flatten)]
    db: DbArg,
    /// Proposal id (from `paddock webhooks proposals`).
    id: uuid::Uuid,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Serve(a) => serve(a),
        Command::SetSecret(a) => set_secret(a),
        Command::DeleteSecret(a) => {
            let source = parse_source(&a.source)?;
            KeyringSecretStore::new(&a.keyring_service).delete(source)?;
            eprintln!("paddock webhooks: removed the {source} secret from the OS keyring");
            Ok(ExitCode::SUCCESS)
        }
        Command::Deliveries(a) => deliveries(a),
        Command::Proposals(a) => proposals(a),
        Command::Approve(a) => decide(a, true),
        Command::Reject(a) => decide(a, false),
    }
}

fn parse_source(s: &str) -> anyhow::Result<Source> {
    s.parse().map_err(anyhow::Error::msg)
}

fn set_secret(args: SecretArgs) -> anyhow::Result<ExitCode> {
    let source = parse_source(&args.source)?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the secret from stdin")?;
    let value = line.trim_end_matches(['\n', '\r']);
    if value.is_empty() {
        bail!(
            "no secret on stdin (pipe it in, e.g. `paddock webhooks set-secret {source} < file`)"
        );
    }
    KeyringSecretStore::new(&args.keyring_service).set(source, &Secret::from(value))?;
    eprintln!("paddock webhooks: stored the {source} secret in the OS keyring");
    Ok(ExitCode::SUCCESS)
}

/// Prints each delivery as one JSON line on stdout and appends it to the
/// audit trail. An audit failure is reported, never changes the answer.
struct Report {
    audit: Option<paddock_audit::AuditLog>,
}

impl DeliveryObserver for Report {
    fn on_delivery(&self, d: &Delivery) {
        if let Ok(line) = serde_json::to_string(d) {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
        if let Some(log) = &self.audit {
            let event = paddock_audit::NewEvent::new(
                paddock_audit::Actor::System,
                paddock_audit::Kind::Webhook,
                "delivery",
            )
            .resource(d.endpoint.clone())
            .outcome(d.verdict.as_str())
            .detail(serde_json::json!({
                "delivery": d.id,
                "source": d.source,
                "status": d.status,
                "reason": d.reason,
                "delivery_id": d.delivery_id,
                "event": d.event,
                "body_bytes": d.body_bytes,
                "body_sha256": d.body_sha256,
                "proposal": d.proposal_id,
                "peer": d.peer,
            }));
            if let Err(e) = log.append(event) {
                eprintln!("paddock webhooks: warning: could not append to the audit trail: {e}");
            }
        }
    }
}

/// Warns when `addr` is reachable from other machines.
pub(crate) fn warn_if_exposed(flag: &str, addr: SocketAddr) {
    if !addr.ip().is_loopback() {
        eprintln!(
            "paddock webhooks: warning: {flag} {addr} is reachable from other machines. Every request is \
             verified by signature, but prefer a loopback address behind a TLS tunnel or reverse proxy."
        );
    }
}

/// A listener built from [`ListenerArgs`], not yet serving.
pub(crate) struct Prepared {
    pub listener: Listener,
    pub store: Arc<Store>,
    /// The rules file in use, if any (re-read by the launcher).
    pub rules_path: Option<PathBuf>,
    configured: Vec<Source>,
    rule_count: usize,
}

impl ListenerArgs {
    /// The rules file: `--rules`, else the default one if it exists.
    fn rules_path(&self) -> Option<PathBuf> {
        self.rules
            .clone()
            .or_else(|| paddock_webhooks::default_rules_path().filter(|p| p.exists()))
    }

    /// Checks the secrets, loads the rules, opens the proposals database and
    /// builds the listener; deliveries go to stdout and `audit`.
    pub(crate) fn prepare(&self, audit: paddock_audit::AuditLog) -> anyhow::Result<Prepared> {
        let secrets = KeyringSecretStore::new(&self.keyring_service);
        let mut configured = Vec::new();
        for source in [Source::Slack, Source::Github] {
            match secrets.get(source) {
                Ok(_) => configured.push(source),
                Err(SecretError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if configured.is_empty() {
            bail!(
                "no webhook secrets in the OS keyring: store one with `paddock webhooks set-secret slack` or \
                 `paddock webhooks set-secret github` (reads stdin)"
            );
        }
        let rules_path = self.rules_path();
        let rules = match &rules_path {
            Some(path) => {
                eprintln!("paddock webhooks: auto-run rules from {}", path.display());
                Rules::load(path)?
            }
            None => Rules::default(),
        };
        let store = Arc::new(self.db.open()?);
        let rule_count = rules.auto_run.len();
        let config = ListenerConfig {
            max_body_bytes: self.max_body_bytes,
            body_timeout: std::time::Duration::from_secs(self.body_timeout_secs.max(1)),
            rules,
            ..ListenerConfig::default()
        };
        let listener = Listener::new(
            config,
            Arc::new(secrets),
            Arc::clone(&store),
            Arc::new(SystemClock),
            vec![Arc::new(Report { audit: Some(audit) })],
        );
        Ok(Prepared {
            listener,
            store,
            rules_path,
            configured,
            rule_count,
        })
    }
}

impl Prepared {
    /// Says where it listens, which sources have secrets, and the rules.
    pub(crate) fn announce(&self, bound: SocketAddr) {
        eprintln!("paddock webhooks: listening on http://{bound}");
        for source in [Source::Slack, Source::Github] {
            let endpoints = match source {
                Source::Slack => "/slack/commands, /slack/events",
                Source::Github => "/github",
            };
            if self.configured.contains(&source) {
                eprintln!("paddock webhooks: {source}: {endpoints}");
            } else {
                eprintln!("paddock webhooks: {source}: no secret stored, {endpoints} answer 503");
            }
        }
        let rule_count = self.rule_count;
        eprintln!(
            "paddock webhooks: {rule_count} auto-run rule(s); {}",
            if rule_count == 0 {
                "every proposal waits for approval"
            } else {
                "other proposals wait for approval"
            }
        );
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    warn_if_exposed("--listen", args.listen);
    let audit_path = paddock_cli::paths::audit_db(args.audit_db.clone())?;
    if let Some(parent) = audit_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let audit = paddock_audit::AuditLog::open(&audit_path)
        .with_context(|| format!("opening audit log {}", audit_path.display()))?;
    let prepared = args.listener.prepare(audit)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let tcp = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        prepared.announce(tcp.local_addr()?);
        tokio::select! {
            _ = tokio::signal::ctrl_c() => Ok(()),
            res = prepared.listener.serve(tcp) => res.context("the listener stopped"),
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

fn deliveries(args: DeliveriesArgs) -> anyhow::Result<ExitCode> {
    let list = args.db.open()?.list_deliveries(args.limit)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        for d in &list {
            writeln!(out, "{}", serde_json::to_string(d)?)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if list.is_empty() {
        writeln!(out, "no deliveries recorded")?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{:<20}  {:<16}  {:>6}  {:<8}  REASON",
        "RECEIVED (UTC)", "ENDPOINT", "STATUS", "VERDICT"
    )?;
    for d in &list {
        writeln!(
            out,
            "{:<20}  {:<16}  {:>6}  {:<8}  {}",
            d.received_at.format("%Y-%m-%d %H:%M:%S"),
            d.endpoint,
            d.status,
            d.verdict.as_str(),
            d.reason
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn proposals(args: ProposalsArgs) -> anyhow::Result<ExitCode> {
    let list = args.db.open()?.list_proposals(args.state)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        for p in &list {
            writeln!(out, "{}", serde_json::to_string(p)?)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if list.is_empty() {
        writeln!(out, "no proposals")?;
    }
    for p in &list {
        print_proposal(&mut out, p)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_proposal(out: &mut impl std::io::Write, p: &Proposal) -> std::io::Result<()> {
    let first_line = p.prompt.lines().next().unwrap_or_default();
    writeln!(
        out,
        "{}  {}  {} from {} by {}",
        p.id, p.state, p.repo, p.source, p.sender
    )?;
    writeln!(out, "    {first_line}")?;
    if let Some(by) = &p.decided_by {
        writeln!(out, "    decided by {by}")?;
    }
    if let Some(task) = &p.task_id {
        writeln!(out, "    launched as task {task}")?;
    }
    if let Some(why) = &p.launch_error {
        writeln!(out, "    not launched: {why}")?;
    }
    Ok(())
}

fn decide(args: DecideArgs, approve: bool) -> anyhow::Result<ExitCode> {
    let store = args.db.open()?;
    let p = store.decide_proposal(args.id, approve, chrono::Utc::now())?;
    print_proposal(&mut std::io::stdout().lock(), &p)?;
    Ok(ExitCode::SUCCESS)
}
