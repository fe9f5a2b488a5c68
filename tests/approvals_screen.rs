//! The human gate in the real window: a task launched from the app meets a
//! gate "ask"; a desktop notification goes out (seen on a private D-Bus
//! session bus), the Approvals screen shows the call, the rule and the task,
//! and a click on Approve lets the waiting hook go on.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use paddock_e2e::session_bus::SessionBus;
use paddock_e2e::ui::{click, text_of, type_into, wait_for};
use paddock_e2e::{Window, cli_binary, screenshot};

fn make_repo(dir: &Path) -> anyhow::Result<()> {
    for args in [&["init", "-q", "-b", "main"][..], &["-c", "user.name=Dev", "-c", "user.email=d@e", "commit", "-q", "--allow-empty", "-m", "first"]] {
        let out = Command::new("git").arg("-C").arg(dir).args(args).output()?;
        anyhow::ensure!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

/// POSIX single quoting, as the launch dialog's command line is split.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A shell line that asks the task's gate about `command`, as the agent's hook would.
fn hook_call(command: &str) -> String {
    let payload = serde_json::json!({
        "session_id": "s", "transcript_path": "/dev/null", "cwd": ".", "permission_mode": "bypassPermissions",
        "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": { "command": command }, "tool_use_id": "t",
    });
    format!("printf '%s' {} | \"$PADDOCK\" gate; echo", sh_quote(&payload.to_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gate_ask_notifies_the_desktop_and_is_approved_in_the_window() -> anyhow::Result<()> {
    let cli = cli_binary()?;
    let data = tempfile::tempdir()?;
    let home = tempfile::tempdir()?;
    let repo = tempfile::tempdir()?;
    let bus_dir = tempfile::tempdir()?;
    make_repo(repo.path())?;
    std::fs::write(data.path().join("onboarding.json"), r#"{"dismissed": true}"#)?;
    let bus = SessionBus::start(bus_dir.path())?;
    let env = [
        ("PADDOCK_DATA_DIR", data.path().display().to_string()),
        ("PADDOCK_SCAN_HOME", home.path().display().to_string()),
        ("PADDOCK_CLI_BIN", cli.display().to_string()),
        ("DBUS_SESSION_BUS_ADDRESS", bus.address.clone()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let window = Window::start(&env)?;

    // `$X` is known only at run time: the gate answers ask, and the hook waits for a person.
    let script = format!("{}; echo after-the-ask", hook_call("X=echo; $X from-the-agent"));
    let command = format!("env PADDOCK={} sh -c {}", cli.display(), sh_quote(&script));
    window.with_app("the approvals screen test", Duration::from_secs(300), async |client| {
        click(client, "a[data-nav='tasks']").await?;
        click(client, "main[data-screen='tasks'] .screen-header button.primary").await?;
        wait_for(client, "select[name='agent'] option[value='cmd']").await?.click().await?;
        type_into(client, "input[name='repo']", &repo.path().display().to_string()).await?;
        type_into(client, "textarea[name='prompt']", &command).await?;
        click(client, "[data-testid='launch-dialog'] button.primary").await?;
        wait_for(client, "[data-testid='task-page']").await?;

        // Nobody is on the Approvals screen: the desktop is told.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        while !bus.seen().contains("member=Notify") {
            anyhow::ensure!(tokio::time::Instant::now() < deadline, "no desktop notification was sent:\n{}", bus.seen());
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let seen = bus.seen();
        assert!(seen.contains("asks to run Bash"), "{seen}");
        assert!(seen.contains("$X from-the-agent"), "{seen}");

        click(client, "a[data-nav='approvals']").await?;
        let card = text_of(client, "[data-testid='approval']").await?;
        assert!(card.contains("$X from-the-agent"), "{card}");
        assert!(card.contains("core.dynamic-command"), "{card}");
        screenshot(client, "approvals-2-pending").await?;

        click(client, "[data-testid='approval'] button.primary").await?;
        wait_for(client, "main[data-screen='approvals'] [data-testid='empty-state']").await?;
        let decided = text_of(client, "[data-testid='decided']").await?;
        assert!(decided.contains("approved"), "{decided}");
        screenshot(client, "approvals-3-decided").await?;

        // The hook got the person's answer and the task went on to its end.
        click(client, "a[data-nav='tasks']").await?;
        wait_for(client, "[data-testid='task-list'] tr[data-task-id]").await?;
        click(client, "[data-testid='task-list'] tr[data-task-id] button.link").await?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let output = text_of(client, "[data-testid='task-output']").await.unwrap_or_default();
            if output.contains("after-the-ask") {
                assert!(output.contains(r#""permissionDecision":"allow""#), "{output}");
                break;
            }
            anyhow::ensure!(tokio::time::Instant::now() < deadline, "the task did not go on after the approval: {output}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Ok(())
    })
    .await
}
