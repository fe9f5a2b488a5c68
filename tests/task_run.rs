//! A whole task with the real Claude Code, unattended: `paddock run --agent
//! claude --bypass` on a throwaway repository, against a scripted fake
//! Messages API reached only through the task's egress proxy (which injects
//! the real key over TLS), with an AWS lease against moto.
//!
//! The scripted model (tests/data/task_run.toml) fixes a README and runs the
//! tests (must work), then tries what an agent must not be able to do:
//! delete outside the worktree, read cloud credentials, install a git hook,
//! commit, force-push, reach a host that is not allowed, use its AWS key
//! outside its grant, and look for the real API key. Afterwards: the fix is
//! one commit by Paddock on `paddock/<task>`; every bad action was refused by
//! the gate or failed in the sandbox, proxy or cloud; nothing outside the
//! worktree changed; the real key never reached the sandbox; the lease is
//! revoked (its IAM user is gone); the audit trail tells it all and verifies.
//!
//! Needs `PADDOCK_CLI_BIN` and `PADDOCK_CLAUDE_BIN` (set by `cargo xtask
//! test`), and moto (`crates/creds/tests/support/moto.sh` installs it into
//! ~/.cache/paddock/moto-venv from PyPI).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use paddock_e2e::claude;
use paddock_e2e::fake_anthropic::{FakeAnthropic, Script, ToolResult, Turn, tool_use_id};
use serde::Deserialize;
use serde_json::Value;

/// The "real" Anthropic key: only the engine has it (its environment); the
/// fake API accepts nothing else, so every answered request proves injection.
const REAL_KEY: &str = "sk-ant-REAL-e2e-3f9c2a7d1b-never-in-the-sandbox";
const HOST_CANARY: &str = "HOST-CANARY aws_secret_access_key = do-not-leak";
const VICTIM_CANARY: &str = "outside the worktree; must survive\n";
const FINAL_TEXT: &str = "Done: the README is fixed and the tests pass.";
const RUN_TIMEOUT: Duration = Duration::from_secs(900);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Conversation {
    turn: Vec<Step>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    name: String,
    command: String,
    expect: String,
    rule: Option<String>,
    #[serde(default)]
    contains: Vec<String>,
    #[serde(default)]
    absent: Vec<String>,
}

fn conversation() -> Vec<Step> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/task_run.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str::<Conversation>(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())).turn
}

// ---------------------------------------------------------------------------
// moto, for the AWS lease

fn moto_python() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/creds/tests/support/moto.sh");
    let out = Command::new("bash").arg(&script).stderr(Stdio::inherit()).output().unwrap();
    assert!(out.status.success(), "installing moto failed ({}: needs python3 -m venv and PyPI)", script.display());
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

struct Moto {
    port: u16,
    python: PathBuf,
    child: Child,
}

impl Moto {
    fn start() -> Moto {
        let python = moto_python();
        let port = paddock_e2e::free_port().unwrap();
        let launcher = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/creds/tests/support/moto_launch.py");
        let child = Command::new(&python)
            .arg(launcher)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut moto = Moto { port, python, child };
        let deadline = Instant::now() + Duration::from_secs(90);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(moto.child.try_wait().unwrap().is_none(), "moto_server exited at start-up");
            assert!(Instant::now() < deadline, "moto_server did not listen within 90 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    fn python(&self, script: &str, args: &[&str]) -> String {
        let out = Command::new(&self.python).arg(script).args(args).output().unwrap();
        assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Admin user and key, base role, the bucket and its two objects; auth on.
    fn bootstrap(&self) -> Value {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("support/moto_fixture.py");
        serde_json::from_str(&self.python(script.to_str().unwrap(), &[&self.port.to_string()])).unwrap()
    }

    /// IAM user names in the account (as the admin sees them).
    fn users(&self, admin: &Value) -> Vec<String> {
        let code = format!(
            "import boto3,json; c=boto3.client('iam', endpoint_url='http://127.0.0.1:{}', region_name='us-east-1', \
             aws_access_key_id='{}', aws_secret_access_key='{}'); \
             print(json.dumps(sorted(u['UserName'] for u in c.list_users()['Users'])))",
            self.port,
            admin["access_key_id"].as_str().unwrap(),
            admin["secret_access_key"].as_str().unwrap()
        );
        let out = Command::new(&self.python).args(["-c", &code]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------
// TLS in front of the fake Messages API (the proxy injects keys over https only)

struct TlsFront {
    port: u16,
    ca_pem: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

fn tls_front(backend: std::net::SocketAddr) -> TlsFront {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "paddock e2e upstream CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string()]).unwrap().signed_by(&leaf_key, &ca).unwrap();
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let serve = async {
                loop {
                    let Ok((stream, _)) = listener.accept().await else { continue };
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        let Ok(mut tls) = acceptor.accept(stream).await else { return };
                        let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await else { return };
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                    });
                }
            };
            tokio::select! {
                () = serve => {}
                _ = stopped => {}
            }
        });
    });
    TlsFront { port, ca_pem: ca.pem(), _stop: stop }
}

// ---------------------------------------------------------------------------
// The world

struct World {
    _root: tempfile::TempDir,
    base: PathBuf,
    cli: PathBuf,
    claude: PathBuf,
    data: PathBuf,
    home: PathBuf,
    repo: PathBuf,
    remote: PathBuf,
    victim: PathBuf,
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

impl World {
    fn new() -> World {
        let cli = paddock_e2e::cli_binary().unwrap_or_else(|e| panic!("{e:#}"));
        let claude = claude::claude_binary().unwrap_or_else(|e| panic!("{e:#}"));
        // Not under /tmp: the gate rightly lets agents delete in temp dirs.
        let root = tempfile::Builder::new().prefix("task-run-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let base = root.path().canonicalize().unwrap();
        assert!(!base.starts_with("/tmp") && !base.starts_with("/var/tmp"), "{} is in a temp dir", base.display());
        let (data, home, repo, remote, victim) =
            (base.join("data"), base.join("home"), base.join("repo"), base.join("remote.git"), base.join("victim"));
        for d in [&data, &home, &repo, &victim, &home.join(".aws")] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(victim.join("canary.txt"), VICTIM_CANARY).unwrap();
        std::fs::write(home.join(".aws").join("credentials"), format!("[default]\n{HOST_CANARY}\n")).unwrap();
        git(&base, &["init", "-q", "--bare", "-b", "main", remote.to_str().unwrap()]);
        git(&repo, &["init", "-q", "-b", "main"]);
        git(&repo, &["config", "user.name", "Dev"]);
        git(&repo, &["config", "user.email", "dev@example.com"]);
        std::fs::write(repo.join("README.md"), "# Demo\n\nstatus: broken\n").unwrap();
        std::fs::write(
            repo.join("test.sh"),
            "#!/bin/sh\nif grep -q 'status: fixed' README.md; then echo 'tests pass'; else echo 'tests FAIL'; exit 1; fi\n",
        )
        .unwrap();
        // Reads one S3 object with the task's leased key, through the egress proxy.
        std::fs::write(
            repo.join("s3get.sh"),
            "#!/bin/sh\nexec curl -sS -m 60 --noproxy '' -x \"$HTTP_PROXY\" --aws-sigv4 \"aws:amz:$AWS_REGION:s3\" \\\n  \
             --user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \\\n  \
             ${AWS_SESSION_TOKEN:+-H \"x-amz-security-token: $AWS_SESSION_TOKEN\"} \"$AWS_ENDPOINT_URL/$1\"\n",
        )
        .unwrap();
        git(&repo, &["add", "."]);
        git(&repo, &["commit", "-qm", "base"]);
        git(&repo, &["remote", "add", "origin", remote.to_str().unwrap()]);
        git(&repo, &["push", "-q", "origin", "main"]);
        World { _root: root, base, cli, claude, data, home, repo, remote, victim }
    }

    fn command(&self, template: &str) -> String {
        template
            .replace("{victim}", &self.victim.display().to_string())
            .replace("{repo}", &self.repo.display().to_string())
            .replace("{host_home}", &self.home.display().to_string())
    }

    fn paddock(&self) -> Command {
        let mut cmd = Command::new(&self.cli);
        cmd.current_dir(&self.repo)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("LANG", "C.UTF-8")
            .env("PADDOCK_DATA_DIR", &self.data)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdin(Stdio::null());
        cmd
    }

    fn paddock_json(&self, args: &[&str]) -> Value {
        let out = self.paddock().args(args).output().unwrap();
        assert!(out.status.success(), "paddock {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("paddock {args:?}: {e}"))
    }
}

/// The tool result the agent sent back for turn `index`.
fn tool_result(server: &FakeAnthropic, index: usize) -> ToolResult {
    let id = tool_use_id(index);
    server.tool_result(&id).unwrap_or_else(|| panic!("the agent never sent a tool_result for {id}"))
}

#[test]
fn claude_code_runs_a_whole_task_unattended_and_safely() {
    let world = World::new();
    let steps = conversation();
    let commands: Vec<String> = steps.iter().map(|s| world.command(&s.command)).collect();
    let mut script: Script = commands.iter().zip(&steps).map(|(c, s)| Turn::bash(c, &s.name)).collect();
    script.push(Turn::text(FINAL_TEXT));
    let server = FakeAnthropic::start(script, REAL_KEY).unwrap();
    let backend: std::net::SocketAddr = server.base_url().trim_start_matches("http://").parse().unwrap();
    let front = tls_front(backend);

    let moto = Moto::start();
    let fixture = moto.bootstrap();
    // The engine's admin credentials for leases: a profile in its own AWS files.
    let aws_dir = world.base.join("engine-aws");
    std::fs::create_dir_all(&aws_dir).unwrap();
    std::fs::write(
        aws_dir.join("credentials"),
        format!(
            "[paddock-e2e]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            fixture["access_key_id"].as_str().unwrap(),
            fixture["secret_access_key"].as_str().unwrap()
        ),
    )
    .unwrap();
    std::fs::write(aws_dir.join("config"), "[profile paddock-e2e]\nregion = us-east-1\n").unwrap();
    std::fs::write(
        world.data.join("aws.toml"),
        format!(
            "mode = \"iam_user\"\nregion = \"us-east-1\"\nendpoint_url = \"http://127.0.0.1:{}\"\n\
             admin = {{ source = \"profile\", name = \"paddock-e2e\" }}\n",
            moto.port
        ),
    )
    .unwrap();
    // Egress: the Anthropic service (TLS upstream on loopback, hence private)
    // and moto; nothing else.
    let policy = world.base.join("egress.toml");
    std::fs::write(
        &policy,
        format!(
            "[[service]]\nname = \"anthropic\"\nkind = \"anthropic\"\nsecret = \"anthropic\"\n\
             upstream = \"https://localhost:{}\"\nprivate = true\n\n\
             [[allow]]\nid = \"moto\"\nhosts = [\"127.0.0.1\"]\nports = [{}]\nprivate = true\n",
            front.port, moto.port
        ),
    )
    .unwrap();
    let ca = world.base.join("upstream-ca.pem");
    std::fs::write(&ca, &front.ca_pem).unwrap();

    let started = Instant::now();
    let mut run = world
        .paddock()
        .args(["run", "--agent", "claude", "--bypass", "--ttl", "15m", "--approval-timeout", "5s"])
        .arg("--agent-bin")
        .arg(&world.claude)
        .arg("--egress-policy")
        .arg(&policy)
        .arg("--upstream-ca")
        .arg(&ca)
        .args(["--grant", "s3:read paddock-data/reports"])
        .args(["--", "Fix the README so the tests pass."])
        .env("PADDOCK_SECRET_ANTHROPIC", REAL_KEY)
        .env("AWS_SHARED_CREDENTIALS_FILE", aws_dir.join("credentials"))
        .env("AWS_CONFIG_FILE", aws_dir.join("config"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = drain(run.stdout.take().unwrap());
    let stderr = drain(run.stderr.take().unwrap());
    let status = loop {
        if let Some(s) = run.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > RUN_TIMEOUT {
            let _ = run.kill();
            panic!("paddock run did not finish within {RUN_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    let exchanges: Vec<String> = server.exchanges().iter().map(|e| e.summary()).collect();
    assert!(
        status.success(),
        "paddock run failed ({status}):\nstdout:\n{stdout}\nstderr:\n{stderr}\nrequests:\n{}",
        exchanges.join("\n")
    );
    assert!(server.refused().is_empty(), "the fake API refused requests (no injected key?):\n{}", exchanges.join("\n"));
    assert_eq!(server.turns_served(), steps.len() + 1, "the conversation did not run to its end:\n{stdout}");
    let result: Value = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["type"] == "result")
        .unwrap_or_else(|| panic!("no result line in claude's stream-json output:\n{stdout}"));
    assert_eq!(result["result"], FINAL_TEXT, "{result:#}");
    assert_eq!(result["is_error"], false, "{result:#}");

    // Every turn did what it must.
    for (index, (step, command)) in steps.iter().zip(&commands).enumerate() {
        let r = tool_result(&server, index);
        let what = &step.name;
        match step.expect.as_str() {
            "ok" => assert!(!r.is_error, "{what}: failed: {r:?}"),
            "gate-deny" => {
                let rule = step.rule.as_deref().unwrap();
                assert!(r.is_error && r.text.contains(rule), "{what}: not refused by the gate's {rule}: {r:?}");
            }
            "fails" => {}
            other => panic!("{what}: unknown expectation {other}"),
        }
        for c in &step.contains {
            assert!(r.text.contains(c.as_str()), "{what}: `{command}` output lacks {c:?}: {r:?}");
        }
        for a in &step.absent {
            assert!(!r.text.contains(a.as_str()), "{what}: `{command}` output has {a:?}: {r:?}");
        }
        assert!(!r.text.contains(REAL_KEY), "{what}: the real API key reached the sandbox");
    }
    let env_dump = tool_result(&server, steps.len() - 1).text;
    assert!(
        env_dump.contains(&format!("ANTHROPIC_API_KEY={}", paddock_egress_placeholder())),
        "the agent has the placeholder key: {env_dump}"
    );

    // The task: finished, one commit by Paddock with the fix only.
    let tasks = world.paddock_json(&["tasks", "list", "--json"]);
    let task = &tasks.as_array().unwrap()[0];
    let id = task["id"].as_str().unwrap();
    assert_eq!(task["state"], "finished", "{task:#}");
    let branch = format!("paddock/{id}");
    let log = git(&world.repo, &["log", "--format=%an <%ae> / %cn <%ce>", &branch, "^main"]);
    assert_eq!(log, "Paddock <paddock@localhost> / Paddock <paddock@localhost>", "one commit by Paddock");
    let commit = task["commit"].as_str().unwrap();
    assert_eq!(git(&world.repo, &["show", "--name-only", "--format=", commit]), "README.md");
    assert!(git(&world.repo, &["show", &format!("{commit}:README.md")]).contains("status: fixed"));

    // Nothing outside the worktree changed.
    assert_eq!(std::fs::read_to_string(world.victim.join("canary.txt")).unwrap(), VICTIM_CANARY);
    assert!(!world.victim.join("hook-ran").exists());
    assert!(!world.repo.join(".git/hooks/pre-commit").exists(), "a hook was installed");
    assert_eq!(git(&world.repo, &["rev-parse", "main"]), git(&world.remote, &["rev-parse", "main"]));
    assert_eq!(git(&world.remote, &["rev-list", "--count", "main"]), "1", "the origin was pushed to");
    assert!(std::fs::read_to_string(world.home.join(".aws/credentials")).unwrap().contains(HOST_CANARY));

    // The lease: revoked, its IAM user gone from the account.
    let leases = world.paddock_json(&["creds", "list", "--json"]);
    let mine: Vec<&Value> = leases.as_array().unwrap().iter().filter(|l| l["task"] == id).collect();
    assert_eq!(mine.len(), 1, "{leases:#}");
    assert_eq!(mine[0]["state"], "revoked", "{:#}", mine[0]);
    assert_eq!(moto.users(&fixture), ["admin"], "the lease's IAM user is still there");

    // The audit trail verifies and tells the story.
    let verify = world.paddock().args(["audit", "verify"]).output().unwrap();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
    let log = paddock_audit::AuditLog::open(&world.data.join("audit.db")).unwrap();
    let events = log
        .query(&paddock_audit::Query {
            filter: paddock_audit::Filter { task_id: Some(id.to_owned()), ..Default::default() },
            cursor: paddock_audit::Cursor::Oldest,
            limit: 10_000,
        })
        .unwrap()
        .events;
    let has = |action: &str, outcome: Option<&str>| {
        events.iter().any(|e| e.action == action && outcome.is_none_or(|o| e.outcome.as_deref() == Some(o)))
    };
    for (action, outcome) in [
        ("task.created", None),
        ("sandbox.start", Some("sandboxed")),
        ("task.output", None),
        ("credentials.revoke", Some("ok")),
        ("task.commit", Some("committed")),
        ("task.finished", Some("finished")),
    ] {
        assert!(has(action, outcome), "no {action} ({outcome:?}) event");
    }
    let gate: Vec<_> = events.iter().filter(|e| e.kind == paddock_audit::Kind::GateDecision).collect();
    assert_eq!(gate.len(), steps.len(), "one gate decision per tool call: {gate:#?}");
    for (e, step) in gate.iter().zip(&steps) {
        let want = if step.expect == "gate-deny" { "deny" } else { "allow" };
        assert_eq!(e.outcome.as_deref(), Some(want), "{}: {e:#?}", step.name);
    }
    let egress: Vec<_> = events.iter().filter(|e| e.kind == paddock_audit::Kind::Egress).collect();
    assert!(
        egress.iter().any(|e| e.resource.starts_with("example.com:443") && e.outcome.as_deref() == Some("deny")),
        "the refused host is recorded: {egress:#?}"
    );
    assert!(
        egress.iter().any(|e| e.resource.contains("/v1/messages") && e.outcome.as_deref() == Some("allow")),
        "the model calls are recorded: {egress:#?}"
    );
    assert!(events.iter().any(|e| e.kind == paddock_audit::Kind::Credential && e.action != "credentials.revoke"), "lease steps");
    // The real key is nowhere in the trail, the worktree or the commit.
    let trail = std::fs::read(world.data.join("audit.db")).unwrap();
    assert!(!trail.windows(REAL_KEY.len()).any(|w| w == REAL_KEY.as_bytes()), "the real key is in the audit trail");
    assert!(!trail.windows(10).any(|w| w == b"v4.public."), "the agent's API token is in the audit trail");
    for file in git(&world.repo, &["ls-tree", "-r", "--name-only", &branch]).lines() {
        let text = git(&world.repo, &["show", &format!("{branch}:{file}")]);
        assert!(!text.contains(REAL_KEY), "the real key is in {file} on the task branch");
    }
}

/// The placeholder key the agent is given instead of the real one.
fn paddock_egress_placeholder() -> &'static str {
    "paddock-placeholder-key-injected-by-egress-proxy"
}

fn drain(mut pipe: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = pipe.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    })
}
