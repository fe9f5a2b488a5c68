//! The Onboarding wizard: its saved state, the risk audit (streamed), the
//! bypass-mode warnings and their acknowledgements, and the gate packs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use paddock_ipc::onboarding::{GatePack, OnboardingState};
use paddock_ipc::scan::{AckRecord, BypassWarning, ScanEvent, ScanInfo, ScanReport};
use paddock_ipc::WireError;
use paddock_scan::{AckStore, ScanOptions};
use tauri::ipc::Channel;

use super::blocking;
use crate::convert;
use crate::onboarding_file;
use crate::state::AppState;

/// The routes the app has (ui/src/routes.ts); `last_screen` must be one.
const ROUTES: &[&str] = &["onboarding", "tasks", "credentials", "approvals", "audit", "settings"];
const MAX_REPOS: usize = 50;

fn ack_store(state: &AppState) -> AckStore {
    AckStore::at(state.data_dir.join("acks.json"))
}

/// What the scan reads: the real user, or `PADDOCK_SCAN_HOME` with the app's
/// environment (HOME replaced), plus the chosen repositories.
fn scan_options(state: &AppState, repos: &[String]) -> Result<ScanOptions, WireError> {
    let mut opts = match &state.scan_home {
        Some(home) => {
            let mut env: BTreeMap<String, String> = std::env::vars().collect();
            env.insert("HOME".to_owned(), home.display().to_string());
            ScanOptions::for_home(home.clone(), env)
        }
        None => ScanOptions::for_current_user(),
    };
    opts.repos = repos.iter().map(|r| existing_folder(r)).collect::<Result<_, _>>()?;
    Ok(opts)
}

fn existing_folder(path: &str) -> Result<PathBuf, WireError> {
    let p = Path::new(path.trim());
    if !p.is_absolute() {
        return Err(WireError::invalid_input(format!("{path:?} is not an absolute path; give the full path to the repository")));
    }
    if !p.is_dir() {
        return Err(WireError::invalid_input(format!("there is no folder at {}", p.display())));
    }
    Ok(p.to_path_buf())
}

#[tauri::command]
pub async fn onboarding_state(state: tauri::State<'_, AppState>) -> Result<OnboardingState, WireError> {
    let path = onboarding_file::path(&state.data_dir);
    blocking(move || onboarding_file::load(&path)).await
}

/// Saves the whole wizard state. Newly added repositories must exist;
/// packs must be built-in ones.
#[tauri::command]
pub async fn onboarding_save(
    state: tauri::State<'_, AppState>,
    onboarding: OnboardingState,
) -> Result<OnboardingState, WireError> {
    if let Some(screen) = &onboarding.last_screen
        && !ROUTES.contains(&screen.as_str())
    {
        return Err(WireError::invalid_input(format!("unknown screen {screen:?}")));
    }
    if onboarding.repos.len() > MAX_REPOS {
        return Err(WireError::invalid_input(format!("at most {MAX_REPOS} repositories")));
    }
    if let Some(packs) = &onboarding.packs {
        let known = paddock_gate::BUILTIN_PACKS.iter().map(|(name, _)| *name).collect::<Vec<_>>();
        if let Some(bad) = packs.iter().find(|p| !known.contains(&p.as_str())) {
            return Err(WireError::invalid_input(format!("unknown gate pack {bad:?}; known: {}", known.join(", "))));
        }
    }
    let path = onboarding_file::path(&state.data_dir);
    let _guard = state.onboarding_lock.lock().map_err(|_| WireError::internal("onboarding state lock poisoned"))?;
    let previous = onboarding_file::load(&path).unwrap_or_default();
    let mut onboarding = onboarding;
    onboarding.repos = onboarding.repos.iter().map(|r| r.trim().to_owned()).collect();
    for repo in onboarding.repos.iter().filter(|r| !previous.repos.contains(r)) {
        existing_folder(repo)?;
    }
    onboarding_file::save(&path, &onboarding)?;
    Ok(onboarding)
}

#[tauri::command]
pub fn scan_info(state: tauri::State<'_, AppState>) -> ScanInfo {
    let home = state.scan_home.clone().or_else(dirs::home_dir).unwrap_or_else(|| PathBuf::from("/"));
    ScanInfo {
        risk_rules: paddock_scan::RISK_RULES.to_owned(),
        audit_prompt: paddock_scan::AUDIT_PROMPT.to_owned(),
        audit_prompt_note: paddock_scan::AUDIT_PROMPT_NOTE.to_owned(),
        home: home.display().to_string(),
        home_overridden: state.scan_home.is_some(),
    }
}

/// Runs the risk audit, streaming each check and finding as it happens, and
/// returns the whole report at the end. The scan only reads; it never writes
/// or sends anything (see paddock-scan).
#[tauri::command]
pub async fn scan_run(
    state: tauri::State<'_, AppState>,
    repos: Vec<String>,
    on_event: Channel<ScanEvent>,
) -> Result<ScanReport, WireError> {
    let opts = scan_options(&state, &repos)?;
    blocking(move || {
        let mut listening = true;
        let report = paddock_scan::scan_with_progress(&opts, &mut |e| {
            if listening && let Err(err) = on_event.send(convert::scan::event(e)) {
                // The window went away; finish the scan quietly.
                tracing::warn!("scan progress not delivered: {err}");
                listening = false;
            }
        });
        Ok(convert::scan::report(&report))
    })
    .await
}

/// Bypass-mode warnings for the HOME, the machine and the repositories, each
/// with its acknowledgement time when it has one.
#[tauri::command]
pub async fn bypass_warnings(
    state: tauri::State<'_, AppState>,
    repos: Vec<String>,
) -> Result<Vec<BypassWarning>, WireError> {
    let opts = scan_options(&state, &repos)?;
    let store = ack_store(&state);
    blocking(move || {
        let records = store.records().map_err(convert::scan::ack_error)?;
        Ok(paddock_scan::bypass_warnings(&opts)
            .into_iter()
            .map(|w| {
                let at = w.repo.as_deref().filter(|_| w.requires_ack).and_then(|repo| {
                    let repo = std::fs::canonicalize(repo).unwrap_or_else(|_| repo.to_path_buf());
                    records.iter().find(|r| r.repo == repo && r.warning_id == w.id).map(|r| r.acknowledged_at)
                });
                convert::scan::warning(w, at)
            })
            .collect())
    })
    .await
}

/// Records that the user acknowledged one warning that needs it. Only a
/// warning the scan reports right now for that repository can be
/// acknowledged, so nothing else can be slipped into the store.
#[tauri::command]
pub async fn bypass_acknowledge(
    state: tauri::State<'_, AppState>,
    repo: String,
    warning_id: String,
) -> Result<AckRecord, WireError> {
    let opts = scan_options(&state, std::slice::from_ref(&repo))?;
    let store = ack_store(&state);
    blocking(move || {
        let repo_path = opts.repos[0].clone();
        let warning = paddock_scan::bypass_warnings(&opts)
            .into_iter()
            .find(|w| w.id == warning_id && w.repo.as_deref() == Some(repo_path.as_path()));
        match warning {
            None => Err(WireError::not_found(format!(
                "no warning {warning_id:?} for {} any more; run the check again",
                repo_path.display()
            ))),
            Some(w) if !w.requires_ack => {
                Err(WireError::invalid_input(format!("warning {warning_id:?} does not need an acknowledgement")))
            }
            Some(_) => {
                let record = store.acknowledge(&repo_path, &warning_id).map_err(convert::scan::ack_error)?;
                tracing::info!(repo = %repo_path.display(), warning = %warning_id, "bypass warning acknowledged");
                Ok(convert::scan::ack(record, store.path()))
            }
        }
    })
    .await
}

/// The gate's built-in rule packs and what each blocks.
#[tauri::command]
pub fn gate_packs() -> Result<Vec<GatePack>, WireError> {
    let packs = paddock_gate::builtin_pack_summaries()
        .map_err(|e| WireError::internal(format!("a built-in gate pack does not load: {e}")))?;
    Ok(packs.into_iter().map(convert::gate_pack).collect())
}
