//! The first-run wizard's saved state and the gate packs it offers.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The six steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum OnboardingStep {
    Risk,
    Bypass,
    Sandbox,
    Credentials,
    Packs,
    Done,
}

/// `<data dir>/onboarding.json`: where the wizard is, so it resumes there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct OnboardingState {
    pub step: OnboardingStep,
    pub completed: Vec<OnboardingStep>,
    pub skipped: Vec<OnboardingStep>,
    /// Repositories to look into (`.env` files, project agent settings, remotes).
    pub repos: Vec<String>,
    /// Chosen gate packs; null until the packs step is answered.
    pub packs: Option<Vec<String>>,
    /// The wizard reached its end.
    pub finished: bool,
    /// The user closed the wizard before the end; the app stops opening on it.
    pub dismissed: bool,
    /// The route last shown, to reopen there.
    pub last_screen: Option<String>,
}

impl Default for OnboardingState {
    fn default() -> Self {
        Self {
            step: OnboardingStep::Risk,
            completed: Vec::new(),
            skipped: Vec::new(),
            repos: Vec::new(),
            packs: None,
            finished: false,
            dismissed: false,
            last_screen: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum GateVerdict {
    Allow,
    Ask,
    Deny,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct GateRule {
    pub id: String,
    pub verdict: GateVerdict,
    pub reason: String,
}

/// A built-in gate rule pack and what it blocks.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct GatePack {
    pub id: String,
    pub description: String,
    pub rules: Vec<GateRule>,
}
