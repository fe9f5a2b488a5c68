//! The Paddock desktop shell.
//!
//! Thin by design: each command validates its input, calls one engine crate,
//! and maps the result into a `paddock-ipc` DTO or a `WireError`. Domain
//! logic never lives here (see ARCHITECTURE.md).

// Hide the console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod approval_alerts;
mod commands;
mod convert;
mod onboarding_file;
mod state;

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();

    let state = match state::AppState::from_env() {
        Ok(s) => s,
        Err(err) => {
            eprintln!("paddock-desktop: cannot start: {err}");
            std::process::exit(2);
        }
    };

    let result = tauri::Builder::default()
        .manage(state)
        .plugin(tauri_plugin_notification::init())
        .setup(|app| {
            approval_alerts::start(app.handle().clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::system::app_info,
            commands::system::run_system_check,
            commands::audit::audit_query,
            commands::audit::audit_counts,
            commands::audit::audit_tasks,
            commands::audit::audit_verify,
            commands::audit::audit_export,
            commands::onboarding::onboarding_state,
            commands::onboarding::onboarding_save,
            commands::onboarding::scan_info,
            commands::onboarding::scan_run,
            commands::onboarding::bypass_warnings,
            commands::onboarding::bypass_acknowledge,
            commands::onboarding::gate_packs,
            commands::tasks::tasks_list,
            commands::tasks::task_detail,
            commands::tasks::task_launch,
            commands::tasks::task_stop,
            commands::tasks::task_revoke_now,
            commands::tasks::approvals_list,
            commands::tasks::approval_decide,
            commands::tasks::engine_follow,
            commands::onboarding::scan_compare,
            commands::creds::creds_overview,
            commands::creds::creds_revoke,
            commands::creds::creds_sweep,
            commands::gcp::gcp_settings,
            commands::gcp::gcp_settings_save,
            commands::settings::egress_settings,
            commands::settings::egress_settings_save,
            commands::settings::egress_set_secret,
            commands::settings::egress_clear_secret,
            commands::settings::integrations_overview,
            commands::settings::webhooks_set_secret,
            commands::settings::webhooks_clear_secret,
            commands::settings::webhooks_save_rules,
            commands::settings::webhooks_decide,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"));
    if let Err(err) = result {
        eprintln!("paddock-desktop: the window failed: {err}");
        std::process::exit(1);
    }
}
