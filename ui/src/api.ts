// Typed wrappers, one per Tauri command in src-tauri/src/commands.rs.
import type { AppInfo, CheckEvent } from "./bindings";
import { call, stream } from "./ipc";

export const api = {
  appInfo: () => call<AppInfo>("app_info"),
  runSystemCheck: (onEvent: (e: CheckEvent) => void) => stream<CheckEvent>("run_system_check", {}, onEvent),
};
