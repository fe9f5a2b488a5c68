//! The Credentials screen in the real window, against real leases: the
//! `paddock` CLI grants them through the AWS SDK against moto's server (an
//! AWS API emulator on loopback), with the admin key in a private kernel
//! keyring. The screen lists them with their scope and countdown, shows the
//! admin key by fingerprint only, revokes one for real (the IAM user is gone
//! from the account afterwards), and its sweep removes an orphan a lease
//! database it never knew about left behind.

use std::path::Path;
use std::process::{Command, Output};

use anyhow::{Context, ensure};
use fantoccini::Client;
use paddock_e2e::keyring_session::{KeyringNamespace, child_done, run_in_private_keyring};
use paddock_e2e::moto::Moto;
use paddock_e2e::ui::{click, shot, shot_at, skip_onboarding, text_of, wait_for, wait_text};
use paddock_e2e::{Window, cli_binary};

const ADMIN_KEY_ID: &str = "AKIAE2EADMINKEY7Q4ZX";
const ADMIN_SECRET: &str = "e2e-admin-secret-that-must-never-be-shown-4217";

/// Environment shared by the app and every `paddock` run: a throwaway data
/// dir and HOME, no AWS files or variables of the machine's.
fn env(data: &Path, home: &Path, moto: &Moto, keys: &KeyringNamespace) -> Vec<(String, String)> {
    vec![
        ("PADDOCK_KEYRING_NAMESPACE".into(), keys.ns.clone()),
        ("PADDOCK_DATA_DIR".into(), data.display().to_string()),
        ("PADDOCK_SCAN_HOME".into(), home.display().to_string()),
        ("HOME".into(), home.display().to_string()),
        ("AWS_CONFIG_FILE".into(), home.join("aws-config").display().to_string()),
        ("AWS_SHARED_CREDENTIALS_FILE".into(), home.join("aws-credentials").display().to_string()),
        ("PADDOCK_AWS_ENDPOINT_URL".into(), moto.url()),
        ("AWS_REGION".into(), "us-east-1".into()),
    ]
}

fn paddock(env: &[(String, String)], args: &[&str], stdin: Option<&str>) -> anyhow::Result<Output> {
    let mut cmd = Command::new(cli_binary()?);
    cmd.args(args).env_remove("AWS_ACCESS_KEY_ID").env_remove("AWS_SECRET_ACCESS_KEY").env_remove("AWS_PROFILE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = match stdin {
        None => cmd.stdin(std::process::Stdio::null()).output()?,
        Some(text) => {
            use std::io::Write as _;
            cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
            let mut child = cmd.spawn()?;
            child.stdin.take().context("stdin")?.write_all(text.as_bytes())?;
            child.wait_with_output()?
        }
    };
    // stdout may hold minted credentials: never print it.
    ensure!(out.status.success(), "paddock {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    Ok(out)
}

/// Grants an IAM-user lease; returns (lease id, the minted secret key).
fn grant(env: &[(String, String)], service: &str, task: &str) -> anyhow::Result<(String, String)> {
    let out = paddock(
        env,
        &[
            "creds", "grant", "--task", task, "--grant", "s3:read paddock-data/reports", "--mode", "iam-user",
            "--ttl", "1h", "--min-entity-age", "0", "--format", "json", "--keyring-service", service,
        ],
        None,
    )?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).context("grant --format json")?;
    let id = v["lease"].as_str().context("no lease id")?.to_owned();
    let secret = v["AWS_SECRET_ACCESS_KEY"].as_str().context("no secret key in the grant")?.to_owned();
    Ok((id, secret))
}

fn user_of(lease: &str) -> String {
    format!("paddock-{}", lease.replace('-', ""))
}

fn lease_state(env: &[(String, String)], id: &str) -> anyhow::Result<String> {
    let out = paddock(env, &["creds", "list", "--json"], None)?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let lease = v.as_array().and_then(|a| a.iter().find(|l| l["id"] == id)).context("lease not listed")?;
    Ok(lease["state"].as_str().unwrap_or_default().to_owned())
}

async fn assert_no_secret(client: &Client, secrets: &[&str], when: &str) -> anyhow::Result<()> {
    let source = client.source().await?;
    for s in secrets {
        ensure!(!source.contains(s), "a secret reached the page {when}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_are_listed_revoked_and_swept_against_a_real_aws_api() -> anyhow::Result<()> {
    if !run_in_private_keyring("leases_are_listed_revoked_and_swept_against_a_real_aws_api")? {
        return Ok(());
    }
    let moto = Moto::start()?;
    let home = tempfile::tempdir()?;
    let data = tempfile::tempdir()?;
    let elsewhere = tempfile::tempdir()?;
    let keys = KeyringNamespace::new();
    let admin_service = keys.entry("paddock", "aws-admin");
    let env = env(data.path(), home.path(), &moto, &keys);

    // The admin key goes into the (private) OS keyring through the CLI.
    let key = serde_json::json!({ "access_key_id": ADMIN_KEY_ID, "secret_access_key": ADMIN_SECRET }).to_string();
    paddock(&env, &["creds", "admin-key", "--keyring-service", &admin_service], Some(&key))?;
    // Two leases this app knows, and one from another lease database: an orphan to it.
    let (revoked_id, revoked_secret) = grant(&env, &admin_service, "e2e-reports")?;
    let (kept_id, kept_secret) = grant(&env, &admin_service, "e2e-nightly")?;
    let other_env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| if k == "PADDOCK_DATA_DIR" { (k.clone(), elsewhere.path().display().to_string()) } else { (k.clone(), v.clone()) })
        .collect();
    let (orphan_id, _) = grant(&other_env, &admin_service, "e2e-crashed")?;
    let mut users = moto.iam_users()?;
    users.sort();
    let mut want = vec![user_of(&revoked_id), user_of(&kept_id), user_of(&orphan_id)];
    want.sort();
    assert_eq!(users, want, "the leases' IAM users before the test");

    skip_onboarding(data.path(), "credentials")?;
    let app_env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let window = Window::start(&app_env)?;
    let secrets = [ADMIN_SECRET, revoked_secret.as_str(), kept_secret.as_str()];

    window.with_app("the credentials test", std::time::Duration::from_secs(300), async |client| {
        wait_for(client, "main[data-screen='credentials']").await?;
        // The admin key: in the keyring, shown by fingerprint only.
        let admin = wait_for(client, "[data-testid='admin-key'][data-status='configured']").await?;
        let admin_text = admin.text().await?;
        assert!(admin_text.contains("AKIA…Q4ZX"), "{admin_text}");
        assert!(!admin_text.contains(ADMIN_KEY_ID), "the full key id is shown: {admin_text}");
        assert!(admin_text.contains(&format!("{admin_service}/aws-admin")), "{admin_text}");
        assert!(admin_text.contains(&format!("paddock creds admin-key --keyring-service {admin_service}")), "{admin_text}");

        // Both leases, live, with scope, principal and a running countdown.
        for (id, task) in [(&revoked_id, "e2e-reports"), (&kept_id, "e2e-nightly")] {
            let row = wait_for(client, &format!("[data-testid='live-leases'] tr[data-lease='{id}']")).await?;
            assert_eq!(row.attr("data-state").await?.as_deref(), Some("active"));
            // textContent, not the rendered text: WebKitWebDriver leaves out text a
            // cell clips with an ellipsis (long ARNs), which the screenshot shows.
            let text = client
                .execute("return arguments[0].textContent;", vec![serde_json::to_value(&row)?])
                .await?
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert!(text.contains(task) && text.contains("s3:read paddock-data/reports"), "{text}");
            assert!(text.contains("aws · IAM user") && text.contains(&user_of(id)), "{text}");
            let left = text_of(client, &format!("tr[data-lease='{id}'] [data-testid='countdown']")).await?;
            let minutes: u32 = left.split(':').next().unwrap_or_default().parse().with_context(|| format!("countdown {left:?}"))?;
            assert!((45..60).contains(&minutes), "a 1 h lease shows {left} left");
        }
        let first = text_of(client, &format!("tr[data-lease='{revoked_id}'] [data-testid='countdown']")).await?;
        wait_text(client, &format!("tr[data-lease='{revoked_id}'] [data-testid='countdown']"), |t| !t.is_empty() && t != first)
            .await
            .context("the countdown does not tick")?;
        assert_no_secret(client, &secrets, "on the lease list").await?;
        shot(client, "credentials").await?;

        // Revoke now asks first; Cancel changes nothing.
        click(client, &format!("tr[data-lease='{revoked_id}'] button[data-action='revoke']")).await?;
        let confirm = text_of(client, "[data-testid='confirm-revoke']").await?;
        assert!(confirm.contains("e2e-reports") && confirm.contains("cannot be undone"), "{confirm}");
        shot_at(client, "[data-testid='confirm-revoke']", "credentials-confirm-revoke").await?;
        click(client, "button[data-action='cancel-revoke']").await?;
        assert_eq!(lease_state(&env, &revoked_id)?, "active");

        // Confirmed: the steps stream in, the lease moves to the history, revoked.
        click(client, &format!("tr[data-lease='{revoked_id}'] button[data-action='revoke']")).await?;
        click(client, "button[data-action='confirm-revoke']").await?;
        let notice = text_of(client, "[data-testid='creds-notice']").await?;
        assert!(notice.contains("e2e-reports revoked"), "{notice}");
        let progress = text_of(client, "[data-testid='creds-progress']").await?;
        assert!(progress.contains("aws.delete_user"), "the revocation steps were not streamed: {progress}");
        let row = wait_for(client, &format!("[data-testid='lease-history-table'] tr[data-lease='{revoked_id}']")).await?;
        assert_eq!(row.attr("data-state").await?.as_deref(), Some("revoked"));
        wait_for(client, &format!("[data-testid='live-leases'] tr[data-lease='{kept_id}'][data-state='active']")).await?;
        // Its journal, from the first intent to the revocation.
        click(client, &format!("tr[data-lease='{revoked_id}'] button[data-action='history']")).await?;
        let history = text_of(client, "[data-testid='lease-history']").await?;
        assert!(history.contains("aws.create_user") && history.contains("revoked"), "{history}");
        assert_no_secret(client, &secrets, "after the revocation").await?;
        shot(client, "credentials-revoked").await?;

        // The lease database and the account agree with the screen.
        assert_eq!(lease_state(&env, &revoked_id)?, "revoked");
        assert_eq!(lease_state(&env, &kept_id)?, "active");
        let users = moto.iam_users()?;
        assert!(!users.contains(&user_of(&revoked_id)), "the revoked lease's user still exists: {users:?}");
        assert!(users.contains(&user_of(&kept_id)), "{users:?}");

        // Reap and sweep: the orphan goes, the live lease stays.
        click(client, "button[data-action='sweep']").await?;
        let confirm = text_of(client, "[data-testid='confirm-sweep']").await?;
        assert!(confirm.contains("belong to no live lease"), "{confirm}");
        click(client, "button[data-action='confirm-sweep']").await?;
        let notice = wait_text(client, "[data-testid='creds-notice']", |t| t.starts_with("Done")).await?;
        assert!(notice.contains(&user_of(&orphan_id)), "the sweep did not report the orphan: {notice}");
        let users = moto.iam_users()?;
        assert_eq!(users, vec![user_of(&kept_id)], "after the sweep");
        shot(client, "credentials-swept").await?;
        Ok(())
    })
    .await?;

    // Every step went to the audit trail, and no secret did.
    let db = rusqlite::Connection::open(data.path().join("audit.db"))?;
    let steps: i64 = db.query_row(
        "SELECT count(*) FROM events WHERE kind = 'credential' AND resource = ?1",
        [&revoked_id],
        |r| r.get(0),
    )?;
    assert!(steps >= 5, "only {steps} credential events for the revoked lease");
    let dump: Vec<String> =
        db.prepare("SELECT detail FROM events")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    for s in secrets {
        assert!(!dump.iter().any(|d| d.contains(s)), "a secret reached the audit trail");
    }
    keyring::Entry::new(&admin_service, "aws-admin")?.delete_credential()?;
    drop(keys);
    child_done();
    Ok(())
}
