//! `paddock serve --webhooks`, driving the real binary: the GitHub secret in
//! the real kernel keyring (under `keyctl session -`), deliveries signed by
//! python3's hmac and sent by curl over loopback, tasks run by the real
//! engine in bubblewrap, approvals by `paddock webhooks approve` in another
//! process, and a restart of serve in between.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/task_world.rs"]
mod task_world;

#[path = "support/keyring_child.rs"]
mod keyring_child;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command as StdCommand, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use task_world::{World, git};

const E2E: &str = "approved_proposals_become_tasks_once_and_unmapped_ones_never";
const SECRET: &str = "serve-webhooks-secret-8080-do-not-leak";
/// The task's recorded command line: the template's argv, quoted as `sh` reads it back.
const TEMPLATE_CMD: &str = "sh -c 'echo from-template > template.txt'";

#[derive(serde::Deserialize)]
struct Hostile {
    title: String,
    body: String,
    markers: Vec<String>,
}

fn hostile() -> Hostile {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/webhook_hostile_issue.toml")).unwrap();
    toml::from_str(&text).unwrap()
}

fn github_signature(body: &[u8]) -> String {
    let mut child = StdCommand::new("python3")
        .args([
            "-c",
            "import hmac,hashlib,sys; print('sha256=' + hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())",
            SECRET,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("this test needs python3: {e}"));
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn issue(repo: &str, title: &str, body: &str) -> Vec<u8> {
    serde_json::json!({
        "action": "labeled",
        "label": { "name": "paddock" },
        "issue": { "title": title, "body": body, "labels": [{ "name": "paddock" }] },
        "repository": { "full_name": repo },
        "sender": { "login": "octocat", "type": "User" },
    })
    .to_string()
    .into_bytes()
}

/// POSTs a GitHub `issues` delivery with curl; returns the HTTP status.
fn send(dir: &Path, addr: &str, delivery: &str, body: &[u8], signature: Option<String>) -> u16 {
    let file = dir.join(format!("body-{delivery}.json"));
    std::fs::write(&file, body).unwrap();
    let sig = signature.unwrap_or_else(|| github_signature(body));
    let out = StdCommand::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "30", "-X", "POST", "--data-binary"])
        .arg(format!("@{}", file.display()))
        .args(["-H", "Content-Type: application/json", "-H", "X-GitHub-Event: issues"])
        .args(["-H", &format!("X-GitHub-Delivery: {delivery}"), "-H", &format!("X-Hub-Signature-256: {sig}")])
        .arg(format!("http://{addr}/github"))
        .output()
        .unwrap_or_else(|e| panic!("this test needs curl: {e}"));
    String::from_utf8_lossy(&out.stdout).parse().unwrap_or_else(|_| panic!("curl said {out:?}"))
}

struct Serve {
    child: Child,
    addr: String,
    stderr: std::thread::JoinHandle<String>,
}

fn start_serve(w: &World, service: &str, rules: &Path) -> Serve {
    let mut child = w
        .paddock_std()
        .args(["serve", "--webhooks", "--webhooks-bind", "127.0.0.1:0", "--keyring-service", service, "--rules"])
        .arg(rules)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let err = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("paddock webhooks: listening on http://") {
                let _ = tx.send(addr.to_string());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let addr = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(addr) => addr,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve --webhooks did not start listening:\n{}", stderr.join().unwrap());
        }
    };
    Serve { child, addr, stderr }
}

impl Serve {
    /// SIGTERM, as a service manager would; returns its stderr.
    fn stop(mut self) -> String {
        StdCommand::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "serve exits 0 on SIGTERM: {status}");
                break;
            }
            assert!(Instant::now() < deadline, "serve did not stop");
            std::thread::sleep(Duration::from_millis(100));
        }
        self.stderr.join().unwrap()
    }
}

fn proposals(w: &World) -> Vec<Value> {
    let out = w.paddock().args(["webhooks", "proposals", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn proposal_for(w: &World, repo: &str) -> Vec<Value> {
    proposals(w).into_iter().filter(|p| p["repo"] == repo).collect()
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn ended_task(w: &World, id: &str) -> Value {
    w.wait_for_task(&format!("{id} to end"), |t| {
        t["id"] == id && ["finished", "failed", "cancelled"].contains(&t["state"].as_str().unwrap_or_default())
    })
}

fn finished_task(w: &World, id: &str) -> Value {
    let t = ended_task(w, id);
    assert_eq!(t["state"], "finished", "{t:#}");
    t
}

fn child_e2e() {
    let service = format!("paddock-serve-webhooks-test-{}", std::process::id());
    let w = World::new();
    let rules = w.root.join("webhook-rules.toml");
    std::fs::write(
        &rules,
        format!(
            "[task]\nagent = \"cmd\"\ncommand = [\"sh\", \"-c\", \"echo from-template > template.txt\"]\nttl = \"2m\"\n\n\
             [[auto_run]]\nid = \"trusted\"\nrepos = [\"acme/auto\", \"acme/nowhere\"]\nsenders = [\"octocat\"]\n\n\
             [repos]\n\"acme/shop\" = {repo:?}\n\"acme/auto\" = {repo:?}\n",
            repo = w.repo.to_str().unwrap()
        ),
    )
    .unwrap();
    let mut c = w.paddock();
    c.args(["webhooks", "set-secret", "github", "--keyring-service", &service]).write_stdin(format!("{SECRET}\n"));
    c.assert().success();

    let serve = start_serve(&w, &service, &rules);
    let hostile = hostile();

    // A stranger's issue for a mapped repo: pending, no task.
    assert_eq!(send(&w.root, &serve.addr, "d-shop", &issue("acme/shop", &hostile.title, &hostile.body), None), 200);
    // A forged signature: refused, nothing recorded as a proposal.
    let forged = Some(format!("sha256={}", "0".repeat(64)));
    assert_eq!(send(&w.root, &serve.addr, "d-forged", &issue("acme/auto", "forged", ""), forged), 403);
    // An auto-run rule's repo: launched without anyone approving.
    assert_eq!(send(&w.root, &serve.addr, "d-auto-1", &issue("acme/auto", "auto one", ""), None), 200);
    // An auto-run rule's repo with no checkout mapped: never launched.
    assert_eq!(send(&w.root, &serve.addr, "d-nowhere", &issue("acme/nowhere", "run me somewhere", ""), None), 200);

    let mut auto_task = String::new();
    wait_for("the auto-run proposal to be launched", || {
        let p = proposal_for(&w, "acme/auto");
        if p.first().is_some_and(|p| p["state"] == "launched") {
            auto_task = p[0]["task_id"].as_str().unwrap().to_owned();
            true
        } else {
            false
        }
    });
    let auto = finished_task(&w, &auto_task);
    assert_eq!(auto["prompt"], TEMPLATE_CMD, "{auto:#}");
    wait_for("the unmapped proposal to fail", || proposal_for(&w, "acme/nowhere")[0]["state"] == "failed");
    let shop = proposal_for(&w, "acme/shop");
    assert_eq!(shop.len(), 1, "{shop:#?}");
    assert_eq!(shop[0]["state"], "pending", "launched without approval: {shop:#?}");
    assert_eq!(w.tasks().len(), 1, "only the auto-run proposal became a task: {:#?}", w.tasks());
    assert_eq!(proposal_for(&w, "acme/auto").len(), 1, "the forged delivery made a proposal");

    // The unmapped repo's reason, as a person reads it.
    let out = w.paddock().args(["webhooks", "proposals", "--state", "failed"]).output().unwrap();
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && listing.contains("acme/nowhere") && listing.contains("not launched: no local checkout is mapped for acme/nowhere"),
        "{listing}"
    );

    // A person approves, from another process: exactly one task.
    let shop_id = shop[0]["id"].as_str().unwrap().to_owned();
    w.paddock().args(["webhooks", "approve", &shop_id]).assert().success();
    let mut shop_task = String::new();
    wait_for("the approved proposal to be launched", || {
        let p = proposal_for(&w, "acme/shop");
        if p[0]["state"] == "launched" {
            shop_task = p[0]["task_id"].as_str().unwrap().to_owned();
            true
        } else {
            false
        }
    });
    let t = ended_task(&w, &shop_task);
    // The stranger's text ran nowhere: the task ran the configured command only.
    let worktree = Path::new(t["worktree"].as_str().unwrap());
    for marker in &hostile.markers {
        for dir in [worktree, w.repo.as_path(), w.root.as_path(), w.home.as_path()] {
            assert!(!dir.join(marker).exists(), "{marker} appeared in {}: the issue text was run", dir.display());
        }
    }
    assert_eq!(t["prompt"], TEMPLATE_CMD, "the proposal's text reached the command line: {t:#}");
    assert_eq!(t["state"], "finished", "{t:#}");
    let files = git(&w.repo, &["show", "--name-only", "--format=", t["commit"].as_str().unwrap()]);
    assert_eq!(files, "template.txt", "the task's commit");
    w.assert_untouched("after the approved proposal's task");
    let first_stderr = serve.stop();

    // Restart: nothing is launched again; a new auto-run proposal is (which
    // also proves the restarted launcher has made a pass).
    let serve = start_serve(&w, &service, &rules);
    assert_eq!(send(&w.root, &serve.addr, "d-auto-2", &issue("acme/auto", "auto two", ""), None), 200);
    let mut second = String::new();
    wait_for("the second auto-run proposal to be launched", || {
        let p = proposal_for(&w, "acme/auto");
        if p.len() == 2 && p[0]["state"] == "launched" {
            second = p[0]["task_id"].as_str().unwrap().to_owned();
            true
        } else {
            false
        }
    });
    finished_task(&w, &second);
    let tasks = w.tasks();
    assert_eq!(tasks.len(), 3, "a launched proposal was launched again after the restart: {tasks:#?}");
    let second_stderr = serve.stop();

    // Audit: one proposal.launch per outcome, linking proposal, delivery and task.
    let launches: Vec<Value> = w.audit().into_iter().filter(|e| e["action"] == "proposal.launch").collect();
    let mut got: Vec<(String, String)> =
        launches.iter().map(|e| (e["resource"].as_str().unwrap().to_owned(), e["outcome"].as_str().unwrap().to_owned())).collect();
    got.sort();
    let want: Vec<(String, String)> = [("acme/auto", "launched"), ("acme/auto", "launched"), ("acme/nowhere", "failed"), ("acme/shop", "launched")]
        .iter()
        .map(|(r, o)| (r.to_string(), o.to_string()))
        .collect();
    assert_eq!(got, want, "{launches:#?}");
    let all = proposals(&w);
    for e in &launches {
        assert_eq!(e["kind"], "webhook");
        let p = all.iter().find(|p| p["id"] == e["detail"]["proposal"]).unwrap_or_else(|| panic!("{e:#}"));
        assert_eq!(e["detail"]["delivery"], p["delivery"], "{e:#}");
        if e["outcome"] == "launched" {
            assert_eq!(e["detail"]["task"], p["task_id"], "{e:#}");
            assert_eq!(e["task_id"], p["task_id"], "{e:#}");
        }
    }
    // Deliveries are audited too (kind webhook, action delivery), the forged one included.
    let deliveries = w.audit().into_iter().filter(|e| e["action"] == "delivery").count();
    assert_eq!(deliveries, 5);

    // The secret is nowhere.
    assert!(!first_stderr.contains(SECRET) && !second_stderr.contains(SECRET));
    let mut c = w.paddock();
    c.args(["webhooks", "delete-secret", "github", "--keyring-service", &service]);
    c.assert().success();
}

#[test]
fn approved_proposals_become_tasks_once_and_unmapped_ones_never() {
    keyring_child::in_private_keyring(E2E, child_e2e);
}

#[test]
fn webhooks_bind_needs_webhooks_and_help_names_the_flags() {
    let w = World::new();
    let out = w.paddock().args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--webhooks-bind") && help.contains("--rules") && help.contains("--proposals-db"), "{help}");
    w.paddock()
        .args(["serve", "--webhooks-bind", "127.0.0.1:0"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--webhooks"));
}
