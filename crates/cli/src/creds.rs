//! `paddock creds`: ephemeral, task-scoped AWS credentials (grant, list, revoke, reap).

use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use paddock_creds::aws::{KeyringCredentials, store_admin_in_keyring};
use paddock_creds::{AdminSource, AwsConfig, AwsMode, GrantRequest, LeaseState, LeaseStore, Leases, TracingObserver};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Mint credentials for a task; prints them as shell `export` lines (or JSON) on stdout.
    Grant(Box<GrantArgs>),
    /// List leases, newest first: state, principal, scope, expiry.
    List(ListArgs),
    /// Revoke leases now (by id, or all live leases of a task).
    Revoke(RevokeArgs),
    /// Finish interrupted work, revoke expired leases, retry pending revocations; with --sweep,
    /// also delete Paddock objects in the account that belong to no live lease.
    Reap(ReapArgs),
    /// Store the admin (provisioning) access key in the OS keyring, read as JSON from stdin:
    /// {"access_key_id": "...", "secret_access_key": "..."}.
    AdminKey(KeyringArgs),
}

#[derive(clap::Args, Clone)]
struct KeyringArgs {
    /// Keyring service of the admin credentials.
    #[arg(long, default_value = "paddock")]
    keyring_service: String,
    /// Keyring user of the admin credentials.
    #[arg(long, default_value = "aws-admin")]
    keyring_user: String,
}

#[derive(clap::Args)]
struct GrantArgs {
    /// The task the credentials are for (becomes `paddock-<task>` in AWS).
    #[arg(long)]
    task: String,
    /// What the task may do, e.g. `s3:read my-bucket/prefix`, `dynamodb:write Orders`,
    /// `sqs:send jobs`, or `raw {...}` (repeatable). See docs/creds.md.
    #[arg(long = "grant", required = true)]
    grants: Vec<String>,
    /// Lifetime: `90m`, `2h`, `3600s` (assumed-role sessions are clamped to 15 min … role maximum).
    #[arg(long, default_value = "1h")]
    ttl: String,
    /// `assumed-role` (default: a session on --role-arn) or `iam-user` (a user and access key).
    #[arg(long, default_value = "assumed-role")]
    mode: String,
    /// The base role to assume (assumed-role mode).
    #[arg(long, env = "PADDOCK_AWS_ROLE_ARN")]
    role_arn: Option<String>,
    /// Use this named AWS profile for the admin credentials instead of the keyring.
    #[arg(long)]
    profile: Option<String>,
    #[command(flatten)]
    keyring: KeyringArgs,
    #[arg(long, default_value = "us-east-1", env = "AWS_REGION")]
    region: String,
    /// Talk to this endpoint instead of AWS (e.g. a local emulator).
    #[arg(long, env = "PADDOCK_AWS_ENDPOINT_URL")]
    endpoint_url: Option<String>,
    /// Seconds before an entity IAM reports missing counts as gone (eventual consistency).
    #[arg(long, default_value_t = 30)]
    min_entity_age: u64,
    /// `env` (shell export lines) or `json`.
    #[arg(long, default_value = "env")]
    format: String,
}

#[derive(clap::Args)]
struct ListArgs {
    /// JSON with each lease's history.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct RevokeArgs {
    /// Lease ids.
    ids: Vec<uuid::Uuid>,
    /// Revoke every live lease of this task.
    #[arg(long)]
    task: Option<String>,
}

#[derive(clap::Args)]
struct ReapArgs {
    /// Also sweep the account(s) of known leases for orphans.
    #[arg(long)]
    sweep: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async move {
        let path = LeaseStore::default_path()?;
        let store = LeaseStore::open(&path)?;
        let leases = Leases::new(store, Arc::new(TracingObserver));
        match args.command {
            Command::Grant(a) => grant(&leases, *a).await,
            Command::List(a) => list(&leases, a),
            Command::Revoke(a) => revoke(&leases, a).await,
            Command::Reap(a) => reap(&leases, a).await,
            Command::AdminKey(k) => admin_key(&k),
        }
    })
}

fn admin_key(k: &KeyringArgs) -> anyhow::Result<ExitCode> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    // No serde error detail: it could quote the secret.
    let creds: KeyringCredentials = serde_json::from_str(input.trim())
        .map_err(|_| anyhow::anyhow!("stdin is not {{\"access_key_id\": …, \"secret_access_key\": …}}"))?;
    store_admin_in_keyring(&k.keyring_service, &k.keyring_user, &creds)?;
    eprintln!("stored admin key {} in the keyring as {}/{}", creds.access_key_id, k.keyring_service, k.keyring_user);
    Ok(ExitCode::SUCCESS)
}

/// `90m`, `2h`, `45s`, `3600` (seconds).
fn parse_ttl(s: &str) -> anyhow::Result<chrono::Duration> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num.parse().with_context(|| format!("TTL `{s}`: expected e.g. 90m, 2h, 3600s"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => bail!("TTL `{s}`: unit must be s, m or h"),
    };
    Ok(chrono::Duration::seconds(secs))
}

async fn grant(leases: &Leases, a: GrantArgs) -> anyhow::Result<ExitCode> {
    let mode = match a.mode.as_str() {
        "assumed-role" | "role" => AwsMode::AssumedRole,
        "iam-user" | "user" => AwsMode::IamUser,
        other => bail!("--mode `{other}`: use assumed-role or iam-user"),
    };
    let admin = match a.profile {
        Some(name) => AdminSource::Profile { name },
        None => AdminSource::Keyring { service: a.keyring.keyring_service, user: a.keyring.keyring_user },
    };
    let mut cfg = AwsConfig::new(mode, a.region, admin);
    cfg.role_arn = a.role_arn;
    cfg.endpoint_url = a.endpoint_url;
    cfg.min_entity_age_secs = a.min_entity_age;
    let req = GrantRequest::aws(a.task, a.grants, parse_ttl(&a.ttl)?, &cfg)?;
    let (lease, issued) = leases.grant(req).await?;
    eprintln!("lease {} active: {} until {}", lease.id, issued.principal, issued.expires_at);
    match a.format.as_str() {
        "json" => {
            let mut m = serde_json::Map::new();
            m.insert("lease".into(), lease.id.to_string().into());
            m.insert("expires_at".into(), issued.expires_at.to_rfc3339().into());
            for (k, v) in issued.env() {
                m.insert(k.into(), v.into());
            }
            println!("{}", serde_json::Value::Object(m));
        }
        _ => {
            println!("export PADDOCK_LEASE={}", lease.id);
            for (k, v) in issued.env() {
                println!("export {k}={v}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn list(leases: &Leases, a: ListArgs) -> anyhow::Result<ExitCode> {
    let rows = leases.list_leases()?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("no leases");
    }
    for r in rows {
        let state = match (&r.state, &r.failure) {
            (LeaseState::Failed, Some(f)) => format!("failed ({f})"),
            (s, _) => s.as_str().to_string(),
        };
        println!(
            "{}  {:<12} {:<10} task {:<16} expires {}  {}",
            r.id,
            state,
            r.mode,
            r.task,
            r.expires_at.format("%Y-%m-%d %H:%M:%SZ"),
            r.principal.as_deref().unwrap_or("-")
        );
        println!("    scope: {}", r.scope_summary);
        if let Some(e) = r.last_error.filter(|_| r.state == LeaseState::Revoking) {
            println!("    retrying (attempt {}): {e}", r.attempts);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn revoke(leases: &Leases, a: RevokeArgs) -> anyhow::Result<ExitCode> {
    if a.ids.is_empty() && a.task.is_none() {
        bail!("name lease ids, or --task");
    }
    let mut out = Vec::new();
    for id in a.ids {
        out.push(leases.revoke(id, "revoked on demand").await?);
    }
    if let Some(task) = a.task {
        out.extend(leases.revoke_task(&task).await?);
    }
    let mut pending = 0;
    for l in out {
        match l.state {
            LeaseState::Revoked | LeaseState::Failed => println!("{} {}", l.id, l.state.as_str()),
            _ => {
                pending += 1;
                println!("{} still revoking: {} (the reaper retries)", l.id, l.last_error.unwrap_or_default());
            }
        }
    }
    Ok(if pending == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

async fn reap(leases: &Leases, a: ReapArgs) -> anyhow::Result<ExitCode> {
    let r = leases.reap().await?;
    for id in &r.revoked {
        println!("revoked {id}");
    }
    for id in &r.failed {
        println!("cleaned up failed lease {id}");
    }
    for id in &r.cleaned {
        println!("removed the revocation policy of {id}");
    }
    for (id, why) in &r.retrying {
        println!("still revoking {id}: {why}");
    }
    if a.sweep {
        for o in leases.sweep(None).await? {
            println!("removed orphan {} {}", o.kind, o.name);
        }
    }
    Ok(if r.retrying.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
