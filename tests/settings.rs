//! Settings in the real window, round-tripped through the files and the
//! keyring the `paddock` CLI uses (in a private kernel keyring):
//! - Network: an allowlist edited and saved in the window is what
//!   `paddock egress check` reads by default; a field mistake is caught as it
//!   is typed, and the engine's own refusal is shown without touching the
//!   file; an API key stored from the window lands in the keyring and is
//!   never shown again.
//! - Integrations: a GitHub secret stored from the window verifies a real
//!   signed delivery to `paddock webhooks serve`; auto-run rules saved from
//!   the window are the listener's default; deliveries and proposals show up,
//!   and a proposal approved in the window is approved for the CLI too.
//! - Google Cloud: a bad project id is caught as it is typed; a role that
//!   could widen a task's access is refused by paddock-creds, naming the
//!   field, without writing the file; a good save is what `paddock creds
//!   settings show` reads; a service-account key stored with the CLI shows
//!   as its account's email, never its content.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use anyhow::{Context, ensure};
use fantoccini::{Client, Locator};
use paddock_e2e::keyring_session::{KeyringNamespace, child_done, run_in_private_keyring};
use paddock_e2e::ui::{click, shot, shot_at, skip_onboarding, text_of, type_into, wait_for, wait_text};
use paddock_e2e::{Guard, Window, cli_binary};

const API_KEY: &str = "sk-ant-e2e-never-on-screen-7c41d09a";
const GITHUB_SECRET: &str = "gh-webhook-e2e-secret-never-on-screen-5150";
/// What stands for the private key in [`GCP_KEY`].
const GCP_KEY_MARKER: &str = "gcp-e2e-never-on-screen-77d1";
/// A service-account key's shape (paddock-creds checks only the shape when storing it).
const GCP_KEY: &str = concat!(
    r#"{"type": "service_account", "project_id": "acme-data-e2e", "private_key_id": "e2e","#,
    r#" "private_key": "-----BEGIN PRIVATE KEY-----\ngcp-e2e-never-on-screen-77d1\n-----END PRIVATE KEY-----\n","#,
    r#" "client_email": "paddock-admin@acme-data-e2e.iam.gserviceaccount.com", "client_id": "1"}"#
);

fn paddock(data: &Path, args: &[&str]) -> anyhow::Result<Output> {
    Ok(Command::new(cli_binary()?).args(args).env("PADDOCK_DATA_DIR", data).stdin(Stdio::null()).output()?)
}

async fn assert_no_secret(client: &Client, when: &str) -> anyhow::Result<()> {
    let source = client.source().await?;
    for s in [API_KEY, GITHUB_SECRET, GCP_KEY_MARKER] {
        ensure!(!source.contains(s), "a secret reached the page {when}");
    }
    Ok(())
}

/// The value of an input (WebDriver's text() is empty for inputs).
async fn value_of(client: &Client, css: &str) -> anyhow::Result<String> {
    Ok(wait_for(client, css).await?.prop("value").await?.unwrap_or_default())
}

fn github_signature(body: &[u8]) -> anyhow::Result<String> {
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import hmac,hashlib,sys; print('sha256=' + hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())",
            GITHUB_SECRET,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("this test needs python3")?;
    child.stdin.take().context("stdin")?.write_all(body)?;
    let out = child.wait_with_output()?;
    ensure!(out.status.success());
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}

/// POSTs a GitHub "issue labeled paddock" delivery with curl; the HTTP status.
fn deliver(url: &str, dir: &Path, repo: &str, delivery: &str, forge: bool) -> anyhow::Result<u16> {
    let body = serde_json::json!({
        "action": "labeled",
        "label": { "name": "paddock" },
        "issue": { "title": format!("Fix the flaky login test in {repo}"), "body": "", "labels": [{ "name": "paddock" }] },
        "repository": { "full_name": repo },
        "sender": { "login": "octocat", "type": "User" },
    })
    .to_string();
    let sig = if forge { format!("sha256={}", "0".repeat(64)) } else { github_signature(body.as_bytes())? };
    let file = dir.join(format!("{delivery}.json"));
    std::fs::write(&file, &body)?;
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "30", "-X", "POST", "--data-binary"])
        .arg(format!("@{}", file.display()))
        .args(["-H", "Content-Type: application/json", "-H", "X-GitHub-Event: issues"])
        .args(["-H", &format!("X-GitHub-Delivery: {delivery}"), "-H", &format!("X-Hub-Signature-256: {sig}")])
        .arg(format!("{url}/github"))
        .output()
        .context("this test needs curl")?;
    String::from_utf8_lossy(&out.stdout).parse().with_context(|| format!("curl said {out:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_round_trip_to_the_files_and_keyring_the_cli_uses() -> anyhow::Result<()> {
    if !run_in_private_keyring("settings_round_trip_to_the_files_and_keyring_the_cli_uses")? {
        return Ok(());
    }
    let data = tempfile::tempdir()?;
    let home = tempfile::tempdir()?;
    let scratch = tempfile::tempdir()?;
    let d = data.path();
    let keys = KeyringNamespace::new();
    let egress_service = keys.entry("paddock-egress", "anthropic-api-key");
    let webhooks_service = keys.entry("paddock-webhooks", "github-webhook-secret");
    let gcp_service = keys.entry("paddock", "gcp-admin");
    let gcp_file = d.join("creds-settings.json");
    skip_onboarding(d, "settings")?;
    let env = [
        ("PADDOCK_DATA_DIR", d.display().to_string()),
        ("PADDOCK_SCAN_HOME", home.path().display().to_string()),
        ("PADDOCK_KEYRING_NAMESPACE", keys.ns.clone()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let window = Window::start(&env)?;
    let policy_file = d.join("egress.toml");
    let mut listener: Option<Guard> = None;

    window.with_app("the settings test", Duration::from_secs(300), async |client| {
        // ---- Network. No policy file yet: nothing is reachable, and it says so.
        wait_for(client, "main[data-screen='settings'] [data-testid='egress-settings'][data-exists='false']").await?;
        let path = text_of(client, "[data-testid='egress-path']").await?;
        assert_eq!(path, policy_file.display().to_string());
        let out = paddock(d, &["egress", "check", "--no-resolve", "https://registry.npmjs.org/"])?;
        assert!(String::from_utf8_lossy(&out.stderr).contains("Settings → Network"), "{out:?}");
        shot(client, "settings-network-empty").await?;

        // Start from the suggested rules, add one for GitHub; a typo is caught as it is typed.
        click(client, "button[data-action='use-example']").await?;
        wait_for(client, "[data-testid='allow-rules'] tr[data-rule='npm']").await?;
        click(client, "button[data-action='add-allow']").await?;
        let new_row = "[data-testid='allow-rules'] tbody tr:last-child";
        type_into(client, &format!("{new_row} input[data-field='id']"), "github").await?;
        type_into(client, &format!("{new_row} input[data-field='hosts']"), "github.com, api.*.com").await?;
        let problem = text_of(client, "[data-problem='allow.3.hosts']").await?;
        assert!(problem.contains("only allowed as a leading"), "{problem}");
        assert!(!wait_for(client, "button[data-action='save-egress']").await?.is_enabled().await?, "saving an invalid policy");
        shot_at(client, "[data-problem='allow.3.hosts']", "settings-network-invalid").await?;
        type_into(client, &format!("{new_row} input[data-field='hosts']"), "github.com, *.githubusercontent.com").await?;
        click(client, "button[data-action='save-egress']").await?;
        wait_for(client, "[data-testid='egress-saved']").await?;
        wait_for(client, "[data-testid='egress-settings'][data-exists='true']").await?;

        // The file the CLI reads by default says so.
        let text = std::fs::read_to_string(&policy_file)?;
        assert!(text.starts_with("# Paddock egress policy"), "{text}");
        assert!(text.contains("id = \"github\"") && text.contains("\"*.githubusercontent.com\""), "{text}");

        // Someone edits the file by hand; a later save from the window keeps their part.
        std::fs::write(&policy_file, format!("{text}\n[limits]\nidle_timeout_secs = 300  # set by hand for slow models\n"))?;
        click(client, "[data-testid='allow-rules'] tr[data-rule='pypi'] button[data-action='remove-rule']").await?;
        click(client, "button[data-action='save-egress']").await?;
        wait_for(client, "[data-testid='egress-saved']").await?;
        let text = std::fs::read_to_string(&policy_file)?;
        assert!(text.contains("idle_timeout_secs = 300  # set by hand for slow models"), "the hand edit was lost:\n{text}");
        assert!(!text.contains("pypi.org") && text.contains("id = \"github\""), "{text}");
        let out = paddock(d, &["egress", "check", "--no-resolve", "https://raw.githubusercontent.com/acme/shop/main/README.md"])?;
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && said.contains("allow rule \"github\""), "{said}");
        let out = paddock(d, &["egress", "check", "--no-resolve", "https://paste.example.net/upload"])?;
        assert_eq!(out.status.code(), Some(1), "{out:?}");

        // A mistake only the engine catches is refused with its reason; the file stays as it was.
        click(client, "button[data-action='add-service']").await?;
        let svc = ".service-rows .service-row:last-child";
        type_into(client, &format!("{svc} input[data-field='name']"), "internal").await?;
        wait_for(client, &format!("{svc} select[data-field='kind'] option[value='custom']")).await?.click().await?;
        type_into(client, &format!("{svc} input[data-field='secret']"), "internal-token").await?;
        type_into(client, &format!("{svc} input[data-field='upstream']"), "https://").await?;
        type_into(client, &format!("{svc} input[data-field='header']"), "x-internal-token").await?;
        click(client, "button[data-action='save-egress']").await?;
        let refused = wait_for(client, "[data-testid='egress-settings'] [data-error-code='invalid_input']").await?.text().await?;
        assert!(refused.contains("service \"internal\": upstream \"https://\""), "{refused}");
        assert_eq!(std::fs::read_to_string(&policy_file)?, text, "a refused save changed the file");
        click(client, &format!("{svc} button[data-action='remove-service']")).await?;

        // The Anthropic key goes to the keyring, and is never shown back.
        let anthropic = "[data-testid='egress-secret-anthropic-api-key']";
        wait_for(client, &format!("{anthropic}[data-presence='missing']")).await?;
        type_into(client, &format!("{anthropic} input[data-input='secret']"), API_KEY).await?;
        click(client, &format!("{anthropic} button[data-action='store-secret']")).await?;
        wait_for(client, &format!("{anthropic}[data-presence='stored']")).await?;
        assert_eq!(value_of(client, &format!("{anthropic} input[data-input='secret']")).await?, "");
        let stored = keyring::Entry::new(&egress_service, "anthropic-api-key")?.get_password()?;
        assert!(stored == API_KEY, "the keyring holds something else");
        assert_no_secret(client, "after storing the API key").await?;
        shot(client, "settings-network").await?;

        // ---- Integrations.
        click(client, "button[data-tab-link='integrations']").await?;
        let github = "[data-testid='webhook-secret-github']";
        wait_for(client, &format!("{github}[data-presence='missing']")).await?;
        type_into(client, &format!("{github} input[data-input='secret']"), GITHUB_SECRET).await?;
        click(client, &format!("{github} button[data-action='store-secret']")).await?;
        wait_for(client, &format!("{github}[data-presence='stored']")).await?;
        assert_eq!(value_of(client, &format!("{github} input[data-input='secret']")).await?, "");
        assert_no_secret(client, "after storing the webhook secret").await?;

        // Rules: one that would run anything anyone asks is refused; a real one is saved.
        type_into(client, "textarea[data-input='rules']", "[[auto_run]]\nid = \"all\"\nrepos = [\"acme/*\"]\nsenders = [\"*\"]\n").await?;
        click(client, "button[data-action='save-rules']").await?;
        let refused = wait_for(client, "[data-testid='integrations'] [data-error-code='invalid_input']").await?.text().await?;
        assert!(refused.contains("must be one exact login"), "{refused}");
        type_into(client, "textarea[data-input='rules']", "[[auto_run]]\nid = \"docs\"\nrepos = [\"acme/docs\"]\nsenders = [\"octocat\"]\n").await?;
        click(client, "button[data-action='save-rules']").await?;
        wait_for(client, "[data-testid='rules-saved']").await?;
        assert!(text_of(client, "[data-testid='auto-run-rules']").await?.contains("docs"));

        // The CLI's listener sees the secret and the rules the window stored.
        let mut cmd = Command::new(cli_binary()?);
        cmd.args(["webhooks", "serve", "--listen", "127.0.0.1:0", "--keyring-service", &webhooks_service]).env("PADDOCK_DATA_DIR", d).stdout(Stdio::null()).stderr(Stdio::piped());
        let mut guard = Guard::spawn("paddock webhooks serve", &mut cmd)?;
        let stderr = guard.take_stderr().context("listener stderr")?;
        listener = Some(guard);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut url = None;
        let mut said = Vec::new();
        while url.is_none() {
            let line = rx.recv_timeout(Duration::from_secs(60)).context("the listener did not start")?;
            url = line.strip_prefix("paddock webhooks: listening on ").map(str::to_owned);
            said.push(line);
        }
        let url = url.context("no address")?;
        assert_eq!(deliver(&url, scratch.path(), "acme/api", "e2e-1", false)?, 200);
        assert_eq!(deliver(&url, scratch.path(), "acme/docs", "e2e-2", false)?, 200);
        assert_eq!(deliver(&url, scratch.path(), "acme/api", "e2e-3", true)?, 403);
        while let Ok(line) = rx.recv_timeout(Duration::from_millis(500)) {
            said.push(line);
        }
        assert!(said.iter().any(|l| l.contains("webhook-rules.toml")), "the listener did not read the saved rules: {said:?}");

        // The window lists the deliveries and proposals; approve the pending one.
        click(client, "button[data-tab-link='network']").await?;
        click(client, "button[data-tab-link='integrations']").await?;
        // (Verdicts are upper-cased by the style sheet.)
        let deliveries = wait_text(client, "[data-testid='deliveries']", |t| t.to_lowercase().matches("accepted").count() == 2).await?;
        let deliveries = deliveries.to_lowercase();
        assert!(deliveries.contains("rejected") && deliveries.contains("403") && deliveries.contains("signature does not match"), "{deliveries}");
        let auto = wait_for(client, "[data-testid='proposals'] li[data-state='approved']").await?.text().await?;
        assert!(auto.contains("acme/docs") && auto.contains("rule:docs"), "{auto}");
        let pending = wait_for(client, "[data-testid='proposals'] li[data-state='pending']").await?;
        let id = pending.attr("data-proposal").await?.context("proposal id")?;
        assert!(pending.text().await?.contains("acme/api"));
        shot_at(client, "[data-testid='proposals']", "settings-integrations").await?;
        click(client, &format!("li[data-proposal='{id}'] button[data-action='approve']")).await?;
        wait_for(client, &format!("li[data-proposal='{id}'][data-state='approved']")).await?;
        let out = paddock(d, &["webhooks", "proposals", "--json"])?;
        let line = String::from_utf8_lossy(&out.stdout)
            .lines()
            .find(|l| l.contains(&id))
            .map(str::to_owned)
            .context("the CLI does not list the proposal")?;
        let p: serde_json::Value = serde_json::from_str(&line)?;
        assert_eq!((p["state"].as_str(), p["decided_by"].as_str()), (Some("approved"), Some("user")), "{p}");
        assert_no_secret(client, "on the integrations tab").await?;
        shot(client, "settings-integrations-top").await?;

        // Removing the secret from the window removes it for the CLI too.
        click(client, &format!("{github} button[data-action='clear-secret']")).await?;
        wait_for(client, &format!("{github}[data-presence='missing']")).await?;
        let out = paddock(d, &["webhooks", "serve", "--listen", "127.0.0.1:0", "--keyring-service", &webhooks_service])?;
        assert!(String::from_utf8_lossy(&out.stderr).contains("no webhook secrets"), "{out:?}");

        // ---- Google Cloud. Nothing saved yet; the keyring entry offered is the app's own (namespaced) one.
        click(client, "button[data-tab-link='gcp']").await?;
        wait_for(client, "[data-testid='settings-gcp'][data-configured='false']").await?;
        assert_eq!(text_of(client, "[data-testid='gcp-path']").await?, gcp_file.display().to_string());
        assert_eq!(value_of(client, "input[data-field='keyring-service']").await?, gcp_service);
        assert_eq!(value_of(client, "input[data-field='keyring-user']").await?, "gcp-admin");
        wait_for(client, "[data-testid='gcp-admin-key'][data-status='missing']").await?;

        // A bad project id is caught as it is typed.
        type_into(client, "input[data-field='project']", "Acme Data").await?;
        let problem = text_of(client, "[data-problem='project']").await?;
        assert!(problem.contains("is not a GCP project id"), "{problem}");
        assert!(!wait_for(client, "button[data-action='save-gcp']").await?.is_enabled().await?, "saving a bad project id");
        shot_at(client, "[data-problem='project']", "settings-gcp-invalid").await?;
        type_into(client, "input[data-field='project']", "acme-data-e2e").await?;

        // A role that could widen a task's own access is paddock-creds' call: refused, naming the field; no file.
        type_into(client, "input[data-field='new-role']", "roles/iam.serviceAccountAdmin").await?;
        click(client, "button[data-action='add-role']").await?;
        click(client, "button[data-action='save-gcp']").await?;
        let refused = wait_for(client, "[data-testid='settings-gcp'] [data-error-code='invalid_input']").await?.text().await?;
        assert!(refused.contains("Allowed roles: role `roles/iam.serviceAccountAdmin` is never granted to a task"), "{refused}");
        assert!(!gcp_file.exists(), "a refused save wrote {}", gcp_file.display());
        click(client, "li[data-role='roles/iam.serviceAccountAdmin'] button[data-action='remove-role']").await?;

        // A good save is the file `paddock creds` reads.
        type_into(client, "input[data-field='new-role']", "roles/bigquery.dataViewer").await?;
        click(client, "button[data-action='add-role']").await?;
        wait_for(client, "[data-testid='gcp-roles'] li[data-role='roles/bigquery.dataViewer']").await?;
        type_into(client, "input[data-field='lifetime']", "1800").await?;
        click(client, "button[data-action='save-gcp']").await?;
        wait_for(client, "[data-testid='gcp-saved']").await?;
        wait_for(client, "[data-testid='settings-gcp'][data-configured='true']").await?;
        let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&gcp_file)?)?;
        let want = serde_json::json!({
            "project": "acme-data-e2e",
            "admin": { "source": "keyring", "service": gcp_service, "user": "gcp-admin" },
            "allowed_roles": ["roles/storage.objectViewer", "roles/storage.objectCreator", "roles/bigquery.dataViewer"],
            "max_token_lifetime_secs": 1800,
        });
        for (k, v) in want.as_object().context("object")? {
            assert_eq!(&saved["gcp"][k], v, "{k} in {saved}");
        }
        let out = paddock(d, &["creds", "settings", "show"])?;
        let shown: serde_json::Value = serde_json::from_slice(&out.stdout).with_context(|| format!("{out:?}"))?;
        assert_eq!(shown["gcp"], saved["gcp"], "the CLI reads other settings");

        // A service-account key stored with the CLI shows as its account's email, never its content.
        let mut cmd = Command::new(cli_binary()?);
        cmd.args(["creds", "admin-key", "--gcp", "--keyring-service", &gcp_service, "--keyring-user", "gcp-admin"]);
        let mut child = cmd.env("PADDOCK_DATA_DIR", d).stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn()?;
        child.stdin.take().context("stdin")?.write_all(GCP_KEY.as_bytes())?;
        let out = child.wait_with_output()?;
        assert!(out.status.success(), "{out:?}");
        click(client, "button[data-tab-link='about']").await?;
        click(client, "button[data-tab-link='gcp']").await?;
        wait_for(client, "[data-testid='gcp-admin-key'][data-status='stored']").await?;
        assert_eq!(text_of(client, "[data-testid='gcp-admin-email']").await?, "paddock-admin@acme-data-e2e.iam.gserviceaccount.com");
        assert_no_secret(client, "with a GCP admin key stored").await?;
        shot(client, "settings-gcp").await?;

        client.find(Locator::Css("button[data-tab-link='about']")).await?.click().await?;
        assert!(text_of(client, "[data-testid='app-info']").await?.contains(&d.display().to_string()));
        Ok(())
    })
    .await?;
    drop(listener);

    // Settings changes are in the audit trail; secrets are nowhere on disk.
    let db = rusqlite::Connection::open(d.join("audit.db"))?;
    let actions: Vec<String> = db
        .prepare("SELECT action FROM events WHERE kind IN ('config', 'approval') ORDER BY seq")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for want in ["creds.settings.gcp.save", "egress.policy.save", "egress.secret.set", "webhooks.secret.set", "webhooks.rules.save", "proposal.approve", "webhooks.secret.clear"] {
        assert!(actions.iter().any(|a| a == want), "no {want} event: {actions:?}");
    }
    for entry in std::fs::read_dir(d)? {
        let path = entry?.path();
        let bytes = std::fs::read(&path)?;
        let text = String::from_utf8_lossy(&bytes);
        for s in [API_KEY, GITHUB_SECRET, GCP_KEY_MARKER] {
            assert!(!text.contains(s), "a secret was written to {}", path.display());
        }
    }
    keyring::Entry::new(&egress_service, "anthropic-api-key")?.delete_credential()?;
    drop(keys);
    child_done();
    Ok(())
}
