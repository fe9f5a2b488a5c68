import type { Lease, LeaseState } from "../../bindings";

export const LIVE: readonly LeaseState[] = ["provisioning", "active", "revoking"];

export function isLive(state: LeaseState): boolean {
  return LIVE.includes(state);
}

/** Live leases first (soonest expiry first), then the history, newest first. */
export function splitLeases(leases: Lease[]): { live: Lease[]; history: Lease[] } {
  const live = leases.filter((l) => isLive(l.state)).sort((a, b) => a.expires_at.localeCompare(b.expires_at));
  const history = leases.filter((l) => !isLive(l.state)).sort((a, b) => b.created_at.localeCompare(a.created_at));
  return { live, history };
}

function span(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  const rm = m % 60;
  if (h < 48) return rm ? `${h} h ${rm} min` : `${h} h`;
  return `${Math.floor(h / 24)} days`;
}

/** "in 41 min", "3 h 5 min ago", "just now" — relative to `now` (ms). */
export function relative(ts: string, now: number): string {
  const t = Date.parse(ts);
  if (Number.isNaN(t)) return ts;
  const secs = (t - now) / 1000;
  if (Math.abs(secs) < 5) return "just now";
  return secs > 0 ? `in ${span(secs)}` : `${span(secs)} ago`;
}

/** What the expiry column says for a lease in this state. */
export function expiryText(lease: Lease, now: number): string {
  const t = Date.parse(lease.expires_at);
  if (Number.isNaN(t)) return lease.expires_at;
  if (isLive(lease.state)) {
    if (t <= now) return `expired ${span((now - t) / 1000)} ago; the reaper revokes it`;
    return `expires in ${span((t - now) / 1000)}`;
  }
  return t <= now ? `would have expired ${span((now - t) / 1000)} ago` : `was due to expire in ${span((t - now) / 1000)}`;
}

/** Minutes and seconds left, `41:07`, for the countdown of a live lease; null once past. */
export function countdown(expiresAt: string, now: number): string | null {
  const t = Date.parse(expiresAt);
  if (Number.isNaN(t) || t <= now) return null;
  const total = Math.floor((t - now) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** `aws · IAM user`, `aws · assumed role`. */
export function providerLabel(lease: Lease): string {
  const mode = lease.mode.replace(/_/g, " ").replace(/^iam /, "IAM ");
  return `${lease.provider} · ${mode}`;
}

/** The readable state, with the reason when it matters. */
export function stateLabel(lease: Lease): string {
  switch (lease.state) {
    case "revoking":
      return lease.attempts > 0 ? `revoking (attempt ${lease.attempts + 1} pending)` : "revoking";
    case "failed":
      return "failed";
    default:
      return lease.state;
  }
}
