//! Settings → Google Cloud: the GCP section of `<data>/creds-settings.json`
//! (project, admin credential source, allowed roles) — the file `paddock
//! creds settings gcp` edits and `paddock creds grant` reads — and whether
//! the admin key's keyring entry holds a service-account key.
//!
//! The key never crosses: the window learns only the account's email. It is
//! stored with `paddock creds admin-key --gcp`, from a file, so the key stays
//! out of the window and the shell history.

use std::path::PathBuf;

use paddock_creds::CredsSettings;
use paddock_creds::gcp::{GcpAdminSource, GcpConfig, check_service_account_json};
use paddock_ipc::WireError;
use paddock_ipc::settings::{self as dto, GcpAdminKey, GcpAdminKeyStatus, GcpKeyringEntry, GcpSettings};

use super::blocking;
use crate::convert::gcp as convert;
use crate::state::AppState;

/// The keyring user `paddock creds admin-key --gcp` stores the key under.
pub const GCP_ADMIN_KEYRING_USER: &str = "gcp-admin";

fn settings_path(state: &AppState) -> PathBuf {
    state.creds_settings()
}

fn load(path: &std::path::Path) -> Result<CredsSettings, WireError> {
    CredsSettings::load(path).map_err(|e| WireError::new(paddock_ipc::ErrorCode::Conflict, e.to_string()))
}

/// Whether `service`/`user` holds a service-account key. Reads the entry
/// to check its shape; only the account's email leaves this function.
fn key_status(service: &str, user: &str) -> GcpAdminKey {
    let entry = match keyring::Entry::new(service, user) {
        Ok(e) => e,
        Err(_) => return GcpAdminKey::Unreadable { reason: "the OS keyring could not be opened".into() },
    };
    match entry.get_password() {
        Ok(json) => match check_service_account_json(&json) {
            Ok(v) => GcpAdminKey::Stored {
                client_email: v.get("client_email").and_then(serde_json::Value::as_str).unwrap_or_default().to_owned(),
            },
            // check_service_account_json never quotes the entry.
            Err(e) => GcpAdminKey::Unreadable {
                reason: format!("keyring entry {service}/{user}: {e}; store the key again"),
            },
        },
        Err(keyring::Error::NoEntry) => GcpAdminKey::Missing,
        Err(keyring::Error::NoStorageAccess(_)) => {
            GcpAdminKey::Unreadable { reason: "the OS keyring is locked or not accessible".into() }
        }
        Err(_) => GcpAdminKey::Unreadable {
            reason: "the OS keyring failed (on Linux: is there a session keyring? try `keyctl session -`)".into(),
        },
    }
}

fn set_command(service: &str, user: &str) -> String {
    if service == paddock_creds::aws::ADMIN_KEYRING_SERVICE && user == GCP_ADMIN_KEYRING_USER {
        "paddock creds admin-key --gcp < service-account-key.json".to_owned()
    } else {
        format!("paddock creds admin-key --gcp --keyring-service {service} --keyring-user {user} < service-account-key.json")
    }
}

/// The settings and key status, from the file at `path`.
pub fn read(path: PathBuf, keyring_service: &str) -> Result<GcpSettings, WireError> {
    let saved = load(&path)?.gcp;
    let default_keyring = GcpKeyringEntry { service: keyring_service.to_owned(), user: GCP_ADMIN_KEYRING_USER.to_owned() };
    let (service, user) = match saved.as_ref().map(|c| &c.admin) {
        Some(GcpAdminSource::Keyring { service, user }) => (service.clone(), user.clone()),
        _ => (default_keyring.service.clone(), default_keyring.user.clone()),
    };
    let start = || {
        GcpConfig::new(
            "",
            GcpAdminSource::Keyring { service: default_keyring.service.clone(), user: default_keyring.user.clone() },
        )
    };
    let cfg = saved.clone().unwrap_or_else(start);
    Ok(GcpSettings {
        path: path.display().to_string(),
        configured: saved.is_some(),
        config: convert::config(&cfg),
        default_roles: paddock_creds::gcp::DEFAULT_ALLOWED_ROLES.iter().map(|r| (*r).to_owned()).collect(),
        admin_description: if saved.is_some() { cfg.admin.describe() } else { "not set up".to_owned() },
        admin_key: GcpAdminKeyStatus {
            key: key_status(&service, &user),
            set_command: set_command(&service, &user),
            service,
            user,
        },
        default_keyring,
    })
}

#[tauri::command]
pub async fn gcp_settings(state: tauri::State<'_, AppState>) -> Result<GcpSettings, WireError> {
    let path = settings_path(&state);
    let service = state.keyring.creds_admin.clone();
    blocking(move || read(path, &service)).await
}

/// Checks the edited fields with paddock-creds' own checks (a refusal names
/// the field, and leaves the file as it was), then saves the whole file
/// atomically, keeping its AWS section and the GCP fields not edited here.
#[tauri::command]
pub async fn gcp_settings_save(
    state: tauri::State<'_, AppState>,
    config: dto::GcpConfig,
) -> Result<GcpSettings, WireError> {
    let path = settings_path(&state);
    let _guard = state.settings_lock.lock().map_err(|_| WireError::internal("settings lock poisoned"))?;
    let mut settings = load(&path)?;
    let cfg = convert::config_in(config, settings.gcp.take())?;
    let detail = serde_json::json!({
        "project": cfg.project,
        "admin": cfg.admin.describe(),
        "allowed_roles": cfg.allowed_roles,
        "max_token_lifetime_secs": cfg.max_token_lifetime_secs,
    });
    settings.gcp = Some(cfg);
    // Checked above; what is left to fail is writing the file.
    settings.save(&path).map_err(|e| WireError::internal(e.to_string()))?;
    super::settings::audit(&state, "creds.settings.gcp.save", &path.display().to_string(), detail);
    read(path, &state.keyring.creds_admin)
}
