//! The Onboarding wizard: its saved state, the risk audit (streamed), the
//! bypass-mode warnings and their acknowledgements, and the gate packs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use paddock_ipc::onboarding::{GatePack, OnboardingState};
use paddock_ipc::scan::{AckRecord, BypassWarning, CompareEvent, ScanComparison, ScanEvent, ScanInfo, ScanReport};
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
    let path = onboarding_file::path(&state.data_dir);
    let _guard = state.onboarding_lock.lock().map_err(|_| WireError::internal("onboarding state lock poisoned"))?;
    let previous = onboarding_file::load(&path).unwrap_or_default();
    let onboarding = validate(onboarding, &previous)?;
    onboarding_file::save(&path, &onboarding)?;
    Ok(onboarding)
}

/// The state as it will be saved, or why not. Repositories saved before are
/// kept even if they have gone since (the scan then says so); new ones must
/// be existing folders given by absolute path.
fn validate(onboarding: OnboardingState, previous: &OnboardingState) -> Result<OnboardingState, WireError> {
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
    let mut onboarding = onboarding;
    onboarding.repos = onboarding.repos.iter().map(|r| r.trim().to_owned()).collect();
    for repo in onboarding.repos.iter().filter(|r| !previous.repos.contains(r)) {
        existing_folder(repo)?;
    }
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

/// The same audit as you and inside a fresh sandbox (the one a task gets),
/// side by side: what the sandbox takes away, and anything it does not.
#[tauri::command]
pub async fn scan_compare(
    state: tauri::State<'_, AppState>,
    repos: Vec<String>,
    on_event: Channel<CompareEvent>,
) -> Result<ScanComparison, WireError> {
    let opts = scan_options(&state, &repos)?;
    let scanner = state.scanner.clone().map_err(|m| WireError::new(paddock_ipc::ErrorCode::Unavailable, m))?;
    blocking(move || {
        let mut send = |half| {
            let event = match half {
                paddock_scan::inside::Half::Outside => CompareEvent::Outside,
                paddock_scan::inside::Half::Inside => CompareEvent::Inside,
            };
            if let Err(err) = on_event.send(event) {
                tracing::warn!("comparison progress not delivered: {err}");
            }
        };
        let c = paddock_scan::inside::outside_and_inside(&opts, &scanner, std::time::Duration::from_secs(180), &mut send)
            .map_err(convert::scan::inside_error)?;
        Ok(convert::scan::comparison(c))
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
        ackable(paddock_scan::bypass_warnings(&opts), &repo_path, &warning_id)?;
        let record = store.acknowledge(&repo_path, &warning_id).map_err(convert::scan::ack_error)?;
        tracing::info!(repo = %repo_path.display(), warning = %warning_id, "bypass warning acknowledged");
        Ok(convert::scan::ack(record, store.path()))
    })
    .await
}

/// Only a warning the scan reports right now for `repo`, and that needs an
/// acknowledgement, may be acknowledged.
fn ackable(warnings: Vec<paddock_scan::BypassWarning>, repo: &Path, warning_id: &str) -> Result<(), WireError> {
    let warning = warnings.into_iter().find(|w| w.id == warning_id && w.repo.as_deref() == Some(repo));
    match warning {
        None => Err(WireError::not_found(format!(
            "no warning {warning_id:?} for {} any more; run the check again",
            repo.display()
        ))),
        Some(w) if !w.requires_ack => {
            Err(WireError::invalid_input(format!("warning {warning_id:?} does not need an acknowledgement")))
        }
        Some(_) => Ok(()),
    }
}

/// The gate's built-in rule packs and what each blocks.
#[tauri::command]
pub fn gate_packs() -> Result<Vec<GatePack>, WireError> {
    let packs = paddock_gate::builtin_pack_summaries()
        .map_err(|e| WireError::internal(format!("a built-in gate pack does not load: {e}")))?;
    Ok(packs.into_iter().map(convert::gate_pack).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use paddock_ipc::ErrorCode;
    use paddock_scan::{BypassKind, BypassWarning as ScanWarning};

    fn state() -> OnboardingState {
        OnboardingState::default()
    }

    #[test]
    fn saves_are_validated() {
        let dir = tempfile::tempdir().unwrap();
        let here = dir.path().display().to_string();
        let cases: Vec<(&str, OnboardingState, Option<ErrorCode>)> = vec![
            ("first run", state(), None),
            ("known pack", OnboardingState { packs: Some(vec!["secrets".into()]), ..state() }, None),
            ("no packs at all", OnboardingState { packs: Some(vec![]), ..state() }, None),
            ("unknown pack", OnboardingState { packs: Some(vec!["no-such-pack".into()]), ..state() }, Some(ErrorCode::InvalidInput)),
            ("known screen", OnboardingState { last_screen: Some("audit".into()), ..state() }, None),
            ("unknown screen", OnboardingState { last_screen: Some("../etc".into()), ..state() }, Some(ErrorCode::InvalidInput)),
            ("existing repo", OnboardingState { repos: vec![format!(" {here} ")], ..state() }, None),
            ("relative repo", OnboardingState { repos: vec!["src/shop".into()], ..state() }, Some(ErrorCode::InvalidInput)),
            ("missing repo", OnboardingState { repos: vec![format!("{here}/nope")], ..state() }, Some(ErrorCode::InvalidInput)),
            ("too many repos", OnboardingState { repos: vec![here.clone(); MAX_REPOS + 1], ..state() }, Some(ErrorCode::InvalidInput)),
        ];
        for (name, s, want) in cases {
            let got = validate(s, &state());
            assert_eq!(got.as_ref().err().map(|e| e.code), want, "case {name}: {got:?}");
        }
        // Trimmed on the way in.
        let saved = validate(OnboardingState { repos: vec![format!(" {here} ")], ..state() }, &state()).unwrap();
        assert_eq!(saved.repos, vec![here]);
    }

    #[test]
    fn a_repository_saved_before_may_have_gone_since() {
        let gone = "/no/such/repo/any/more".to_owned();
        let previous = OnboardingState { repos: vec![gone.clone()], ..state() };
        let next = OnboardingState { repos: vec![gone], step: paddock_ipc::onboarding::OnboardingStep::Bypass, ..state() };
        assert!(validate(next, &previous).is_ok());
    }

    #[test]
    fn only_current_warnings_that_need_it_can_be_acknowledged() {
        let repo = Path::new("/src/shop");
        let warning = |id: &str, requires_ack: bool| ScanWarning {
            id: id.into(),
            kind: BypassKind::BypassOnProduction,
            location: "~/src/shop".into(),
            repo: Some(repo.to_path_buf()),
            explanation: String::new(),
            paddock_instead: String::new(),
            requires_ack,
        };
        let now = || vec![warning("production.bypass:~/src/shop", true), warning("production:~/src/shop", false)];
        assert!(ackable(now(), repo, "production.bypass:~/src/shop").is_ok());
        assert_eq!(ackable(now(), repo, "production:~/src/shop").unwrap_err().code, ErrorCode::InvalidInput);
        assert_eq!(ackable(now(), repo, "made-up").unwrap_err().code, ErrorCode::NotFound);
        assert_eq!(
            ackable(now(), Path::new("/src/other"), "production.bypass:~/src/shop").unwrap_err().code,
            ErrorCode::NotFound
        );
    }
}
