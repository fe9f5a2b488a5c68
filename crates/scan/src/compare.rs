//! Outside vs inside: the same scan run on the host and inside the sandbox
//! (`paddock scan --json` with the sandbox's HOME and environment), matched
//! row by row. Findings match on [`Finding::id`], which is built from
//! HOME-relative locations so that a different HOME inside does not break
//! the match.

use serde::{Deserialize, Serialize};

use crate::{Category, Finding, Report, Severity};

/// What happened to one finding inside the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    /// Reachable inside too: isolation did not cover it. Listed first.
    StillReachable,
    /// Only inside (should not happen; worth a look).
    OnlyInside,
    /// Same place, different value inside (e.g. a short-lived credential
    /// Paddock put there in place of yours).
    Replaced,
    /// Found outside, absent inside: taken away by the sandbox.
    Removed,
}

/// One line of the side-by-side table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub id: String,
    pub category: Category,
    pub kind: String,
    pub location: String,
    pub outside: Option<Severity>,
    pub inside: Option<Severity>,
    pub status: RowStatus,
}

fn row(f: &Finding, outside: Option<Severity>, inside: Option<Severity>, status: RowStatus) -> Row {
    Row { id: f.id.clone(), category: f.category, kind: f.kind.clone(), location: f.location.clone(), outside, inside, status }
}

/// Matches the two reports. Rows needing attention come first, then by
/// outside severity, highest first.
pub fn compare(outside: &Report, inside: &Report) -> Vec<Row> {
    let mut rows = Vec::new();
    for o in &outside.findings {
        match inside.findings.iter().find(|i| i.id == o.id) {
            Some(i) if i.fingerprint != o.fingerprint && i.fingerprint.is_some() && o.fingerprint.is_some() => {
                rows.push(row(i, Some(o.severity), Some(i.severity), RowStatus::Replaced));
            }
            Some(i) => rows.push(row(o, Some(o.severity), Some(i.severity), RowStatus::StillReachable)),
            None => rows.push(row(o, Some(o.severity), None, RowStatus::Removed)),
        }
    }
    for i in &inside.findings {
        if !outside.findings.iter().any(|o| o.id == i.id) {
            rows.push(row(i, None, Some(i.severity), RowStatus::OnlyInside));
        }
    }
    rows.sort_by(|a, b| {
        a.status.cmp(&b.status).then_with(|| b.outside.max(b.inside).cmp(&a.outside.max(a.inside))).then_with(|| a.id.cmp(&b.id))
    });
    rows
}

/// True when nothing found outside is still reachable inside.
pub fn isolation_holds(rows: &[Row]) -> bool {
    rows.iter().all(|r| !matches!(r.status, RowStatus::StillReachable | RowStatus::OnlyInside))
}
