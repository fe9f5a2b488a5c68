//! The Tasks and Approvals screens in the real window: a task launched from
//! the dialog runs for real (git worktree, bubblewrap, Paddock's commit), its
//! page shows the output and the diff, and a bad form is refused in place.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::Context;
use paddock_e2e::ui::{click, text_of, type_into, wait_for};
use paddock_e2e::{Window, cli_binary, screenshot};

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output()?;
    anyhow::ensure!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    Ok(String::from_utf8(out.stdout)?)
}

fn make_repo(dir: &Path) -> anyhow::Result<()> {
    git(dir, &["init", "-q", "-b", "main"])?;
    std::fs::write(dir.join("README.md"), "# shop\n")?;
    git(dir, &["add", "."])?;
    git(dir, &["-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-qm", "first"])?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_launched_from_the_window_runs_sandboxed_and_its_page_shows_output_and_diff() -> anyhow::Result<()> {
    let cli = cli_binary()?;
    let data = tempfile::tempdir()?;
    let home = tempfile::tempdir()?;
    let repo = tempfile::tempdir()?;
    make_repo(repo.path())?;
    // Start on Tasks, not on the first-run walkthrough.
    std::fs::write(data.path().join("onboarding.json"), r#"{"dismissed": true}"#)?;
    let env = [
        ("PADDOCK_DATA_DIR", data.path().display().to_string()),
        ("PADDOCK_SCAN_HOME", home.path().display().to_string()),
        ("PADDOCK_CLI_BIN", cli.display().to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let window = Window::start(&env)?;

    window.with_app("the tasks screen test", Duration::from_secs(300), async |client| {
        click(client, "a[data-nav='tasks']").await?;
        wait_for(client, "main[data-screen='tasks'] [data-testid='empty-state']").await?;
        screenshot(client, "tasks-1-empty").await?;

        // A bad form is refused in place, naming the field; nothing starts.
        click(client, "main[data-screen='tasks'] .screen-header button.primary").await?;
        wait_for(client, "[data-testid='launch-dialog']").await?;
        wait_for(client, "select[name='agent'] option[value='cmd']").await?.click().await?;
        type_into(client, "input[name='repo']", &repo.path().display().to_string()).await?;
        type_into(client, "textarea[name='prompt']", "sh -c 'echo hello from the sandbox; id -u; echo fixed > FIXED.txt'")
            .await?;
        type_into(client, "input[name='ttl']", "0").await?;
        click(client, "[data-testid='launch-dialog'] button.primary").await?;
        let refusal = text_of(client, "[data-testid='launch-dialog'] .field-error").await?;
        assert!(refusal.contains("minutes from 1"), "{refusal}");
        let shown = wait_for(client, "[data-testid='launch-dialog'] .field-error").await?.is_displayed().await?;
        assert!(shown, "the refusal is in the page but not shown");
        // Let the refusal be painted before the screenshot (WebKit can capture the previous frame).
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!data.path().join("worktrees").exists(), "a refused form must not create a task");
        screenshot(client, "tasks-2-launch-refused").await?;

        type_into(client, "input[name='ttl']", "10").await?;
        click(client, "[data-testid='launch-dialog'] button.primary").await?;
        wait_for(client, "[data-testid='task-page']").await?;

        // It runs to its end: the page follows the state without a reload.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
        let state = loop {
            let state = text_of(client, "[data-testid='task-state']").await?;
            if ["finished", "failed", "cancelled"].contains(&state.as_str()) || tokio::time::Instant::now() > deadline {
                break state;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        let page = text_of(client, "[data-testid='task-page']").await?;
        assert_eq!(state, "finished", "the task did not finish: {page}");
        // The command is shown as typed, quotes included: `sh -c echo a; id -u` would read as two commands.
        assert!(page.contains("sh -c 'echo hello from the sandbox; id -u; echo fixed > FIXED.txt'"), "{page}");
        let output = text_of(client, "[data-testid='task-output']").await?;
        assert!(output.contains("hello from the sandbox"), "{output}");
        // Inside the sandbox the command ran as a non-root user.
        assert!(output.lines().any(|l| l.trim() == "1000"), "expected uid 1000 inside the sandbox: {output}");
        screenshot(client, "tasks-3-task-output").await?;

        click(client, "[data-testid='task-page'] .tabs button:nth-child(5)").await?;
        let diff = text_of(client, "[data-testid='task-diff']").await?;
        assert!(diff.contains("FIXED.txt") && diff.contains("+fixed"), "{diff}");
        screenshot(client, "tasks-4-task-diff").await?;

        // Paddock made the one commit, on the task's branch, and main is untouched.
        let row = wait_for(client, "[data-testid='task-list'] tr[data-task-id]").await?;
        let id = row.attr("data-task-id").await?.context("task row without id")?;
        let log = git(repo.path(), &["log", "--format=%an <%ae>|%s", &format!("paddock/{id}")])?;
        let newest = log.lines().next().unwrap_or_default();
        assert!(newest.starts_with("Paddock"), "the newest commit on paddock/{id} is not Paddock's: {log}");
        assert_eq!(git(repo.path(), &["log", "--format=%s", "main"])?.trim(), "first");
        assert!(!repo.path().join("FIXED.txt").exists(), "the task wrote into the main checkout");

        click(client, "a[data-nav='approvals']").await?;
        let empty = text_of(client, "main[data-screen='approvals'] [data-testid='empty-state']").await?;
        assert!(empty.contains("Nothing is waiting for you"), "{empty}");
        screenshot(client, "approvals-1-empty").await?;
        Ok(())
    })
    .await
}
