//! `paddock egress`: run the egress proxy standalone, or ask what a policy
//! would do with a URL.

use std::io::{BufRead as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use paddock_egress::{
    EgressObserver, Host, KEYRING_SERVICE, KeyringSecretStore, Policy, Proxy, ProxyConfig, RequestRecord, Resolver,
    SERVICE_PREFIX, Secret, SystemResolver, UpstreamRoots, Verdict, check_resolved, is_public,
};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Run the proxy with a policy file until interrupted. Prints one JSON
    /// request record per line on stdout.
    Serve(ServeArgs),
    /// Show what a policy does with a URL, and why. Exit status 0 when
    /// allowed, 1 when refused.
    Check(CheckArgs),
    /// Store a service secret in the OS keyring (read from stdin, never
    /// from the command line, so it stays out of shell history).
    SetSecret(SetSecretArgs),
    /// Remove a service secret from the OS keyring.
    DeleteSecret(SetSecretArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Policy file (TOML: [[allow]], [[deny]], [[service]], [limits])
    /// [default: <data dir>/egress.toml, the file the app's Settings edit].
    #[arg(long)]
    policy: Option<PathBuf>,
    /// TCP address to listen on; loopback only (e.g. 127.0.0.1:8080, port 0 picks one).
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Unix socket to listen on (what a sandbox bridges to).
    #[arg(long)]
    unix: Option<PathBuf>,
    /// Extra PEM CA certificates trusted for service upstreams (added to the Mozilla roots).
    #[arg(long)]
    upstream_ca: Vec<PathBuf>,
    /// Keyring service name under which secrets are stored.
    #[arg(long, default_value = KEYRING_SERVICE)]
    keyring_service: String,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Policy file [default: <data dir>/egress.toml, the file the app's Settings edit].
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Do not resolve the host (skips the private-address check).
    #[arg(long)]
    no_resolve: bool,
    /// URL as the agent would request it (http://, https:// or host:port for CONNECT).
    url: String,
}

#[derive(clap::Args)]
struct SetSecretArgs {
    /// Secret name, as in a service's `secret = "..."`.
    name: String,
    /// Keyring service name under which secrets are stored.
    #[arg(long, default_value = KEYRING_SERVICE)]
    keyring_service: String,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Serve(a) => serve(a),
        Command::Check(a) => check(a),
        Command::SetSecret(a) => set_secret(a),
        Command::DeleteSecret(a) => {
            KeyringSecretStore::new(&a.keyring_service).delete(&a.name)?;
            eprintln!("paddock egress: removed secret {:?} from the OS keyring", a.name);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Writes each record as one JSON line on stdout.
struct JsonLines;

impl EgressObserver for JsonLines {
    fn on_record(&self, record: &RequestRecord) {
        if let Ok(line) = serde_json::to_string(record) {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    }
}

/// The policy given, else the one the app's Settings edit.
fn load_policy(given: Option<&PathBuf>) -> anyhow::Result<Policy> {
    if let Some(path) = given {
        return load_file(path);
    }
    let path = paddock_egress::settings::default_policy_path()
        .context("no user data directory; set PADDOCK_DATA_DIR or pass --policy")?;
    if !path.exists() {
        bail!(
            "no policy file at {} (the default); write one in the app (Settings → Network) or pass --policy FILE",
            path.display()
        );
    }
    load_file(&path)
}

/// A policy file that does not parse is named (a read error names it already).
fn load_file(path: &std::path::Path) -> anyhow::Result<Policy> {
    Policy::load(path).map_err(|e| match e {
        paddock_egress::PolicyError::Read { .. } => e.into(),
        e => anyhow::Error::new(e).context(format!("egress policy {}", path.display())),
    })
}

fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let policy = load_policy(args.policy.as_ref())?;
    if args.listen.is_none() && args.unix.is_none() {
        bail!("give --listen 127.0.0.1:PORT and/or --unix PATH");
    }
    if let Some(addr) = args.listen
        && !addr.ip().is_loopback()
    {
        bail!(
            "--listen {addr}: the proxy injects credentials, so it only listens on loopback \
             (127.0.0.1 or [::1]); use --unix for a sandbox"
        );
    }
    let mut roots = UpstreamRoots::default();
    for path in &args.upstream_ca {
        roots.add_pem_file(path)?;
    }
    let mut config = ProxyConfig::new(policy, Arc::new(KeyringSecretStore::new(&args.keyring_service)));
    config.roots = roots;
    config.observers.push(Arc::new(JsonLines));
    let proxy = Proxy::new(config)?;
    let missing = proxy.missing_secrets();
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(|(svc, err)| format!("service {svc}: {err}")).collect();
        bail!(
            "secrets for injected services are missing:\n  {}\nstore each with `paddock egress set-secret NAME` (reads stdin)",
            list.join("\n  ")
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let mut tasks = tokio::task::JoinSet::new();
        if let Some(addr) = args.listen {
            let listener =
                tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
            let bound = listener.local_addr()?;
            eprintln!("paddock egress: listening on http://{bound}");
            for svc in proxy.policy().services() {
                eprintln!(
                    "paddock egress: service {} -> {} at http://{bound}{SERVICE_PREFIX}{}",
                    svc.name, svc.upstream, svc.name
                );
            }
            let p = proxy.clone();
            tasks.spawn(async move { p.serve_tcp(listener).await });
        }
        if let Some(path) = &args.unix {
            let listener =
                tokio::net::UnixListener::bind(path).with_context(|| format!("cannot listen on {}", path.display()))?;
            eprintln!("paddock egress: listening on unix:{}", path.display());
            let p = proxy.clone();
            tasks.spawn(async move { p.serve_unix(listener).await });
        }
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            Some(res) = tasks.join_next() => {
                res.context("listener task failed")?.context("listener failed")?;
            }
        }
        if let Some(path) = &args.unix {
            let _ = std::fs::remove_file(path);
        }
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let policy = load_policy(args.policy.as_ref())?;
    // host:port alone means a CONNECT.
    let text = if args.url.contains("://") { args.url.clone() } else { format!("connect://{}", args.url) };
    let uri: http::Uri = text.parse().with_context(|| format!("{:?} is not a URL", args.url))?;
    let authority = uri.authority().with_context(|| format!("{:?} has no host", args.url))?;
    let (how, default_port) = match uri.scheme_str() {
        Some("http") => ("forwarded (http)", 80),
        Some("https") => ("tunnelled (CONNECT)", 443),
        Some("connect") => ("tunnelled (CONNECT)", 0),
        other => bail!("unsupported scheme {other:?}: use http://, https:// or host:port"),
    };
    let port = authority.port_u16().unwrap_or(default_port);
    if port == 0 {
        bail!("{:?}: CONNECT needs host:port", args.url);
    }
    let host_is_loopback = matches!(Host::parse(authority.host()), Ok(Host::Ip(ip)) if ip.is_loopback())
        || authority.host().eq_ignore_ascii_case("localhost");
    if uri.scheme_str() == Some("http") && host_is_loopback && uri.path().starts_with(SERVICE_PREFIX) {
        return check_service(&policy, uri.path());
    }
    println!("target:  {}:{port}, {how}", authority.host());
    let (host, verdict) = policy.decide(authority.host(), port);
    let (rule, private) = match verdict {
        Verdict::Deny { rule, reason } => {
            println!("verdict: DENIED by rule {rule:?}");
            println!("reason:  {reason}");
            return Ok(ExitCode::from(1));
        }
        Verdict::Allow { rule, private } => (rule, private),
    };
    let host = host.map_err(anyhow::Error::msg)?;
    println!("rule:    allow rule {rule:?}{}", if private { " (private addresses granted)" } else { "" });
    if args.no_resolve {
        println!("verdict: ALLOWED (before DNS; run without --no-resolve to check resolved addresses)");
        return Ok(ExitCode::SUCCESS);
    }
    let ips = match &host {
        Host::Ip(ip) => vec![*ip],
        Host::Domain(name) => {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            match runtime.block_on(SystemResolver.resolve(name)) {
                Ok(ips) => ips,
                Err(e) => {
                    println!("verdict: ALLOWED by policy, but {name} does not resolve here: {e}");
                    return Ok(ExitCode::SUCCESS);
                }
            }
        }
    };
    for ip in &ips {
        println!(
            "address: {ip} ({})",
            if is_public(*ip) { "public" } else { "not public: loopback, private, link-local or reserved" }
        );
    }
    match check_resolved(&host, &ips, private) {
        Ok(()) => {
            println!("verdict: ALLOWED");
            Ok(ExitCode::SUCCESS)
        }
        Err(reason) => {
            println!("verdict: DENIED by rule \"private-address\"");
            println!("reason:  {reason}");
            Ok(ExitCode::from(1))
        }
    }
}

fn check_service(policy: &Policy, path: &str) -> anyhow::Result<ExitCode> {
    let rest = path.strip_prefix(SERVICE_PREFIX).unwrap_or("");
    let name = rest.split('/').next().unwrap_or("");
    match policy.service(name) {
        Some(svc) => {
            println!("service: {} ({}), credential injected as header {:?}", svc.name, svc.kind, svc.header.as_str());
            println!("upstream: {} (TLS only)", svc.upstream);
            println!("secret:  keyring entry {:?}", svc.secret_name);
            println!("verdict: ALLOWED (service route)");
            Ok(ExitCode::SUCCESS)
        }
        None => {
            println!("verdict: DENIED: no service named {name:?} in the policy");
            Ok(ExitCode::from(1))
        }
    }
}

fn set_secret(args: SetSecretArgs) -> anyhow::Result<ExitCode> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read the secret from stdin")?;
    let value = line.trim_end_matches(['\n', '\r']);
    if value.is_empty() {
        bail!("no secret on stdin (pipe it in: `printf %s \"$KEY\" | paddock egress set-secret {}`)", args.name);
    }
    KeyringSecretStore::new(&args.keyring_service).set(&args.name, &Secret::from(value))?;
    eprintln!("paddock egress: stored secret {:?} in the OS keyring", args.name);
    Ok(ExitCode::SUCCESS)
}
