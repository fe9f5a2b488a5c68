//! Fault injection for the crash tests: `PADDOCK_CREDS_CRASH_AT=<step>` kills this process with
//! SIGKILL right after the cloud call of `<step>` returned and before its outcome is journaled (the
//! worst moment); `<step>:before` kills it after the intent is journaled, before the call.
//! Unset (always, outside tests) it does nothing.

use std::sync::OnceLock;

pub const ENV: &str = "PADDOCK_CREDS_CRASH_AT";

fn target() -> Option<&'static str> {
    static TARGET: OnceLock<Option<String>> = OnceLock::new();
    TARGET.get_or_init(|| std::env::var(ENV).ok().filter(|s| !s.is_empty())).as_deref()
}

/// Dies here if told to. `before` selects the `<step>:before` point.
pub fn point(step: &str, before: bool) {
    let Some(t) = target() else { return };
    let hit = match t.strip_suffix(":before") {
        Some(s) => before && s == step,
        None => !before && t == step,
    };
    if hit {
        eprintln!("paddock: {ENV}={t}: killing this process");
        // A real SIGKILL, like `kill -9`: no destructors, no flush beyond what SQLite already committed.
        let _ = std::process::Command::new("kill").args(["-9", &std::process::id().to_string()]).status();
        std::process::abort();
    }
}
