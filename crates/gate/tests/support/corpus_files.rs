//! The shape of the gate's corpus files (`crates/gate/tests/corpus/*.toml`), shared by
//! the gate's in-process corpus test and the `paddock-hook` process test in
//! `crates/cli/tests/hook.rs`, which includes this file by path.

use std::path::Path;

use paddock_gate::Verdict;
use serde::Deserialize;

/// The corpus folder, from any crate of the workspace.
pub const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../gate/tests/corpus");

/// Reads and parses `DIR/<name>`; panics with the path on any error (test helper).
pub fn read<T: for<'de> Deserialize<'de>>(name: &str) -> T {
    let path = Path::new(DIR).join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `dangerous.toml`: shell commands the gate must deny or ask about.
#[derive(Deserialize)]
pub struct Dangerous {
    pub cases: Vec<DangerousCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DangerousCase {
    pub name: Option<String>,
    pub command: String,
    pub expect: Verdict,
    pub rule: Option<String>,
}

/// `benign.toml`: everyday commands, in named groups, that must be allowed.
#[derive(Deserialize)]
pub struct Benign {
    pub group: Vec<BenignGroup>,
}

#[derive(Deserialize)]
pub struct BenignGroup {
    pub name: String,
    pub commands: Vec<String>,
}

/// `tools.toml`: non-shell tool calls (file paths, URLs) and their verdicts.
#[derive(Deserialize)]
pub struct Tools {
    pub cases: Vec<ToolCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolCase {
    pub name: String,
    pub tool: String,
    pub input: String,
    pub expect: Verdict,
    pub rule: Option<String>,
}
