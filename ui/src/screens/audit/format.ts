import type { AuditEvent, AuditKind } from "../../bindings";

export const KINDS: AuditKind[] = [
  "tool_call",
  "gate_decision",
  "approval",
  "sandbox",
  "egress",
  "credential",
  "task",
  "webhook",
  "config",
  "warning",
];

export const ACTORS = ["user", "agent", "sub_agent", "system"] as const;

/** Counts with digit groups in the user's locale, or en-US grouping where the
 *  locale groups nothing at all: under the C/POSIX locale (a bare X session,
 *  a service) ICU formats 1000022 as "1000022", unreadable at a million events. */
export const groupedNumber = (locale?: string): Intl.NumberFormat => {
  const own = new Intl.NumberFormat(locale);
  return own.format(1_000_000) === "1000000" ? new Intl.NumberFormat("en-US") : own;
};

const COUNT = groupedNumber();

export function count(n: number): string {
  return COUNT.format(n);
}

export function label(key: string): string {
  return key === "" ? "none" : key.replace(/_/g, " ");
}

/**
 * `2026-11-23 02:14:07` in the viewer's zone (`11-23 02:14:07` when short);
 * the UTC instant is shown on hover.
 */
export function localTime(ts: string, short = false): string {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  const pad = (n: number) => String(n).padStart(2, "0");
  const day = `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return short ? `${day} ${time}` : `${d.getFullYear()}-${day} ${time}`;
}

/** The tone of an outcome: what a person should notice first. */
export function tone(outcome: string | null): "good" | "bad" | "ask" | "plain" {
  switch (outcome) {
    case "allow":
    case "allowed":
    case "ok":
    case "approved":
    case "revoked":
      return "good";
    case "deny":
    case "denied":
    case "error":
    case "failed":
    case "refused":
      return "bad";
    case "ask":
    case "pending":
      return "ask";
    default:
      return "plain";
  }
}

export function shortTask(id: string | null): string {
  if (!id) return "—";
  return id.length > 14 ? `${id.slice(0, 12)}…` : id;
}

export function eventSummary(e: AuditEvent): string {
  return e.resource ? `${e.action} ${e.resource}` : e.action;
}

/** Time since the task started, as a reader scans it: `+42s`, `+3m05s`, `+1h02m`. */
export function offset(secs: number): string {
  const s = Math.max(0, Math.round(secs));
  if (s < 60) return `+${s}s`;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 3600) return `+${Math.floor(s / 60)}m${pad(s % 60)}s`;
  return `+${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
}
