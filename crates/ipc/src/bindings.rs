//! Renders `ui/src/bindings.ts` from the Rust declarations.
//!
//! A test compares the rendering with the committed file and fails when they
//! differ; `UPDATE_BINDINGS=1 cargo test -p paddock-ipc` rewrites it.

use ts_rs::{Config, TS};

use crate::{app, audit, creds, doctor, error, onboarding, scan, settings, tasks};

fn decl<T: TS>(cfg: &Config) -> String {
    format!("export {}", T::decl(cfg))
}

/// Every type that crosses IPC, in a stable order.
pub fn render() -> String {
    // u64 sequences and counts arrive as JSON numbers; they stay below 2^53.
    let cfg = Config::new().with_large_int("number");
    let decls = [
        decl::<error::ErrorCode>(&cfg),
        decl::<error::WireError>(&cfg),
        decl::<app::AppInfo>(&cfg),
        decl::<doctor::CheckStatus>(&cfg),
        decl::<doctor::CheckResult>(&cfg),
        decl::<doctor::CheckEvent>(&cfg),
        decl::<audit::AuditActor>(&cfg),
        decl::<audit::AuditKind>(&cfg),
        decl::<audit::AuditFilter>(&cfg),
        decl::<audit::AuditCursor>(&cfg),
        decl::<audit::AuditQuery>(&cfg),
        decl::<audit::AuditEvent>(&cfg),
        decl::<audit::AuditPage>(&cfg),
        decl::<audit::CountEntry>(&cfg),
        decl::<audit::AuditCounts>(&cfg),
        decl::<audit::VerifyProblem>(&cfg),
        decl::<audit::AuditVerify>(&cfg),
        decl::<audit::AuditTask>(&cfg),
        decl::<audit::ExportFormat>(&cfg),
        decl::<audit::ExportDone>(&cfg),
        decl::<scan::Severity>(&cfg),
        decl::<scan::RiskLevel>(&cfg),
        decl::<scan::FindingCategory>(&cfg),
        decl::<scan::ScanFinding>(&cfg),
        decl::<scan::ScanEvent>(&cfg),
        decl::<scan::ScanReport>(&cfg),
        decl::<scan::ScanInfo>(&cfg),
        decl::<scan::BypassKind>(&cfg),
        decl::<scan::BypassWarning>(&cfg),
        decl::<scan::AckRecord>(&cfg),
        decl::<scan::ComparisonStatus>(&cfg),
        decl::<scan::ComparisonRow>(&cfg),
        decl::<scan::ScanComparison>(&cfg),
        decl::<scan::CompareEvent>(&cfg),
        decl::<onboarding::OnboardingStep>(&cfg),
        decl::<onboarding::OnboardingState>(&cfg),
        decl::<onboarding::GateVerdict>(&cfg),
        decl::<onboarding::GateRule>(&cfg),
        decl::<onboarding::GatePack>(&cfg),
        decl::<tasks::AgentKind>(&cfg),
        decl::<tasks::TaskState>(&cfg),
        decl::<tasks::TaskSummary>(&cfg),
        decl::<tasks::TaskLaunch>(&cfg),
        decl::<tasks::TaskDetail>(&cfg),
        decl::<tasks::ApprovalState>(&cfg),
        decl::<tasks::Approval>(&cfg),
        decl::<tasks::ApprovalChoice>(&cfg),
        decl::<tasks::OutputStream>(&cfg),
        decl::<tasks::EngineUpdate>(&cfg),
        decl::<creds::LeaseState>(&cfg),
        decl::<creds::LeaseStep>(&cfg),
        decl::<creds::Lease>(&cfg),
        decl::<creds::AdminKey>(&cfg),
        decl::<creds::AdminKeyStatus>(&cfg),
        decl::<creds::CredsOverview>(&cfg),
        decl::<creds::CredsStep>(&cfg),
        decl::<creds::RemovedOrphan>(&cfg),
        decl::<creds::Retrying>(&cfg),
        decl::<creds::SweepDone>(&cfg),
        decl::<settings::EgressRule>(&cfg),
        decl::<settings::EgressService>(&cfg),
        decl::<settings::EgressPolicy>(&cfg),
        decl::<settings::SecretPresence>(&cfg),
        decl::<settings::SecretStatus>(&cfg),
        decl::<settings::EgressSettings>(&cfg),
        decl::<settings::WebhookSource>(&cfg),
        decl::<settings::WebhookSecretStatus>(&cfg),
        decl::<settings::AutoRunRule>(&cfg),
        decl::<settings::WebhookRules>(&cfg),
        decl::<settings::DeliveryVerdict>(&cfg),
        decl::<settings::WebhookDelivery>(&cfg),
        decl::<settings::ProposalState>(&cfg),
        decl::<settings::TaskProposal>(&cfg),
        decl::<settings::IntegrationsOverview>(&cfg),
        decl::<settings::GcpAdminSource>(&cfg),
        decl::<settings::GcpConfig>(&cfg),
        decl::<settings::GcpAdminKey>(&cfg),
        decl::<settings::GcpAdminKeyStatus>(&cfg),
        decl::<settings::GcpKeyringEntry>(&cfg),
        decl::<settings::GcpSettings>(&cfg),
    ];
    let mut out = String::from(
        "// Generated from crates/ipc by `UPDATE_BINDINGS=1 cargo test -p paddock-ipc`. Do not edit.\n\n",
    );
    for d in decls {
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    #[test]
    fn committed_bindings_are_current() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings.ts");
        let fresh = super::render();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "ui/src/bindings.ts is stale: run `UPDATE_BINDINGS=1 cargo test -p paddock-ipc` and commit the result"
        );
    }
}
