//! The Audit screen on a realistic night of events, in the real window:
//! browsing, search, detail, task timeline, export, and tamper detection.

use std::time::Duration;

use anyhow::Context;
use fantoccini::{Client, Locator};
use paddock_e2e::seed;
use paddock_e2e::{Display, Driver, app_binary, screenshot};

const WAIT: Duration = Duration::from_secs(30);

async fn open_audit(client: &Client) -> anyhow::Result<()> {
    client.wait().at_most(WAIT).for_element(Locator::Css("a[data-nav='audit']")).await?.click().await?;
    client.wait().at_most(WAIT).for_element(Locator::Css("main[data-screen='audit'] .event-table")).await?;
    Ok(())
}

async fn badge(client: &Client) -> anyhow::Result<(String, String)> {
    let b = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid='integrity-badge'][data-ok='true'], [data-testid='integrity-badge'][data-ok='false']"))
        .await?;
    Ok((b.attr("data-ok").await?.unwrap_or_default(), b.text().await?))
}

async fn search(client: &Client, text: &str) -> anyhow::Result<()> {
    let input = client.find(Locator::Css("input[aria-label='Search']")).await?;
    input.clear().await?;
    input.send_keys(text).await?;
    client.find(Locator::XPath("//form[@class='filter-bar']//button[normalize-space()='Apply']")).await?.click().await?;
    Ok(())
}

/// The rows' text, read in one script: the virtualized table replaces row
/// nodes as it renders, so element handles may go stale between calls.
async fn rows(client: &Client) -> anyhow::Result<Vec<String>> {
    let v = client
        .execute("return [...document.querySelectorAll('.event-scroll [role=row]')].map(r => r.innerText)", vec![])
        .await?;
    Ok(serde_json::from_value(v)?)
}

/// Clicks what `locator` finds, retrying while a re-render replaces it.
async fn click(client: &Client, locator: Locator<'_>) -> anyhow::Result<()> {
    let mut last = None;
    for _ in 0..10 {
        match client.wait().at_most(WAIT).for_element(locator).await?.click().await {
            Ok(()) => return Ok(()),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(last.map_or_else(|| anyhow::anyhow!("click failed"), anyhow::Error::from))
}

async fn wait_rows(client: &Client, pred: impl Fn(&[String]) -> bool) -> anyhow::Result<Vec<String>> {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let r = rows(client).await?;
        if pred(&r) {
            return Ok(r);
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "rows never matched: {r:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_night_of_events_browsed_searched_exported_and_tamper_detected() -> anyhow::Result<()> {
    let app = app_binary()?;
    let data = tempfile::tempdir()?;
    let exports = tempfile::tempdir()?;
    // The app opens on the onboarding audit at first start; keep it off the real HOME.
    let scan_home = tempfile::tempdir()?;
    let total = seed::night(data.path(), 5_000)?;
    let display = Display::start()?;
    let env = [
        ("PADDOCK_DATA_DIR", data.path().display().to_string()),
        ("PADDOCK_EXPORT_DIR", exports.path().display().to_string()),
        ("PADDOCK_SCAN_HOME", scan_home.path().display().to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let driver = Driver::start(&display, &env)?;

    // --- Browsing an intact trail.
    let client = driver.session(&app).await?;
    let result = tokio::time::timeout(Duration::from_secs(240), async {
        open_audit(&client).await?;
        let (ok, text) = badge(&client).await?;
        assert_eq!(ok, "true", "{text}");
        assert!(shows_count(&text, total), "{text}");
        let strip = client.find(Locator::Css("[data-testid='summary-strip']")).await?.text().await?;
        assert!(shows_count(&strip, total) && strip.contains("events"), "{strip}");

        // Newest first; only what is in view is in the DOM.
        let first = wait_rows(&client, |r| !r.is_empty()).await?;
        screenshot(&client, "audit").await?;
        assert!(first[0].contains("task.commit"), "{:?}", first[0]);
        assert!(first.len() < 100, "the table rendered {} rows for {total} events: not virtualized", first.len());
        screenshot(&client, "audit").await?;

        // Search finds the force push; its detail names the rule.
        search(&client, "force").await?;
        let found = wait_rows(&client, |r| r.len() == 1).await?;
        assert!(found[0].contains("git push --force origin main"), "{found:?}");
        click(&client, Locator::Css(".event-scroll [role='row']")).await?;
        let json = client.wait().at_most(WAIT).for_element(Locator::Css("[data-testid='event-json']")).await?.text().await?;
        assert!(json.contains("git-history.force-push"), "{json}");
        screenshot(&client, "audit-detail").await?;

        // The task's whole story, in order.
        client.find(Locator::XPath("//button[@role='tab' and normalize-space()='Task timeline']")).await?.click().await?;
        let timeline = client.wait().at_most(WAIT).for_element(Locator::Css("[data-testid='task-timeline']")).await?;
        let items = timeline.find_all(Locator::Css("li")).await?;
        assert_eq!(items.len(), 17);
        assert!(items[0].text().await?.contains("task.create"));
        assert!(items[16].text().await?.contains("task.commit"));
        screenshot(&client, "audit-timeline").await?;

        // A secret planted in an event's detail was redacted before it was written.
        search(&client, "assume_role").await?;
        // One lease in each of the two tasks.
        let cred = wait_rows(&client, |r| r.len() == 2).await?;
        assert!(cred.iter().all(|t| t.contains("aws.assume_role")), "{cred:?}");
        click(&client, Locator::XPath("//div[@role='row'][contains(., 'aws.assume_role')]")).await?;
        client.wait().at_most(WAIT).for_element(Locator::Css("[data-testid='event-json']")).await?;
        let source = client.source().await?;
        assert!(!source.contains("wJalrXUtnFEMI"), "the secret reached the screen");

        // Export what is shown: a JSONL file with one line per event.
        client.find(Locator::XPath("//form[@class='filter-bar']//button[normalize-space()='Clear']")).await?.click().await?;
        client.find(Locator::Css("button[data-action='export-jsonl']")).await?.click().await?;
        let note = client.wait().at_most(WAIT).for_element(Locator::Css(".banner.info")).await?.text().await?;
        assert!(note.starts_with("Exported ") && shows_count(&note, total), "{note}");
        let file = std::fs::read_dir(exports.path())?.next().context("no export file")??.path();
        let lines = std::fs::read_to_string(&file)?.lines().count() as u64;
        assert_eq!(lines, total);
        anyhow::Ok(())
    })
    .await
    .unwrap_or_else(|_| Err(anyhow::anyhow!("the audit screen test took longer than 240 s")));
    client.close().await?;
    result?;

    // --- Someone edits a row directly in the file.
    let db = rusqlite::Connection::open(data.path().join("audit.db"))?;
    db.execute_batch("DROP TRIGGER IF EXISTS events_no_update;")?;
    let triggers: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for t in triggers {
        db.execute_batch(&format!("DROP TRIGGER \"{t}\";"))?;
    }
    let changed = db.execute("UPDATE events SET resource = 'git status' WHERE resource = 'git push --force origin main'", [])?;
    assert_eq!(changed, 1);
    drop(db);

    let client = driver.session(&app).await?;
    let result = tokio::time::timeout(Duration::from_secs(120), async {
        open_audit(&client).await?;
        let (ok, text) = badge(&client).await?;
        assert_eq!(ok, "false", "{text}");
        assert!(text.starts_with("Chain broken at #"), "{text}");
        screenshot(&client, "audit-tampered").await?;
        anyhow::Ok(())
    })
    .await
    .unwrap_or_else(|_| Err(anyhow::anyhow!("the tamper check took longer than 120 s")));
    client.close().await?;
    result
}

/// The UI formats counts with the system locale: `5,022` in en-US, `5022`
/// under the C locale.
fn shows_count(text: &str, n: u64) -> bool {
    text.contains(&n.to_string()) || text.contains(&format_thousands(n))
}

fn format_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
