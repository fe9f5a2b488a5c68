// Typed wrappers, one per Tauri command in src-tauri/src/commands.rs.
import type {
  AppInfo,
  AuditCounts,
  AuditFilter,
  AuditPage,
  AuditQuery,
  AuditTask,
  AuditVerify,
  CheckEvent,
  ExportDone,
  ExportFormat,
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
};
