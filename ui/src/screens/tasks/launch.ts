// The launch dialog's form, checked before it is sent. The engine checks
// everything again; this only catches typos while the dialog is open.
import type { AgentKind, TaskLaunch } from "../../bindings";

export interface LaunchForm {
  agent: AgentKind;
  repo: string;
  prompt: string;
  /** Hosts, separated by commas, spaces or new lines. */
  hosts: string;
  /** One grant per line. */
  grants: string;
  ttlMinutes: string;
  /** Only for agents that have a permission prompt to bypass (not for any command). */
  bypass: boolean;
  /** The sandbox profile: tool caches the agent may write, shared with your HOME. */
  toolCaches: ToolCacheName[];
}

/** The tool caches a task may be given write access to (paddock-sandbox's `ToolCache`). */
export const TOOL_CACHES = ["cargo", "npm", "pip", "uv", "go"] as const;
export type ToolCacheName = (typeof TOOL_CACHES)[number];

export const EMPTY_FORM: LaunchForm = {
  agent: "claude",
  repo: "",
  prompt: "",
  hosts: "",
  grants: "",
  ttlMinutes: "60",
  bypass: true,
  toolCaches: [],
};

export const MAX_TTL_MINUTES = 24 * 60;

// A host name or `*.domain`, optionally with a port: what the egress allowlist accepts.
const HOST = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(:\d{1,5})?$/;

export type Checked = { ok: true; launch: TaskLaunch } | { ok: false; errors: Partial<Record<keyof LaunchForm, string>> };

export function checkLaunch(form: LaunchForm): Checked {
  const errors: Partial<Record<keyof LaunchForm, string>> = {};
  const repo = form.repo.trim();
  if (!repo) errors.repo = "Choose the repository the task works in.";
  else if (!repo.startsWith("/") && !repo.startsWith("~")) errors.repo = "Give the repository's full path.";

  const prompt = form.prompt.trim();
  if (!prompt) errors.prompt = form.agent === "cmd" ? "Type the command the task runs." : "Say what the agent should do.";

  const hosts = [...new Set(form.hosts.split(/[\s,]+/).map((h) => h.trim().toLowerCase()).filter(Boolean))];
  const badHost = hosts.find((h) => !HOST.test(h));
  if (badHost) errors.hosts = `"${badHost}" is not a host name (e.g. crates.io or *.npmjs.org).`;

  const grants = form.grants.split("\n").map((g) => g.trim()).filter(Boolean);

  const minutes = Number(form.ttlMinutes.trim());
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_TTL_MINUTES)
    errors.ttlMinutes = `A whole number of minutes from 1 to ${MAX_TTL_MINUTES}.`;

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    launch: { agent: form.agent, repo, prompt, allow_hosts: hosts, grants, ttl_secs: minutes * 60, bypass: form.agent !== "cmd" && form.bypass,
      tool_caches: TOOL_CACHES.filter((c) => form.toolCaches.includes(c)) },
  };
}
