//! App facts and the machine check.

use paddock_ipc::app::AppInfo;
use paddock_ipc::doctor::{CheckEvent, CheckResult, CheckStatus};
use paddock_ipc::WireError;
use tauri::ipc::Channel;

use crate::state::AppState;

#[tauri::command]
pub fn app_info(state: tauri::State<'_, AppState>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        platform: std::env::consts::OS.to_owned(),
        data_dir: state.data_dir.display().to_string(),
        unsandboxed_allowed: std::env::var("PADDOCK_ALLOW_UNSANDBOXED").as_deref() == Ok("1"),
    }
}

/// Runs every machine check, streaming each result as it completes. Checks
/// spawn real tools (bubblewrap creates a sandbox), so this runs off the main
/// thread.
#[tauri::command]
pub async fn run_system_check(on_event: Channel<CheckEvent>) -> Result<(), WireError> {
    tauri::async_runtime::spawn_blocking(move || {
        let checks = paddock_doctor::checks();
        let total = u32::try_from(checks.len()).unwrap_or(u32::MAX);
        send(&on_event, CheckEvent::Started { total })?;
        let (mut ok, mut warn, mut missing) = (0, 0, 0);
        for (index, check) in (0u32..).zip(checks.iter()) {
            let f = check.run(None);
            let status = match f.status {
                paddock_doctor::Status::Ok => {
                    ok += 1;
                    CheckStatus::Ok
                }
                paddock_doctor::Status::Warn => {
                    warn += 1;
                    CheckStatus::Warn
                }
                paddock_doctor::Status::Missing => {
                    missing += 1;
                    CheckStatus::Missing
                }
            };
            let result = CheckResult {
                id: f.id.to_owned(),
                title: f.title.to_owned(),
                status,
                detail: f.detail,
                fix: f.fix,
            };
            send(&on_event, CheckEvent::Checked { index, result })?;
        }
        send(&on_event, CheckEvent::Finished { ok, warn, missing })
    })
    .await
    .map_err(|e| WireError::internal(format!("system check stopped unexpectedly: {e}")))?
}

fn send(channel: &Channel<CheckEvent>, event: CheckEvent) -> Result<(), WireError> {
    channel
        .send(event)
        .map_err(|e| WireError::internal(format!("the window stopped listening: {e}")))
}
