//! `paddock-scan` results into `paddock-ipc::scan` DTOs. The scan's types
//! hold no secret values, so nothing here has to redact; it only renames.

use paddock_ipc::scan as dto;
use paddock_ipc::{ErrorCode, WireError};
use paddock_scan as scan;

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn severity(s: scan::Severity) -> dto::Severity {
    match s {
        scan::Severity::Info => dto::Severity::Info,
        scan::Severity::Low => dto::Severity::Low,
        scan::Severity::Medium => dto::Severity::Medium,
        scan::Severity::High => dto::Severity::High,
        scan::Severity::Critical => dto::Severity::Critical,
    }
}

fn risk(r: scan::RiskLevel) -> dto::RiskLevel {
    match r {
        scan::RiskLevel::Low => dto::RiskLevel::Low,
        scan::RiskLevel::Medium => dto::RiskLevel::Medium,
        scan::RiskLevel::High => dto::RiskLevel::High,
        scan::RiskLevel::Critical => dto::RiskLevel::Critical,
    }
}

fn category(c: scan::Category) -> dto::FindingCategory {
    match c {
        scan::Category::Cloud => dto::FindingCategory::Cloud,
        scan::Category::PackageToken => dto::FindingCategory::PackageToken,
        scan::Category::Vcs => dto::FindingCategory::Vcs,
        scan::Category::Ssh => dto::FindingCategory::Ssh,
        scan::Category::Gpg => dto::FindingCategory::Gpg,
        scan::Category::Environment => dto::FindingCategory::Environment,
        scan::Category::EnvFile => dto::FindingCategory::EnvFile,
        scan::Category::Privilege => dto::FindingCategory::Privilege,
        scan::Category::Browser => dto::FindingCategory::Browser,
        scan::Category::PasswordManager => dto::FindingCategory::PasswordManager,
        scan::Category::AiAgent => dto::FindingCategory::AiAgent,
    }
}

pub fn finding(f: &scan::Finding) -> dto::ScanFinding {
    dto::ScanFinding {
        id: f.id.clone(),
        category: category(f.category),
        kind: f.kind.clone(),
        location: f.location.clone(),
        fingerprint: f.fingerprint.clone(),
        age: f.age.as_ref().map(|a| a.human.clone()),
        age_seconds: f.age.as_ref().map(|a| a.seconds),
        severity: severity(f.severity),
        explanation: f.explanation.clone(),
        paddock_mitigation: f.paddock_mitigation.clone(),
    }
}

pub fn event(e: &scan::ScanEvent) -> dto::ScanEvent {
    match e {
        scan::ScanEvent::CheckStarted { check } => dto::ScanEvent::CheckStarted { check: check.clone() },
        scan::ScanEvent::Finding { finding: f } => dto::ScanEvent::Finding { finding: finding(f) },
        scan::ScanEvent::Note { note } => dto::ScanEvent::Note { note: note.clone() },
    }
}

pub fn report(r: &scan::Report) -> dto::ScanReport {
    dto::ScanReport {
        findings: r.findings.iter().map(finding).collect(),
        risk: risk(r.risk),
        reasons: r.reasons.clone(),
        notes: r.notes.clone(),
        scanned_at: r.scanned_at.map(rfc3339),
    }
}

fn bypass_kind(k: scan::BypassKind) -> dto::BypassKind {
    match k {
        scan::BypassKind::ClaudeBypassPermissions => dto::BypassKind::ClaudeBypassPermissions,
        scan::BypassKind::ClaudeSkipDangerousPrompt => dto::BypassKind::ClaudeSkipDangerousPrompt,
        scan::BypassKind::ShellDangerousFlag => dto::BypassKind::ShellDangerousFlag,
        scan::BypassKind::CodexApprovalNever => dto::BypassKind::CodexApprovalNever,
        scan::BypassKind::CodexDangerFullAccess => dto::BypassKind::CodexDangerFullAccess,
        scan::BypassKind::ProductionRepo => dto::BypassKind::ProductionRepo,
        scan::BypassKind::BypassOnProduction => dto::BypassKind::BypassOnProduction,
    }
}

pub fn warning(w: scan::BypassWarning, acknowledged_at: Option<chrono::DateTime<chrono::Utc>>) -> dto::BypassWarning {
    dto::BypassWarning {
        id: w.id,
        kind: bypass_kind(w.kind),
        location: w.location,
        repo: w.repo.map(|r| r.display().to_string()),
        explanation: w.explanation,
        paddock_instead: w.paddock_instead,
        requires_ack: w.requires_ack,
        acknowledged_at: acknowledged_at.map(rfc3339),
    }
}

pub fn ack(r: scan::AckRecord, store: &std::path::Path) -> dto::AckRecord {
    dto::AckRecord {
        repo: r.repo.display().to_string(),
        warning_id: r.warning_id,
        acknowledged_at: rfc3339(r.acknowledged_at),
        store: store.display().to_string(),
    }
}

pub fn ack_error(e: scan::AckError) -> WireError {
    // Ack errors name paths and positions, never contents.
    let code = match e {
        scan::AckError::NoDataDir => ErrorCode::Unavailable,
        scan::AckError::Corrupt { .. } => ErrorCode::Conflict,
        scan::AckError::Io { .. } => ErrorCode::Internal,
    };
    WireError::new(code, e.to_string())
}

pub fn inside_error(e: scan::inside::InsideError) -> WireError {
    use scan::inside::InsideError as E;
    let code = match &e {
        E::NoSandbox(_) | E::Scanner { .. } | E::Timeout(_) => ErrorCode::Unavailable,
        E::Launch(_) | E::Failed { .. } | E::Output(_) => ErrorCode::Internal,
    };
    WireError::new(code, e.to_string())
}

pub fn comparison(c: scan::inside::Comparison) -> dto::ScanComparison {
    let holds = scan::isolation_holds(&c.rows);
    dto::ScanComparison {
        rows: c
            .rows
            .into_iter()
            .map(|r| dto::ComparisonRow {
                id: r.id,
                category: category(r.category),
                kind: r.kind,
                location: r.location,
                outside: r.outside.map(severity),
                inside: r.inside.map(severity),
                status: match r.status {
                    scan::RowStatus::StillReachable => dto::ComparisonStatus::StillReachable,
                    scan::RowStatus::OnlyInside => dto::ComparisonStatus::OnlyInside,
                    scan::RowStatus::Replaced => dto::ComparisonStatus::Replaced,
                    scan::RowStatus::Removed => dto::ComparisonStatus::Removed,
                },
            })
            .collect(),
        outside_risk: risk(c.outside.risk),
        inside_risk: risk(c.inside.risk),
        isolation_holds: holds,
        backend: c.backend,
        inside_notes: c.inside.notes,
    }
}
