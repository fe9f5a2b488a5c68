// Typed wrappers, one per Tauri command in src-tauri/src/commands/.
import type {
  AppInfo,
  AuditCounts,
  AuditFilter,
  AuditPage,
  AuditQuery,
  AuditTask,
  AuditVerify,
  AckRecord,
  BypassWarning,
  CheckEvent,
  ExportDone,
  ExportFormat,
  GatePack,
  OnboardingState,
  ScanEvent,
  ScanInfo,
  ScanReport,
} from "./bindings";
import { call, stream } from "./ipc";

export const api = {
  appInfo: () => call<AppInfo>("app_info"),
  runSystemCheck: (onEvent: (e: CheckEvent) => void) => stream<CheckEvent>("run_system_check", {}, onEvent),
  auditQuery: (query: AuditQuery) => call<AuditPage>("audit_query", { query }),
  auditCounts: (filter: AuditFilter) => call<AuditCounts>("audit_counts", { filter }),
  auditTasks: () => call<AuditTask[]>("audit_tasks"),
  auditVerify: () => call<AuditVerify>("audit_verify"),
  auditExport: (filter: AuditFilter, format: ExportFormat) => call<ExportDone>("audit_export", { filter, format }),
  onboardingState: () => call<OnboardingState>("onboarding_state"),
  onboardingSave: (onboarding: OnboardingState) => call<OnboardingState>("onboarding_save", { onboarding }),
  scanInfo: () => call<ScanInfo>("scan_info"),
  scanRun: (repos: string[], onEvent: (e: ScanEvent) => void) =>
    stream<ScanEvent, ScanReport>("scan_run", { repos }, onEvent),
  bypassWarnings: (repos: string[]) => call<BypassWarning[]>("bypass_warnings", { repos }),
  bypassAcknowledge: (repo: string, warningId: string) =>
    call<AckRecord>("bypass_acknowledge", { repo, warningId }),
  gatePacks: () => call<GatePack[]>("gate_packs"),
};
