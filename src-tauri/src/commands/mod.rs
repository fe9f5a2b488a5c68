//! Tauri commands, one module per screen. Each is a translation, not a
//! decision: validate, call one engine crate, convert the result.

pub mod audit;
pub mod creds;
pub mod gcp;
pub mod onboarding;
pub mod settings;
pub mod system;
pub mod tasks;

use paddock_ipc::WireError;

/// Runs blocking engine work (SQLite, processes) off the main thread, which
/// Tauri uses for synchronous commands and the window's event loop.
pub async fn blocking<T, F>(f: F) -> Result<T, WireError>
where
    F: FnOnce() -> Result<T, WireError> + Send + 'static,
    T: Send + 'static,
{
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| WireError::internal(format!("background work stopped unexpectedly: {e}")))?
}
