//! Small WebDriver helpers shared by the screen tests.

use std::time::Duration;

use anyhow::Context;
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

pub const WAIT: Duration = Duration::from_secs(60);

pub async fn wait_for(client: &Client, css: &str) -> anyhow::Result<Element> {
    client.wait().at_most(WAIT).for_element(Locator::Css(css)).await.with_context(|| format!("waiting for {css}"))
}

pub async fn text_of(client: &Client, css: &str) -> anyhow::Result<String> {
    Ok(wait_for(client, css).await?.text().await?)
}

/// Clicks what `css` finds, retrying while a re-render replaces it.
pub async fn click(client: &Client, css: &str) -> anyhow::Result<()> {
    let mut last = None;
    for _ in 0..10 {
        match wait_for(client, css).await?.click().await {
            Ok(()) => return Ok(()),
            Err(e) => {
                eprintln!("click on {css} failed ({e:?}); retrying");
                last = Some(e);
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(last.map_or_else(|| anyhow::anyhow!("click on {css} failed"), anyhow::Error::from))
        .with_context(|| format!("clicking {css}"))
}

/// Replaces the text of an input as a person would: select all, delete,
/// type. (WebDriver's Element Clear does not reach React's state, and
/// WebKitWebDriver refuses it on an input React has just re-rendered.)
pub async fn type_into(client: &Client, css: &str, text: &str) -> anyhow::Result<()> {
    use fantoccini::key::Key;
    let clear = format!("{}a{}{}", char::from(Key::Control), char::from(Key::Null), char::from(Key::Backspace));
    // Focusing can fail while a re-render replaces the node: retry on a fresh one.
    let mut last = None;
    for _ in 0..10 {
        let input = wait_for(client, css).await?;
        match input.send_keys(&clear).await {
            Ok(()) => {
                // A new line is the Enter key (a textarea takes it as one).
                let keys = text.replace('\n', &char::from(Key::Enter).to_string());
                input.send_keys(&keys).await.with_context(|| format!("typing into {css}"))?;
                return Ok(());
            }
            Err(e) => {
                eprintln!("typing into {css} failed ({e:?}); retrying");
                last = Some(e);
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(last.map_or_else(|| anyhow::anyhow!("focus failed"), anyhow::Error::from)).with_context(|| format!("focusing {css}"))
}

/// Waits until the text of `css` satisfies `pred`, returning it.
pub async fn wait_text(client: &Client, css: &str, pred: impl Fn(&str) -> bool) -> anyhow::Result<String> {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let text = match client.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if pred(&text) {
            return Ok(text);
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "{css} never matched; last text: {text:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Scrolls the screen to its top, then saves a screenshot.
pub async fn shot(client: &Client, name: &str) -> anyhow::Result<()> {
    client.execute("document.querySelector('main.content').scrollTo(0, 0)", vec![]).await?;
    crate::screenshot(client, name).await?;
    Ok(())
}

/// Scrolls `css` into view (centred), then saves a screenshot.
pub async fn shot_at(client: &Client, css: &str, name: &str) -> anyhow::Result<()> {
    client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView({block: 'center'})",
            vec![serde_json::json!(css)],
        )
        .await?;
    crate::screenshot(client, name).await?;
    Ok(())
}

/// Writes `onboarding.json` as finished, so the app opens on `screen`
/// instead of the first-run walkthrough.
pub fn skip_onboarding(data: &std::path::Path, screen: &str) -> anyhow::Result<()> {
    let state = serde_json::json!({ "step": "done", "finished": true, "last_screen": screen });
    std::fs::write(data.join("onboarding.json"), state.to_string())?;
    Ok(())
}
