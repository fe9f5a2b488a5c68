import type { TaskState } from "../../bindings";

export function stateTone(s: TaskState): "good" | "bad" | "plain" | "live" {
  switch (s) {
    case "finished":
      return "good";
    case "failed":
      return "bad";
    case "running":
    case "stopping":
    case "created":
      return "live";
    default:
      return "plain";
  }
}

/** `3 min ago`, `2 h ago`, `yesterday`; the exact time goes in a title. */
export function ago(ts: string | null, now = Date.now()): string {
  if (!ts) return "—";
  const t = new Date(ts).getTime();
  if (Number.isNaN(t)) return ts;
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}
