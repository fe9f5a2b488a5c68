//! `paddock creds`: ephemeral, task-scoped cloud credentials — AWS and GCP (grant, list, revoke,
//! reap, settings, admin-key).

use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use paddock_creds::aws::{KeyringCredentials, store_admin_in_keyring};
use paddock_creds::gcp::{GcpAdminSource, GcpConfig, store_service_account_in_keyring};
use paddock_creds::{
    AdminSource, AwsConfig, AwsMode, CredsSettings, GrantRequest, LeaseState, LeaseStore, Leases, TracingObserver,
    parse_grants,
};

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
    /// Store the admin (provisioning) credentials in the OS keyring, read from stdin: for AWS
    /// {"access_key_id": "...", "secret_access_key": "..."}; with --gcp a service-account key
    /// file's JSON.
    AdminKey(AdminKeyArgs),
    /// Show or change the saved cloud settings (`<data>/creds-settings.json`; no secrets in it).
    Settings(SettingsArgs),
}

#[derive(clap::Args)]
struct AdminKeyArgs {
    #[command(flatten)]
    keyring: KeyringArgs,
    /// Store a GCP service-account key (default keyring user `gcp-admin`) instead of an AWS key.
    #[arg(long)]
    gcp: bool,
}

#[derive(clap::Args)]
struct SettingsArgs {
    #[command(subcommand)]
    command: SettingsCommand,
}

#[derive(clap::Subcommand)]
enum SettingsCommand {
    /// Print the saved settings as JSON.
    Show,
    /// Set the GCP settings: project, admin credential source, allowed roles.
    Gcp(GcpSettingsArgs),
}

#[derive(clap::Args)]
struct GcpSettingsArgs {
    /// The project the per-lease service accounts live in.
    #[arg(long)]
    project: Option<String>,
    /// Admin credentials: `adc` (application default credentials), `keyring[:SERVICE/USER]`
    /// (a service-account key stored with `admin-key --gcp`), or `impersonate:EMAIL`.
    #[arg(long)]
    admin: Option<String>,
    /// Allow leases to bind this role (repeatable). Basic and IAM-administration roles are
    /// always refused.
    #[arg(long = "allow-role")]
    allow: Vec<String>,
    /// Stop allowing this role (repeatable).
    #[arg(long = "disallow-role")]
    disallow: Vec<String>,
    /// Longest token to mint, in seconds (3600 unless the org policy allows up to 43200).
    #[arg(long)]
    max_token_lifetime: Option<u64>,
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
#[command(after_help = GRANT_HELP)]
struct GrantArgs {
    /// The task the credentials are for (becomes `paddock-<task>` in AWS).
    #[arg(long)]
    task: String,
    /// What the task may do (repeatable; all AWS or all GCP, which picks the cloud). AWS:
    /// `s3:read BUCKET[/PREFIX]`, `s3:write …`, `dynamodb:read|write TABLE`, `sqs:send|consume
    /// QUEUE`, `raw {...}`. GCP: `gcs:read BUCKET[/PREFIX]`, `gcs:write BUCKET[/PREFIX]`,
    /// `gcs:role BUCKET ROLE`, `project:role ROLE`. See below and docs/creds.md.
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
    /// Seconds before an entity IAM reports missing counts as gone (eventual consistency;
    /// default 30 for AWS, 60 for GCP).
    #[arg(long)]
    min_entity_age: Option<u64>,
    /// GCP: the project (default: the saved settings).
    #[arg(long, env = "PADDOCK_GCP_PROJECT")]
    project: Option<String>,
    /// GCP: admin credentials, `adc`, `keyring[:SERVICE/USER]` or `impersonate:EMAIL`
    /// (default: the saved settings, else adc).
    #[arg(long)]
    gcp_admin: Option<String>,
    /// GCP: talk to this base URL instead of Google's APIs (e.g. a local fake).
    #[arg(long, env = "PADDOCK_GCP_ENDPOINT_URL")]
    gcp_endpoint_url: Option<String>,
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
            Command::AdminKey(k) => admin_key(k),
            Command::Settings(a) => settings(a),
        }
    })
}

const GRANT_HELP: &str = "\
GCP grants (each becomes one IAM role binding on the service account made for the lease,
with the condition `request.time < timestamp(<lease deadline>)`):
  gcs:read BUCKET[/PREFIX]    roles/storage.objectViewer on the bucket; with a prefix, only objects
                              under PREFIX/ and listings of that prefix
  gcs:write BUCKET[/PREFIX]   roles/storage.objectCreator on the bucket, limited to PREFIX/
  gcs:role BUCKET ROLE        ROLE on the bucket (e.g. roles/storage.objectAdmin)
  project:role ROLE           ROLE on the configured project (e.g. roles/browser)
Roles must be in the allowed roles (`paddock creds settings gcp --allow-role ROLE`); basic roles and
IAM/Resource Manager roles are always refused. Prefix conditions need uniform bucket-level access.
The task gets CLOUDSDK_AUTH_ACCESS_TOKEN and GOOGLE_OAUTH_ACCESS_TOKEN (an access token of at most
1 h unless the org allows longer), never a key.

Examples:
  paddock creds grant --task t1 --grant 's3:read my-bucket/reports' --role-arn arn:aws:iam::1:role/base
  paddock creds grant --task t1 --grant 'gcs:read my-bucket/reports' --project my-project --ttl 30m";

fn admin_key(a: AdminKeyArgs) -> anyhow::Result<ExitCode> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    if a.gcp {
        let user = if a.keyring.keyring_user == "aws-admin" { "gcp-admin".to_string() } else { a.keyring.keyring_user };
        let email = store_service_account_in_keyring(&a.keyring.keyring_service, &user, input.trim())?;
        eprintln!("stored the service-account key of {email} in the keyring as {}/{user}", a.keyring.keyring_service);
        return Ok(ExitCode::SUCCESS);
    }
    let k = &a.keyring;
    // No serde error detail: it could quote the secret.
    let creds: KeyringCredentials = serde_json::from_str(input.trim())
        .map_err(|_| anyhow::anyhow!("stdin is not {{\"access_key_id\": …, \"secret_access_key\": …}}"))?;
    store_admin_in_keyring(&k.keyring_service, &k.keyring_user, &creds)?;
    eprintln!("stored admin key {} in the keyring as {}/{}", creds.access_key_id, k.keyring_service, k.keyring_user);
    Ok(ExitCode::SUCCESS)
}

/// `adc`, `keyring`, `keyring:SERVICE/USER`, `impersonate:EMAIL`.
fn parse_gcp_admin(s: &str) -> anyhow::Result<GcpAdminSource> {
    Ok(match s.split_once(':') {
        None if s == "adc" => GcpAdminSource::Adc,
        None if s == "keyring" => GcpAdminSource::Keyring { service: "paddock".into(), user: "gcp-admin".into() },
        Some(("keyring", rest)) => match rest.split_once('/') {
            Some((service, user)) if !service.is_empty() && !user.is_empty() => {
                GcpAdminSource::Keyring { service: service.into(), user: user.into() }
            }
            _ => bail!("--admin `{s}`: use keyring:SERVICE/USER"),
        },
        Some(("impersonate", email)) if email.contains('@') => GcpAdminSource::Impersonate { service_account: email.into() },
        _ => bail!("admin source `{s}`: use adc, keyring[:SERVICE/USER] or impersonate:EMAIL"),
    })
}

fn settings(a: SettingsArgs) -> anyhow::Result<ExitCode> {
    let path = CredsSettings::default_path()?;
    let mut s = CredsSettings::load(&path)?;
    match a.command {
        SettingsCommand::Show => {
            println!("{}", serde_json::to_string_pretty(&s)?);
        }
        SettingsCommand::Gcp(g) => {
            let mut cfg = match (s.gcp.take(), g.project.clone()) {
                (Some(mut c), p) => {
                    if let Some(p) = p {
                        c.project = p;
                    }
                    c
                }
                (None, Some(p)) => GcpConfig::new(p, GcpAdminSource::Adc),
                (None, None) => bail!("no GCP settings yet: give --project"),
            };
            if let Some(admin) = &g.admin {
                cfg.admin = parse_gcp_admin(admin)?;
            }
            for r in g.allow {
                if !cfg.allowed_roles.contains(&r) {
                    cfg.allowed_roles.push(r);
                }
            }
            cfg.allowed_roles.retain(|r| !g.disallow.contains(r));
            if let Some(secs) = g.max_token_lifetime {
                cfg.max_token_lifetime_secs = secs;
            }
            s.gcp = Some(cfg);
            s.save(&path)?;
            eprintln!("saved {}", path.display());
            println!("{}", serde_json::to_string_pretty(&s)?);
        }
    }
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
    let ttl = parse_ttl(&a.ttl)?;
    let clouds: std::collections::BTreeSet<&str> = parse_grants(&a.grants)?.iter().map(|g| g.cloud()).collect();
    let req = match clouds.into_iter().collect::<Vec<_>>().as_slice() {
        ["gcp"] => {
            let saved = CredsSettings::load(&CredsSettings::default_path()?)?.gcp;
            let mut cfg = match (saved, a.project) {
                (Some(mut c), p) => {
                    if let Some(p) = p {
                        c.project = p;
                    }
                    c
                }
                (None, Some(p)) => GcpConfig::new(p, GcpAdminSource::Adc),
                (None, None) => {
                    bail!("no GCP project: pass --project, or save one with `paddock creds settings gcp --project …`")
                }
            };
            if let Some(admin) = &a.gcp_admin {
                cfg.admin = parse_gcp_admin(admin)?;
            }
            if a.gcp_endpoint_url.is_some() {
                cfg.endpoint_url = a.gcp_endpoint_url;
            }
            if let Some(age) = a.min_entity_age {
                cfg.min_entity_age_secs = age;
            }
            GrantRequest::gcp(a.task, a.grants, ttl, &cfg)?
        }
        ["aws"] => {
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
            if let Some(age) = a.min_entity_age {
                cfg.min_entity_age_secs = age;
            }
            GrantRequest::aws(a.task, a.grants, ttl, &cfg)?
        }
        _ => bail!("one lease is for one cloud: grant the AWS and the GCP parts with separate `paddock creds grant` calls"),
    };
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
            "{}  {:<12} {:<3} {:<15} task {:<16} expires {}  {}",
            r.id,
            state,
            r.provider,
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
        // The journal's configurations, plus the saved settings (a lost journal still gets swept).
        let saved = CredsSettings::load(&CredsSettings::default_path()?)?;
        let mut extras = Vec::new();
        if let Some(c) = &saved.aws {
            extras.push(("aws".to_string(), serde_json::to_value(c)?));
        }
        if let Some(c) = &saved.gcp {
            extras.push(("gcp".to_string(), serde_json::to_value(c)?));
        }
        for o in leases.sweep_all(&extras).await? {
            println!("removed orphan {} {}", o.kind, o.name);
        }
    }
    Ok(if r.retrying.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
