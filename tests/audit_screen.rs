//! The Audit screen on a realistic night of events, in the real window:
//! browsing, search, detail, task timeline, export, and tamper detection; and
//! paging through a million events in a window of rows that stays bounded.

use std::time::Duration;

use anyhow::Context;
use fantoccini::{Client, Locator};
use paddock_e2e::seed;
use paddock_e2e::{Window, screenshot};

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
    let data = tempfile::tempdir()?;
    let exports = tempfile::tempdir()?;
    // The app opens on the onboarding audit at first start; keep it off the real HOME.
    let scan_home = tempfile::tempdir()?;
    let total = seed::night(data.path(), 5_000)?;
    let window = Window::start(&[
        ("PADDOCK_DATA_DIR", &data.path().display().to_string()),
        ("PADDOCK_EXPORT_DIR", &exports.path().display().to_string()),
        ("PADDOCK_SCAN_HOME", &scan_home.path().display().to_string()),
    ])?;

    // --- Browsing an intact trail.
    window.with_app("the audit screen test", Duration::from_secs(240), async |client| {
        open_audit(client).await?;
        let (ok, text) = badge(client).await?;
        assert_eq!(ok, "true", "{text}");
        assert!(shows_count(&text, total), "{text}");
        let strip = client.find(Locator::Css("[data-testid='summary-strip']")).await?.text().await?;
        assert!(shows_count(&strip, total) && strip.contains("events"), "{strip}");

        // Newest first; only what is in view is in the DOM.
        let first = wait_rows(client, |r| !r.is_empty()).await?;
        screenshot(client, "audit").await?;
        assert!(first[0].contains("task.commit"), "{:?}", first[0]);
        assert!(first.len() < 100, "the table rendered {} rows for {total} events: not virtualized", first.len());
        screenshot(client, "audit").await?;

        // Search finds the force push; its detail names the rule.
        search(client, "force").await?;
        let found = wait_rows(client, |r| r.len() == 1).await?;
        assert!(found[0].contains("git push --force origin main"), "{found:?}");
        click(client, Locator::Css(".event-scroll [role='row']")).await?;
        let json = client.wait().at_most(WAIT).for_element(Locator::Css("[data-testid='event-json']")).await?.text().await?;
        assert!(json.contains("git-history.force-push"), "{json}");
        screenshot(client, "audit-detail").await?;

        // The task's whole story, in order.
        client.find(Locator::XPath("//button[@role='tab' and normalize-space()='Task timeline']")).await?.click().await?;
        let timeline = client.wait().at_most(WAIT).for_element(Locator::Css("[data-testid='task-timeline']")).await?;
        let items = timeline.find_all(Locator::Css("li")).await?;
        assert_eq!(items.len(), 17);
        assert!(items[0].text().await?.contains("task.create"));
        assert!(items[16].text().await?.contains("task.commit"));
        screenshot(client, "audit-timeline").await?;

        // A secret planted in an event's detail was redacted before it was written.
        search(client, "assume_role").await?;
        // One lease in each of the two tasks.
        let cred = wait_rows(client, |r| r.len() == 2).await?;
        assert!(cred.iter().all(|t| t.contains("aws.assume_role")), "{cred:?}");
        click(client, Locator::XPath("//div[@role='row'][contains(., 'aws.assume_role')]")).await?;
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
        Ok(())
    })
    .await?;

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

    window.with_app("the tamper check", Duration::from_secs(120), async |client| {
        open_audit(client).await?;
        let (ok, text) = badge(client).await?;
        assert_eq!(ok, "false", "{text}");
        assert!(text.starts_with("Chain broken at #"), "{text}");
        // The edited row itself is marked in the table, not only named in the badge.
        let seq = text.trim_start_matches("Chain broken at #");
        let row = client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(&format!(".event-scroll [role='row'][data-seq='{seq}']")))
            .await?;
        assert_eq!(row.attr("data-broken").await?.as_deref(), Some("true"), "row #{seq} is not marked");
        assert!(row.text().await?.contains("git status"), "row #{seq} is not the edited one");
        let title = row.attr("title").await?.unwrap_or_default();
        assert!(title.contains("does not match its hash"), "{title}");
        // Nothing before the edit is marked (later rows may be: a signed checkpoint after it no longer matches).
        let first: u64 = seq.parse()?;
        for marked in client.find_all(Locator::Css(".event-scroll [role='row'][data-broken]")).await? {
            let at: u64 = marked.attr("data-seq").await?.unwrap_or_default().parse()?;
            assert!(at >= first, "row #{at}, before the edit at #{first}, is marked");
        }
        screenshot(client, "audit-tampered").await?;
        Ok(())
    })
    .await
}

/// The sequence numbers of the rows in the DOM, and the scroll box's height.
async fn view(client: &Client) -> anyhow::Result<(Vec<u64>, f64)> {
    let v = client
        .execute(
            "const s = document.querySelector('.event-scroll');
             return [[...s.querySelectorAll('[role=row]')].map(r => Number(r.dataset.seq)), s.scrollHeight]",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(v)?)
}

/// Scrolls the table by `px` like a reader would and returns the event then at
/// the top of the view (waiting for the table to render it).
async fn scroll_by(client: &Client, px: i32) -> anyhow::Result<u64> {
    client.execute("document.querySelector('.event-scroll').scrollTop += arguments[0];", vec![px.into()]).await?;
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        tokio::time::sleep(Duration::from_millis(15)).await;
        let top = client
            .execute(
                "const s = document.querySelector('.event-scroll');
                 const at = `translateY(${Math.floor(s.scrollTop / 32) * 32}px)`;
                 const r = [...s.querySelectorAll('[role=row]')].find(r => r.style.transform === at);
                 return r ? Number(r.dataset.seq) : null;",
                vec![],
            )
            .await?;
        if let Some(seq) = top.as_u64() {
            return Ok(seq);
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "the row at the top never rendered");
    }
}

/// Rows in view are consecutive, newest first (no filter: no gap, no repeat).
fn assert_consecutive(seqs: &[u64]) {
    assert!(!seqs.is_empty());
    assert!(seqs.windows(2).all(|w| w[0] == w[1] + 1), "rows not consecutive newest first: {seqs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_events_page_through_a_window_of_rows_that_stays_bounded() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let scan_home = tempfile::tempdir()?;
    let total = seed::night(data.path(), 1_000_000)?;
    let window = Window::start(&[
        ("PADDOCK_DATA_DIR", &data.path().display().to_string()),
        ("PADDOCK_SCAN_HOME", &scan_home.path().display().to_string()),
    ])?;
    // The window of rows the table keeps (ui/src/screens/audit/useEventList.ts:
    // MAX_ROWS plus one PAGE) at 32 px each, whatever the total.
    let bounded_height = (3000.0 + 200.0) * 32.0;
    window.with_app("the million-event test", Duration::from_secs(300), async |client| {
        open_audit(client).await?;
        let (ok, text) = badge(client).await?;
        assert_eq!(ok, "true", "{text}");
        assert!(shows_count(&text, total), "the whole chain was verified: {text}");
        let strip = client.find(Locator::Css("[data-testid='summary-strip']")).await?.text().await?;
        assert!(shows_count(&strip, total), "{strip}");
        wait_rows(client, |r| !r.is_empty()).await?;
        let (first, _) = view(client).await?;
        assert_eq!(first[0], total, "newest first");
        assert_consecutive(&first);

        // Down 4,000 rows, ten rows a step, as a reader scrolls: older pages
        // are fetched and the oldest rows dropped at the top on the way, and
        // the reader never jumps (each step moves the top row by ten rows at
        // most, none while waiting at the bottom for the next page).
        let mut top = total;
        let mut steps = 0;
        while top > total - 4_000 {
            let now = scroll_by(client, 320).await?;
            assert!(now <= top && top - now <= 10, "scrolling 10 rows down moved the view from #{top} to #{now}");
            top = now;
            steps += 1;
            if steps % 50 == 0 {
                let (seqs, height) = view(client).await?;
                assert_consecutive(&seqs);
                assert!(seqs.len() < 100, "{} rows in the DOM: not virtualized", seqs.len());
                assert!(height <= bounded_height, "the table grew to {height} px: rows are not dropped");
            }
            anyhow::ensure!(steps < 2_000, "stuck at #{top} after {steps} steps");
        }
        screenshot(client, "audit-million-deep").await?;

        // And back up to the newest: the dropped rows are fetched again above
        // the reader, who stays on the same rows.
        let mut steps = 0;
        while top < total {
            let now = scroll_by(client, -320).await?;
            assert!(now >= top && now - top <= 10, "scrolling 10 rows up moved the view from #{top} to #{now}");
            top = now;
            steps += 1;
            anyhow::ensure!(steps < 2_000, "stuck at #{top} after {steps} steps");
        }
        let (seqs, height) = view(client).await?;
        assert_consecutive(&seqs);
        assert_eq!(seqs[0], total);
        assert!(height <= bounded_height, "the table grew to {height} px");

        // Search finds the one force push among a million events, and the
        // summary strip counts what the search matches.
        search(client, "force").await?;
        let found = wait_rows(client, |r| r.len() == 1).await?;
        assert!(found[0].contains("git push --force origin main"), "{found:?}");
        let strip = client.wait().at_most(WAIT).for_element(Locator::XPath(
            "//*[@data-testid='summary-strip'][starts-with(normalize-space(), '1 event')]",
        ));
        strip.await.context("the summary strip never counted the search's one event")?;
        screenshot(client, "audit-million").await?;
        Ok(())
    })
    .await
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
