//! Egress from inside the real sandbox: real `curl` and `python3` (urllib),
//! run in bubblewrap with `Network::ProxyOnly`, reach the real egress proxy
//! (`paddock-egress`, serving on a unix socket bridged into the sandbox's
//! network namespace) and through it loopback upstreams standing in for the
//! internet: a plain HTTP server and a TLS server with its own CA.
//!
//! What each test proves:
//! - an allowed host is reached (HTTP forwarding and CONNECT tunnels);
//! - a service's real API key is injected by the proxy: it arrives upstream,
//!   while the sandbox only ever holds the placeholder — its environment,
//!   its files and every process it can see are dumped and searched;
//! - a host the policy does not allow, a denied host (with its custom
//!   reason) and an IP literal are refused with the proxy's 403 explanation,
//!   also for a CONNECT relayed by a process inside the sandbox;
//! - the proxy cannot be bypassed: with proxy variables ignored, direct
//!   connections find no route (own network namespace) and nothing reaches
//!   the upstream.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

mod common;
#[path = "../../egress/tests/common/mod.rs"]
mod egress_common;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::process::Output;

use common::{World, field, stderr, stdout};
use egress_common::{
    ProxyOptions, TestCa, Upstream, build_proxy, start_http_upstream, start_tls_upstream, test_ca,
};
use paddock_egress::{Decision, PLACEHOLDER_KEY, RequestRecord, agent_env};
use paddock_sandbox::{Manifest, Network};
use tokio::sync::mpsc::UnboundedReceiver;

/// The real service key. Lives only in the test process (the proxy's secret
/// store); must never appear inside the sandbox.
const REAL_KEY: &str = "sk-ant-REAL-KEY-9d41c7e0-only-the-proxy-has-it";
/// The port the in-sandbox bridge listens on.
const BRIDGE_PORT: u16 = 3128;

/// A running proxy on a unix socket, its upstreams and its records.
struct Egress {
    _rt: tokio::runtime::Runtime,
    socket: std::path::PathBuf,
    http: Upstream,
    tls: Upstream,
    ca: TestCa,
    records: UnboundedReceiver<RequestRecord>,
}

impl Egress {
    fn start(dir: &std::path::Path) -> Egress {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let socket = dir.join("egress.sock");
        let (http, tls, ca, records) = rt.block_on(async {
            let ca = test_ca();
            let http = start_http_upstream().await;
            let tls = start_tls_upstream(&ca).await;
            let policy = format!(
                r#"
[[deny]]
id = "no-telemetry"
hosts = ["telemetry.test"]
reason = "Telemetry is switched off for agent tasks; carry on without it."

[[allow]]
id = "upstreams"
hosts = ["allowed.test", "localhost"]
ports = [{http_port}, {tls_port}]
private = true

[[service]]
name = "anthropic"
kind = "anthropic"
secret = "anthropic-key"
upstream = "https://localhost:{tls_port}"
private = true
"#,
                http_port = http.port(),
                tls_port = tls.port()
            );
            let loopback: Vec<IpAddr> = vec![IpAddr::V4(Ipv4Addr::LOCALHOST)];
            let answers = HashMap::from([
                ("allowed.test".to_owned(), loopback.clone()),
                // The TLS upstream's certificate names localhost.
                ("localhost".to_owned(), loopback.clone()),
                // Resolvable, so only the policy (not DNS) refuses them.
                ("forbidden.test".to_owned(), loopback.clone()),
                ("telemetry.test".to_owned(), loopback),
            ]);
            let opts = ProxyOptions {
                answers,
                ca_pem: Some(ca.ca_pem.clone()),
                secrets: vec![("anthropic-key".into(), REAL_KEY.into())],
            };
            let (proxy, records, _secrets) = build_proxy(&policy, opts);
            let listener = tokio::net::UnixListener::bind(&socket).unwrap();
            tokio::spawn(async move { proxy.serve_unix(listener).await });
            (http, tls, ca, records)
        });
        Egress {
            _rt: rt,
            socket,
            http,
            tls,
            ca,
            records,
        }
    }

    /// The sandbox manifest: ProxyOnly through this proxy, with the service
    /// environment an agent gets (base URL on the bridge, placeholder key).
    fn manifest(&self, w: &World) -> Manifest {
        let policy = paddock_egress::Policy::from_toml(&format!(
            "[[service]]\nname = \"anthropic\"\nkind = \"anthropic\"\nsecret = \"anthropic-key\"\nupstream = \"https://localhost:{}\"\n",
            self.tls.port()
        ))
        .unwrap();
        let mut builder = w.manifest().network(Network::ProxyOnly {
            socket: self.socket.clone(),
            port: BRIDGE_PORT,
        });
        for (name, value) in agent_env(
            policy.services(),
            &format!("http://127.0.0.1:{BRIDGE_PORT}"),
        ) {
            builder = builder.set_env(name, value);
        }
        builder.build().unwrap()
    }

    /// Writes the upstream CA into the worktree (public: clients inside verify the TLS upstream with it).
    fn ca_file(&self, w: &World) -> std::path::PathBuf {
        let path = w.worktree.join("upstream-ca.pem");
        std::fs::write(&path, &self.ca.ca_pem).unwrap();
        path
    }

    /// Records emitted so far (one per finished request).
    fn drain_records(&mut self) -> Vec<RequestRecord> {
        let mut out = Vec::new();
        while let Ok(r) = self.records.try_recv() {
            out.push(r);
        }
        out
    }
}

/// Runs `argv` in the sandbox with a host environment that, like a
/// developer's shell, holds the real key: it must not get in.
fn run_in_sandbox(w: &World, m: &Manifest, argv: &[&str]) -> Output {
    let host_env = vec![
        ("PATH".into(), "/usr/bin:/bin".into()),
        ("ANTHROPIC_API_KEY".into(), REAL_KEY.into()),
        ("HTTPS_PROXY".into(), "http://host-proxy.invalid:1".into()),
    ];
    w.run_with(m, argv, host_env)
}

fn sh(w: &World, m: &Manifest, script: &str) -> Output {
    run_in_sandbox(w, m, &["/bin/sh", "-c", script])
}

fn py(w: &World, m: &Manifest, program: &str) -> Output {
    run_in_sandbox(w, m, &["/usr/bin/python3", "-c", program])
}

#[track_caller]
fn assert_no_real_key(out: &Output) {
    let all = format!("{}{}", stdout(out), stderr(out));
    assert!(
        !all.contains(REAL_KEY),
        "the real key showed up inside the sandbox:\n{all}"
    );
}

#[test]
fn curl_in_the_sandbox_reaches_an_allowed_host_through_the_proxy() {
    let w = World::new();
    let mut egress = Egress::start(&w.root);
    let m = egress.manifest(&w);
    let ca = egress.ca_file(&w);
    let (http_port, tls_port) = (egress.http.port(), egress.tls.port());
    let out = sh(
        &w,
        &m,
        &format!(
            "echo proxy=$HTTP_PROXY; \
             echo http=$(curl -sS --max-time 60 http://allowed.test:{http_port}/hello); \
             echo https=$(curl -sS --noproxy '' --max-time 60 --cacert {ca} https://localhost:{tls_port}/tunnelled)",
            ca = ca.display()
        ),
    );
    assert_eq!(
        field(&out, "proxy"),
        format!("http://127.0.0.1:{BRIDGE_PORT}")
    );
    assert_eq!(
        field(&out, "http"),
        "upstream saw: GET /hello body=0",
        "stderr: {}",
        stderr(&out)
    );
    assert_eq!(
        field(&out, "https"),
        "upstream saw: GET /tunnelled body=0",
        "stderr: {}",
        stderr(&out)
    );
    assert_eq!(egress.http.seen().len(), 1);
    assert_eq!(
        egress.tls.seen().len(),
        1,
        "the CONNECT tunnel reached the TLS upstream"
    );
    let records = egress.drain_records();
    assert_eq!(records.len(), 2, "{records:?}");
    assert!(
        records.iter().all(|r| r.decision == Decision::Allowed),
        "{records:?}"
    );
}

#[test]
fn python_in_the_sandbox_gets_the_key_injected_and_never_sees_it() {
    let w = World::new();
    let mut egress = Egress::start(&w.root);
    let m = egress.manifest(&w);
    // An SDK-style client: base URL and key from the environment (urllib
    // honours NO_PROXY, so it talks to the bridge directly, origin-form).
    let out = py(
        &w,
        &m,
        "import json, os, urllib.request\n\
req = urllib.request.Request(os.environ['ANTHROPIC_BASE_URL'] + '/v1/messages', data=json.dumps({'model': 'm'}).encode(),\n\
    headers={'x-api-key': os.environ['ANTHROPIC_API_KEY'], 'content-type': 'application/json'})\n\
print('python=' + urllib.request.urlopen(req, timeout=60).read().decode().strip())\n",
    );
    assert_no_real_key(&out);
    assert!(
        field(&out, "python").starts_with("upstream saw: POST /v1/messages body="),
        "stderr: {}",
        stderr(&out)
    );
    // The same with curl, the key taken from the environment by the shell.
    let out = sh(
        &w,
        &m,
        "echo curl=$(curl -sS --max-time 60 -H \"x-api-key: $ANTHROPIC_API_KEY\" -H 'authorization: Bearer stolen?' \
         $ANTHROPIC_BASE_URL/v1/models)",
    );
    assert_no_real_key(&out);
    assert_eq!(
        field(&out, "curl"),
        "upstream saw: GET /v1/models body=0",
        "stderr: {}",
        stderr(&out)
    );

    let seen = egress.tls.seen();
    assert_eq!(seen.len(), 2);
    for request in &seen {
        assert_eq!(
            request.header("x-api-key"),
            Some(REAL_KEY),
            "the proxy injected the real key: {request:?}"
        );
        assert_eq!(
            request.header("authorization"),
            None,
            "client credentials stripped: {request:?}"
        );
        assert!(
            !format!("{request:?}").contains(PLACEHOLDER_KEY),
            "the placeholder stays inside: {request:?}"
        );
    }
    let records = egress.drain_records();
    assert!(
        records
            .iter()
            .all(|r| r.service.as_deref() == Some("anthropic")),
        "{records:?}"
    );
    assert!(!format!("{records:?}").contains(REAL_KEY));

    // Everything the sandbox can read that could hold it: its environment,
    // every visible process's environment and command line, and the files
    // of its HOME, /tmp, worktree and /run. Dumped out, searched here (the
    // key itself is never handed in, not even to search for).
    std::fs::write(w.worktree.join("dump-control.txt"), "DUMP-CONTROL-MARKER").unwrap();
    let dump = py(
        &w,
        &m,
        "import os\n\
for k, v in sorted(os.environ.items()): print('env %s=%s' % (k, v))\n\
for pid in [p for p in os.listdir('/proc') if p.isdigit()]:\n\
\x20   for part in ('environ', 'cmdline'):\n\
\x20       try: print('proc %s %s %r' % (pid, part, open('/proc/%s/%s' % (pid, part), 'rb').read()))\n\
\x20       except OSError as e: print('proc %s %s unreadable (%s)' % (pid, part, e.strerror))\n\
files = 0\n\
for top in (os.environ['HOME'], '/tmp', os.getcwd(), '/run'):\n\
\x20   for root, dirs, names in os.walk(top):\n\
\x20       for n in names:\n\
\x20           p = os.path.join(root, n)\n\
\x20           if p == '/run/paddock/init': print('file %s: the init binary, built before this test ran' % p); continue\n\
\x20           try: data = open(p, 'rb').read(1 << 20); files += 1; print('file %s %r' % (p, data))\n\
\x20           except OSError as e: print('file %s unreadable (%s)' % (p, e.strerror))\n\
print('files=%d' % files)\n",
    );
    assert_no_real_key(&dump);
    let text = stdout(&dump);
    assert!(
        text.contains(&format!("env ANTHROPIC_API_KEY={PLACEHOLDER_KEY}")),
        "control: the dump sees the environment, holding only the placeholder:\n{text}"
    );
    assert!(
        text.contains("proc 1 cmdline"),
        "control: the dump sees the sandbox's processes:\n{text}"
    );
    assert!(
        text.contains("DUMP-CONTROL-MARKER"),
        "control: the dump reads the worktree's files:\n{text}"
    );
    assert!(field(&dump, "files").parse::<u32>().unwrap() >= 3);
}

#[test]
fn sandboxed_clients_are_refused_hosts_the_policy_does_not_allow() {
    let w = World::new();
    let mut egress = Egress::start(&w.root);
    let m = egress.manifest(&w);
    let http_port = egress.http.port();
    let out = sh(
        &w,
        &m,
        &format!(
            "curl -sS --max-time 60 -o body1 -w 'forbidden=%{{http_code}}\\n' http://forbidden.test:{http_port}/x; \
             echo reason1=$(grep '^reason:' body1); \
             curl -sS --max-time 60 -o body2 -w 'telemetry=%{{http_code}}\\n' http://telemetry.test:{http_port}/x; \
             echo reason2=$(grep '^reason:' body2); \
             curl -sS --noproxy '' --max-time 60 -o body3 -w 'ip=%{{http_code}}\\n' http://127.0.0.1:{http_port}/x; \
             echo reason3=$(grep '^reason:' body3); \
             curl -sS --max-time 60 https://forbidden.test:{http_port}/ 2>&1 | tail -1 | sed 's/^/connect=/'; \
             rm -f body1 body2 body3"
        ),
    );
    assert_eq!(field(&out, "forbidden"), "403", "stderr: {}", stderr(&out));
    assert!(
        field(&out, "reason1").contains("is not on this task's allowlist"),
        "{}",
        stdout(&out)
    );
    assert_eq!(field(&out, "telemetry"), "403");
    assert!(
        field(&out, "reason2").contains("Telemetry is switched off"),
        "the deny rule's own reason: {}",
        stdout(&out)
    );
    assert_eq!(field(&out, "ip"), "403", "an IP literal through the proxy");
    assert!(
        field(&out, "reason3").contains("is an IP address"),
        "{}",
        stdout(&out)
    );
    assert!(
        field(&out, "connect").contains("403"),
        "CONNECT refused: {}",
        stdout(&out)
    );

    // python's urllib sees the same explanation, and a CONNECT relayed by a
    // process inside the sandbox (raw socket to the bridge) is refused too.
    let out = py(
        &w,
        &m,
        &format!(
            "import socket, urllib.error, urllib.request\n\
try: urllib.request.urlopen('http://forbidden.test:{http_port}/py', timeout=60); print('urllib=allowed')\n\
except urllib.error.HTTPError as e: print('urllib=%d' % e.code); print('urllib_reason=' + [l for l in e.read().decode().splitlines() if l.startswith('reason:')][0])\n\
s = socket.create_connection(('127.0.0.1', {BRIDGE_PORT}), timeout=60)\n\
s.sendall(b'CONNECT forbidden.test:{http_port} HTTP/1.1\\r\\nHost: forbidden.test:{http_port}\\r\\n\\r\\n')\n\
print('relay=' + s.recv(4096).decode().splitlines()[0])\n"
        ),
    );
    assert_eq!(field(&out, "urllib"), "403", "stderr: {}", stderr(&out));
    assert!(field(&out, "urllib_reason").contains("not on this task's allowlist"));
    assert!(
        field(&out, "relay").starts_with("HTTP/1.1 403"),
        "{}",
        stdout(&out)
    );

    assert!(
        egress.http.seen().is_empty(),
        "nothing reached the upstream"
    );
    let records = egress.drain_records();
    assert!(records.len() >= 6, "every refusal is recorded: {records:?}");
    assert!(
        records.iter().all(|r| r.decision == Decision::Denied),
        "{records:?}"
    );
}

#[test]
fn sandboxed_clients_cannot_bypass_the_proxy() {
    let w = World::new();
    let egress = Egress::start(&w.root);
    let m = egress.manifest(&w);
    let (http_port, tls_port) = (egress.http.port(), egress.tls.port());
    // Ignoring the proxy variables: the upstreams listen on the host's
    // loopback, which is not the sandbox's; nothing else has a route.
    let out = sh(
        &w,
        &m,
        &format!(
            "curl -sS --noproxy '*' --max-time 20 http://127.0.0.1:{http_port}/direct && echo curl=connected || echo curl=failed; \
             env -u HTTP_PROXY -u http_proxy -u HTTPS_PROXY -u https_proxy -u ALL_PROXY -u all_proxy \
               curl -sS --max-time 20 -k https://127.0.0.1:{tls_port}/direct && echo tls=connected || echo tls=failed; \
             echo control=$(curl -sS --max-time 60 http://allowed.test:{http_port}/via-proxy)"
        ),
    );
    assert_eq!(field(&out, "curl"), "failed");
    assert_eq!(field(&out, "tls"), "failed");
    assert_eq!(
        field(&out, "control"),
        "upstream saw: GET /via-proxy body=0",
        "stderr: {}",
        stderr(&out)
    );
    let out = py(
        &w,
        &m,
        &format!(
            "import errno, socket, urllib.request\n\
for name, addr in (('loopback', ('127.0.0.1', {http_port})), ('lan', ('192.0.2.1', 80))):\n\
\x20   try: socket.create_connection(addr, timeout=20); print(name + '=connected')\n\
\x20   except OSError as e: print(name + '=' + errno.errorcode.get(e.errno, str(e.errno)))\n\
opener = urllib.request.build_opener(urllib.request.ProxyHandler({{}}))\n\
try: opener.open('http://127.0.0.1:{http_port}/py-direct', timeout=20); print('urllib=connected')\n\
except OSError: print('urllib=failed')\n"
        ),
    );
    assert_eq!(
        field(&out, "loopback"),
        "ECONNREFUSED",
        "the sandbox's own loopback has nothing there"
    );
    assert_eq!(
        field(&out, "lan"),
        "ENETUNREACH",
        "no route out of the network namespace"
    );
    assert_eq!(field(&out, "urllib"), "failed");
    let seen: Vec<String> = egress.http.seen().iter().map(|s| s.path.clone()).collect();
    assert_eq!(
        seen,
        vec!["/via-proxy".to_owned()],
        "only the proxied request reached the upstream"
    );
    assert!(egress.tls.seen().is_empty());
    // Control: from the host the upstream answers, so "failed" inside is
    // isolation, not a dead server.
    let host = std::process::Command::new("curl")
        .args(["-sS", "--noproxy", "*", "--max-time", "60"])
        .arg(format!("http://127.0.0.1:{http_port}/from-host"))
        .output()
        .expect("curl (apt package curl) is needed");
    assert_eq!(stdout(&host), "upstream saw: GET /from-host body=0\n");
}
