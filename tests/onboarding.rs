//! The Onboarding wizard in the real window, against a throwaway HOME full
//! of fake credentials (`PADDOCK_SCAN_HOME`): all six steps, real content at
//! each, a screenshot per step, acknowledgement and wizard state persisted
//! on disk, and no planted secret anywhere in the page at any step.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use fantoccini::{Client, Locator};
use paddock_e2e::fake_home::FakeHome;
use paddock_e2e::{Window, screenshot};

const WAIT: Duration = Duration::from_secs(60);

async fn wait_for(client: &Client, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
    client.wait().at_most(WAIT).for_element(Locator::Css(css)).await.with_context(|| format!("waiting for {css}"))
}

async fn text_of(client: &Client, css: &str) -> anyhow::Result<String> {
    Ok(wait_for(client, css).await?.text().await?)
}

/// Clicks what `css` finds, retrying while a re-render replaces it.
async fn click(client: &Client, css: &str) -> anyhow::Result<()> {
    let mut last = None;
    for _ in 0..10 {
        match wait_for(client, css).await?.click().await {
            Ok(()) => return Ok(()),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(last.map_or_else(|| anyhow::anyhow!("click on {css} failed"), anyhow::Error::from))
}

/// The page source and every file Paddock wrote: no planted value in any.
async fn assert_nothing_leaks(client: &Client, home: &FakeHome, data: &Path, step: &str) -> anyhow::Result<()> {
    let source = client.source().await?;
    home.assert_no_secret(&source, &format!("the page source at step {step}"))?;
    for entry in std::fs::read_dir(data)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path)?;
            home.assert_no_secret(&text, &path.display().to_string())?;
        }
    }
    Ok(())
}

async fn next_step(client: &Client, step: &str) -> anyhow::Result<()> {
    click(client, "button[data-action='next-step']").await?;
    wait_for(client, &format!(".onboarding[data-step='{step}']")).await?;
    Ok(())
}

/// A screenshot of the step from its top (the stepper and the step's heading).
async fn shot(client: &Client, name: &str) -> anyhow::Result<()> {
    client.execute("document.querySelector('main.content').scrollTo(0, 0)", vec![]).await?;
    screenshot(client, name).await?;
    Ok(())
}

fn onboarding_json(data: &Path) -> anyhow::Result<serde_json::Value> {
    let text = std::fs::read_to_string(data.join("onboarding.json")).context("onboarding.json")?;
    Ok(serde_json::from_str(&text)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wizard_walks_through_all_six_steps_without_showing_a_secret() -> anyhow::Result<()> {
    let home = FakeHome::new()?;
    let data = tempfile::tempdir()?;
    let env = [
        ("PADDOCK_DATA_DIR", data.path().display().to_string()),
        ("PADDOCK_SCAN_HOME", home.home.display().to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let window = Window::start(&env)?;
    let repo = home.repo.display().to_string();
    let d = data.path();

    window.with_app("the onboarding test", Duration::from_secs(420), async |client| {
        // First start: the app opens on the walkthrough by itself, and the
        // risk audit runs on arrival.
        wait_for(client, "main[data-screen='onboarding'] .onboarding[data-step='risk']").await?;
        let scanned = text_of(client, "[data-testid='scan-home']").await?;
        assert!(scanned.contains(&home.home.display().to_string()), "{scanned}");
        wait_for(client, "[data-testid='risk-level']").await?;

        // Include the repository, scan again: its .env shows up.
        wait_for(client, "input[data-input='repo-path']").await?.send_keys(&repo).await?;
        click(client, "button[data-action='add-repo']").await?;
        wait_for(client, "[data-testid='repo-list']").await?;
        click(client, "button[data-action='run-scan']").await?;
        wait_for(client, "[data-finding^='envfile:repo0/.env']").await?;
        let level = wait_for(client, "[data-testid='risk-level']").await?;
        assert_eq!(level.attr("data-level").await?.as_deref(), Some("critical"));
        let reasons = text_of(client, "[data-testid='risk-reasons']").await?;
        assert!(reasons.contains("AWS access key ID (long-lived)"), "{reasons}");
        let aws = text_of(client, "[data-finding='aws.key:~/.aws/credentials[default]']").await?;
        assert!(aws.contains("~/.aws/credentials"), "{aws}");
        // The fingerprint: issuer prefix and last four, nothing between.
        let fp = format!("AKIA…{}", &home.aws_key_id[home.aws_key_id.len() - 4..]);
        assert!(aws.contains(&fp), "AWS finding lacks fingerprint {fp}: {aws}");
        assert!(aws.to_lowercase().contains("paddock instead"), "{aws}");
        let stripe = text_of(client, "[data-finding^='envfile:repo0/.env[STRIPE_SECRET_KEY']").await?;
        assert!(stripe.contains("Stripe"), "{stripe}");
        let source = client.source().await?;
        assert!(source.contains("The level is the most severe single finding"), "the risk rules are not on the page");
        assert!(source.contains("obfuscate any PII") || source.contains("Obfuscate any PII"), "the audit prompt is not on the page");
        // The same audit inside a fresh sandbox, started on arrival, reaches
        // none of it (and did run: an error note would be shown instead).
        let compare = wait_for(client, "[data-testid='compare-inside'] :is([data-testid='compare-verdict'], [role='alert'])").await?;
        let said = compare.text().await?;
        assert_eq!(compare.attr("data-holds").await?.as_deref(), Some("true"), "the inside audit: {said}");
        assert!(said.contains("Isolation holds") && said.contains("bubblewrap"), "{said}");
        assert_nothing_leaks(client, &home, d, "1 (risk)").await?;
        shot(client, "onboarding-1-risk").await?;

        // 2. Bypass warnings: Claude in bypass mode on a production repo
        // needs an explicit acknowledgement, recorded in acks.json.
        next_step(client, "bypass").await?;
        let bypass = text_of(client, "[data-kind='claude_bypass_permissions']").await?;
        assert!(bypass.contains("~/.claude/settings.json (user settings)"), "{bypass}");
        assert!(bypass.contains("without asking first"), "{bypass}");
        let prod = text_of(client, "[data-kind='production_repo']").await?;
        assert!(prod.contains("remote `origin`"), "{prod}");
        let on_prod = "[data-kind='bypass_on_production']";
        assert_eq!(wait_for(client, on_prod).await?.attr("data-acknowledged").await?.as_deref(), Some("false"));
        let next = wait_for(client, "button[data-action='next-step']").await?;
        assert!(!next.is_enabled().await?, "continue must wait for the acknowledgement");
        let ack = wait_for(client, "button[data-action='acknowledge']").await?;
        assert!(!ack.is_enabled().await?, "acknowledge must wait for the checkbox");
        click(client, "input[data-action='ack-understood']").await?;
        click(client, "button[data-action='acknowledge']").await?;
        wait_for(client, "[data-kind='bypass_on_production'][data-acknowledged='true'] [data-testid='acknowledged']").await?;
        let acks: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("acks.json"))?)?;
        let rec = &acks["acks"][0];
        assert_eq!(rec["warning_id"], "production.bypass:~/src/shop", "{acks}");
        assert_eq!(rec["repo"], std::fs::canonicalize(&home.repo)?.display().to_string(), "{acks}");
        // Nothing else can be slipped into the store through the IPC: a
        // warning the scan does not report is refused.
        let refused = client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 window.__TAURI_INTERNALS__.invoke('bypass_acknowledge', { repo: arguments[0], warningId: 'production.bypass:~/elsewhere' })
                   .then(() => done('accepted'), (e) => done(e.code));",
                vec![serde_json::json!(repo)],
            )
            .await?;
        assert_eq!(refused, "not_found");
        let acks: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("acks.json"))?)?;
        assert_eq!(acks["acks"].as_array().map(Vec::len), Some(1), "{acks}");
        assert_nothing_leaks(client, &home, d, "2 (bypass)").await?;
        shot(client, "onboarding-2-bypass").await?;

        // 3. The sandbox backend, checked for real on arrival at the step.
        next_step(client, "sandbox").await?;
        wait_for(client, "[data-testid='check-summary']").await?;
        let bwrap = wait_for(client, "[data-check='bubblewrap']").await?;
        assert_eq!(bwrap.attr("data-status").await?.as_deref(), Some("ok"), "bubblewrap must work on the test machine");
        let git = wait_for(client, "[data-check='git']").await?;
        assert!(git.text().await?.contains("git version"));
        assert_nothing_leaks(client, &home, d, "3 (sandbox)").await?;
        shot(client, "onboarding-3-sandbox").await?;

        // 4. Cloud admin key: explained, set up from the terminal, skipped here.
        next_step(client, "credentials").await?;
        let creds = text_of(client, ".step").await?;
        assert!(creds.contains("paddock creds admin-key"), "{creds}");
        assert_nothing_leaks(client, &home, d, "4 (credentials)").await?;
        shot(client, "onboarding-4-credentials").await?;
        click(client, "button[data-action='skip-step']").await?;

        // 5. Gate packs from paddock-gate, with what each blocks; one turned off.
        wait_for(client, ".onboarding[data-step='packs']").await?;
        let git_pack = text_of(client, "[data-pack='git-history']").await?;
        assert!(git_pack.contains("Force pushes"), "{git_pack}");
        click(client, "[data-pack='git-history'] details summary").await?;
        let rules = text_of(client, "[data-pack='git-history'] .pack-rules").await?;
        assert!(rules.contains("force push rewrites the remote's history"), "{rules}");
        click(client, "[data-pack='code-exec'] input[data-action='toggle-pack']").await?;
        let warn = text_of(client, ".onboarding .banner.warn").await?;
        assert!(warn.contains("code-exec off"), "{warn}");
        assert_nothing_leaks(client, &home, d, "5 (packs)").await?;
        shot(client, "onboarding-5-packs").await?;

        // 6. Done: a summary and the command for a first task.
        next_step(client, "done").await?;
        let summary = text_of(client, "[data-testid='onboarding-summary']").await?;
        assert!(summary.to_lowercase().contains("critical"), "{summary}");
        assert!(summary.contains("everything required works"), "{summary}");
        assert!(summary.contains("1 acknowledged"), "{summary}");
        assert!(summary.contains("Cloud admin key"), "the skipped step is not listed: {summary}");
        let packs = text_of(client, "[data-testid='summary-packs']").await?;
        assert!(packs.ends_with("off: code-exec"), "the pack switched off is not named: {packs}");
        let cmd = text_of(client, "[data-testid='first-task-command']").await?;
        assert!(cmd.starts_with(&format!("paddock run --agent claude --repo {repo}")), "{cmd}");
        assert_nothing_leaks(client, &home, d, "6 (done)").await?;
        shot(client, "onboarding-6-done").await?;

        // The saved state: every step accounted for, the packs chosen.
        let mut state = serde_json::Value::Null;
        paddock_e2e::wait_until(Duration::from_secs(10), || {
            state = onboarding_json(d)?;
            Ok(state["finished"] == true && state["packs"].is_array())
        })?;
        assert_eq!(state["step"], "done", "{state}");
        assert_eq!(state["completed"], serde_json::json!(["risk", "bypass", "sandbox", "packs"]), "{state}");
        assert_eq!(state["skipped"], serde_json::json!(["credentials"]), "{state}");
        let packs: Vec<String> = serde_json::from_value(state["packs"].clone())?;
        assert!(!packs.contains(&"code-exec".to_owned()) && packs.contains(&"git-history".to_owned()), "{state}");
        assert_eq!(state["repos"], serde_json::json!([repo]), "{state}");

        // Leave for the Audit screen: the next start opens there.
        click(client, "a[data-nav='audit']").await?;
        wait_for(client, "main[data-screen='audit']").await?;
        paddock_e2e::wait_until(Duration::from_secs(10), || Ok(onboarding_json(d)?["last_screen"] == "audit"))?;
        Ok(())
    })
    .await?;

    // A second start on the same data: the finished walkthrough stays out of
    // the way, and the app reopens on the last screen.
    window.with_app("the second start", Duration::from_secs(120), async |client| {
        wait_for(client, "main[data-screen='audit']").await?;
        click(client, "a[data-nav='onboarding']").await?;
        // Reachable from the navigation, resumed at its last step.
        wait_for(client, ".onboarding[data-step='done']").await?;
        Ok(())
    })
    .await
}
