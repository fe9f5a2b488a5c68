//! Which built-in gate packs a person switched off: the walkthrough in the app
//! saves the packs to enforce as `packs` in `<data dir>/onboarding.json`
//! (absent: every pack). The CLI and the app run tasks with the same choice.

use std::path::Path;

use serde::Deserialize;

/// The walkthrough's file in the data directory; the app writes it whole.
pub const ONBOARDING_FILE: &str = "onboarding.json";

/// Only the field this needs; the rest of the file is the app's.
#[derive(Deserialize)]
struct Saved {
    #[serde(default)]
    packs: Option<Vec<String>>,
}

/// The built-in packs not to enforce. An id the file names that is no
/// built-in pack is ignored: it cannot switch anything off. A file that cannot
/// be read is an error; the caller then enforces every pack.
pub fn packs_off(data_dir: &Path) -> Result<Vec<String>, String> {
    let path = data_dir.join(ONBOARDING_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let saved: Saved = serde_json::from_str(&text).map_err(|e| format!("{} is damaged: {e}", path.display()))?;
    Ok(match saved.packs {
        None => Vec::new(),
        Some(on) => paddock_gate::builtin_pack_ids().filter(|id| !on.iter().any(|o| o == id)).map(str::to_owned).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::packs_off;

    #[test]
    fn the_packs_left_out_of_the_walkthroughs_choice_are_off() {
        let dir = tempfile::tempdir().unwrap();
        let write = |text: &str| std::fs::write(dir.path().join(super::ONBOARDING_FILE), text).unwrap();
        assert_eq!(packs_off(dir.path()).unwrap(), Vec::<String>::new(), "no file: every pack");
        write(r#"{"step": "packs"}"#);
        assert_eq!(packs_off(dir.path()).unwrap(), Vec::<String>::new(), "no choice yet: every pack");
        let all: Vec<&str> = paddock_gate::builtin_pack_ids().collect();
        let on: Vec<&str> = all.iter().copied().filter(|p| *p != "code-exec" && *p != "disk").collect();
        write(&serde_json::json!({ "packs": on, "step": "done" }).to_string());
        assert_eq!(packs_off(dir.path()).unwrap(), ["disk", "code-exec"]);
        write(r#"{"packs": ["no-such-pack"]}"#);
        assert_eq!(packs_off(dir.path()).unwrap().len(), all.len(), "an unknown id switches nothing on");
        write("{not json");
        assert!(packs_off(dir.path()).unwrap_err().contains("is damaged"));
    }
}
