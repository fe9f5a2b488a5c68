//! The real desktop app, in a real window under Xvfb, driven through
//! tauri-driver and WebKitWebDriver. Saves a screenshot of every screen.

use std::time::Duration;

use anyhow::Context;
use fantoccini::{Client, Locator};
use paddock_e2e::{Window, screenshot};

/// (route id, heading, a phrase only that screen shows)
const SCREENS: &[(&str, &str, &str)] = &[
    ("onboarding", "Onboarding", "What an agent could reach on this machine"),
    ("tasks", "Tasks", "No tasks yet"),
    ("credentials", "Credentials", "No credential leases yet"),
    ("approvals", "Approvals", "Nothing is waiting for you"),
    ("audit", "Audit", "No events recorded yet"),
    ("settings", "Settings", "Network: what tasks may reach"),
];

async fn text_of(client: &Client, css: &str) -> anyhow::Result<String> {
    Ok(client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css(css)).await?.text().await?)
}

async fn visit(client: &Client, id: &str) -> anyhow::Result<()> {
    let link = format!("a[data-nav='{id}']");
    client.wait().at_most(Duration::from_secs(30)).for_element(Locator::Css(&link)).await?.click().await?;
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(&format!("main[data-screen='{id}']")))
        .await?;
    Ok(())
}

async fn body_background(client: &Client) -> anyhow::Result<String> {
    let v = client.execute("return getComputedStyle(document.body).backgroundColor", vec![]).await?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_renders_with_real_content() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    // The risk audit on the Onboarding screen looks at an empty HOME here;
    // tests/onboarding.rs gives it one full of fake credentials.
    let scan_home = tempfile::tempdir()?;
    let window = Window::start(&[
        ("PADDOCK_DATA_DIR", &data.path().display().to_string()),
        ("PADDOCK_SCAN_HOME", &scan_home.path().display().to_string()),
    ])?;
    window.with_app("the window test", Duration::from_secs(240), async |client| {
        // The navigation offers exactly the six areas, in order.
        client.wait().at_most(Duration::from_secs(30)).for_element(Locator::Css("nav a[data-nav]")).await?;
        let mut labels = Vec::new();
        for link in client.find_all(Locator::Css("nav a[data-nav] .nav-label")).await? {
            labels.push(link.text().await?);
        }
        let expected: Vec<&str> = SCREENS.iter().map(|s| s.1).collect();
        assert_eq!(labels, expected);

        for (id, heading, phrase) in SCREENS {
            visit(client, id).await?;
            assert_eq!(text_of(client, "main h1").await?, *heading);
            // A screen first renders its frame, then what the backend answered.
            paddock_e2e::ui::wait_text(client, "main", |main| main.contains(phrase))
                .await
                .with_context(|| format!("{id} screen lacks {phrase:?}"))?;
            screenshot(client, id).await?;
        }

        // Settings shows what the real backend answered, not placeholders.
        client.find(Locator::Css("button[data-tab-link='about']")).await?.click().await?;
        let facts = text_of(client, "[data-testid='app-info']").await?;
        assert!(facts.contains(env!("CARGO_PKG_VERSION")), "{facts}");
        assert!(facts.contains(&data.path().display().to_string()), "{facts}");

        // The system check (the wizard's sandbox step) streams real results
        // over a channel; it runs on arrival at the step.
        visit(client, "onboarding").await?;
        client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("button[data-step-link='sandbox']")).await?.click().await?;
        client
            .wait()
            .at_most(Duration::from_secs(60))
            .for_element(Locator::XPath("//button[@data-action='run-system-check' and normalize-space()='Check again']"))
            .await?;
        let git = client.find(Locator::Css("[data-check='git']")).await?;
        assert_eq!(git.attr("data-status").await?.as_deref(), Some("ok"));
        assert!(git.text().await?.contains("git version"));
        let bwrap = client.find(Locator::Css("[data-check='bubblewrap']")).await?;
        assert_eq!(bwrap.attr("data-status").await?.as_deref(), Some("ok"), "bubblewrap must work on the test machine");
        screenshot(client, "onboarding-system-check").await?;

        // Light theme when the system asks for nothing else.
        assert_eq!(body_background(client).await?, "rgb(246, 245, 241)");
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dark_theme_follows_the_system() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let scan_home = tempfile::tempdir()?;
    let window = Window::start(&[
        ("PADDOCK_DATA_DIR", &data.path().display().to_string()),
        ("PADDOCK_SCAN_HOME", &scan_home.path().display().to_string()),
        ("GTK_THEME", "Adwaita:dark"),
    ])?;
    window.with_app("the dark-theme test", Duration::from_secs(240), async |client| {
        visit(client, "onboarding").await.context("visit onboarding")?;
        assert_eq!(body_background(client).await?, "rgb(21, 25, 24)");
        screenshot(client, "onboarding-dark").await?;
        visit(client, "tasks").await?;
        screenshot(client, "tasks-dark").await?;
        Ok(())
    })
    .await
}
