//! `<data dir>/onboarding.json`: the wizard's place, so it resumes where the
//! user left it. Written whole, atomically (a temp file in the same folder,
//! synced, then renamed over the old one), so a crash leaves the old state or
//! the new one, never half of each.

use std::path::{Path, PathBuf};

use paddock_ipc::onboarding::OnboardingState;
use paddock_ipc::{ErrorCode, WireError};

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(paddock_engine::ONBOARDING_FILE)
}

/// The saved state; the first-run state when there is no file yet.
pub fn load(path: &Path) -> Result<OnboardingState, WireError> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            WireError::new(
                ErrorCode::Conflict,
                format!(
                    "{} is damaged (line {}, column {}); move it away to start the walkthrough afresh",
                    path.display(),
                    e.line(),
                    e.column()
                ),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(OnboardingState::default()),
        Err(e) => Err(WireError::internal(format!("cannot read {}: {e}", path.display()))),
    }
}

pub fn save(path: &Path, state: &OnboardingState) -> Result<(), WireError> {
    let io = |e: std::io::Error| WireError::internal(format!("cannot write {}: {e}", path.display()));
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    serde_json::to_writer_pretty(&mut tmp, state).map_err(|e| io(e.into()))?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use paddock_ipc::onboarding::OnboardingStep;

    #[test]
    fn missing_file_is_the_first_run_and_a_save_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let p = path(dir.path());
        assert_eq!(load(&p).unwrap(), OnboardingState::default());
        let state = OnboardingState {
            step: OnboardingStep::Packs,
            completed: vec![OnboardingStep::Risk],
            skipped: vec![OnboardingStep::Credentials],
            packs: Some(vec!["secrets".into()]),
            ..OnboardingState::default()
        };
        save(&p, &state).unwrap();
        assert_eq!(load(&p).unwrap(), state);
        // Only the file itself is left behind: the temp file was renamed.
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("onboarding.json")]);
    }

    #[test]
    fn a_damaged_file_is_a_conflict_that_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = path(dir.path());
        std::fs::write(&p, "{\"step\": ").unwrap();
        let err = load(&p).unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict);
        assert!(err.message.contains("onboarding.json"), "{}", err.message);
    }

    #[test]
    fn files_from_older_versions_load_with_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let p = path(dir.path());
        std::fs::write(&p, r#"{"step":"sandbox","completed":["risk","bypass"]}"#).unwrap();
        let s = load(&p).unwrap();
        assert_eq!(s.step, OnboardingStep::Sandbox);
        assert!(!s.finished);
        assert_eq!(s.packs, None);
    }
}
