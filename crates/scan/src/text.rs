//! The terminal rendering of a report, shared by `paddock scan` and tests
//! (which grep it for planted secrets).

use std::fmt::Write;

use crate::{BypassWarning, Report, RISK_RULES};

/// A report and its warnings as plain text for a terminal.
pub fn render_text(report: &Report, warnings: &[BypassWarning]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Risk level: {}", report.risk.to_string().to_uppercase());
    for reason in &report.reasons {
        let _ = writeln!(s, "  - {reason}");
    }
    let _ = writeln!(s);
    if report.findings.is_empty() {
        let _ = writeln!(s, "No findings.");
    }
    for f in &report.findings {
        let age = match &f.age {
            Some(a) if a.seconds < 60 => ", changed just now".to_owned(),
            Some(a) => format!(", changed {} ago", a.human),
            None => String::new(),
        };
        let fp = f.fingerprint.as_deref().map(|p| format!(" [{p}]")).unwrap_or_default();
        let _ = writeln!(s, "{:<8} {}{fp}", f.severity.to_string().to_uppercase(), f.kind);
        let _ = writeln!(s, "         at {}{age}", f.location);
        let _ = writeln!(s, "         risk: {}", f.explanation);
        let _ = writeln!(s, "         with Paddock: {}", f.paddock_mitigation);
    }
    if !warnings.is_empty() {
        let _ = writeln!(s, "\nBypass-mode warnings:");
        for w in warnings {
            let ack = if w.requires_ack { " (needs your acknowledgement before a task runs)" } else { "" };
            let _ = writeln!(s, "WARNING  {}{ack}", w.location);
            let _ = writeln!(s, "         {}", w.explanation);
            let _ = writeln!(s, "         with Paddock: {}", w.paddock_instead);
        }
    }
    if !report.notes.is_empty() {
        let _ = writeln!(s, "\nNot checked:");
        for n in &report.notes {
            let _ = writeln!(s, "  - {n}");
        }
    }
    let _ = writeln!(s, "\nHow the level is set:\n{RISK_RULES}");
    s
}
