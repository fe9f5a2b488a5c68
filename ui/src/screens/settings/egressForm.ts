// The egress policy as the form edits it (text fields), and the checks that
// give immediate feedback while typing. The engine checks again on save
// (paddock-egress loads the file it would write); these only catch the
// mistakes a person makes most, with the same wording.
import type { EgressPolicy, EgressRule, EgressService } from "../../bindings";

export interface RuleDraft {
  key: number;
  id: string;
  hosts: string;
  ports: string;
  reason: string;
  private: boolean;
}

export interface ServiceDraft {
  key: number;
  name: string;
  kind: string;
  secret: string;
  upstream: string;
  header: string;
  value: string;
  private: boolean;
}

export interface PolicyDraft {
  allow: RuleDraft[];
  deny: RuleDraft[];
  services: ServiceDraft[];
}

export const SERVICE_KINDS = ["anthropic", "openai", "github", "custom"] as const;

/** Where each preset sends the key (paddock-egress's presets). */
export const KIND_TARGET: Record<string, string> = {
  anthropic: "api.anthropic.com, header x-api-key",
  openai: "api.openai.com, header Authorization: Bearer",
  github: "api.github.com, header Authorization: Bearer",
  custom: "your upstream and header",
};

let nextKey = 1;
const key = () => nextKey++;

export function toDraft(p: EgressPolicy): PolicyDraft {
  const rule = (r: EgressRule): RuleDraft => ({
    key: key(),
    id: r.id,
    hosts: r.hosts.join(", "),
    ports: r.ports ? r.ports.join(", ") : "",
    reason: r.reason ?? "",
    private: r.private,
  });
  const service = (s: EgressService): ServiceDraft => ({
    key: key(),
    name: s.name,
    kind: s.kind,
    secret: s.secret,
    upstream: s.upstream ?? "",
    header: s.header ?? "",
    value: s.value ?? "",
    private: s.private,
  });
  return { allow: p.allow.map(rule), deny: p.deny.map(rule), services: p.services.map(service) };
}

export function emptyRule(kind: "allow" | "deny"): RuleDraft {
  return { key: key(), id: "", hosts: "", ports: kind === "allow" ? "443" : "", reason: "", private: false };
}

export function emptyService(): ServiceDraft {
  return { key: key(), name: "", kind: "anthropic", secret: "", upstream: "", header: "", value: "", private: false };
}

/** Hosts separated by commas, spaces or new lines. */
export function splitHosts(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
}

const LABEL = /^[a-z0-9_-]{1,63}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isDomain(s: string): boolean {
  const name = s.endsWith(".") ? s.slice(0, -1) : s;
  return name.length > 0 && name.length <= 253 && name.split(".").every((l) => LABEL.test(l));
}

/** Why a host pattern is not valid, or null. */
export function hostProblem(h: string): string | null {
  if (h.startsWith("*.")) {
    return isDomain(h.slice(2))
      ? null
      : `"${h}": a wildcard must be \`*.\` followed by a domain name`;
  }
  if (h.includes("*")) return `"${h}": \`*\` is only allowed as a leading \`*.\``;
  if (h.includes("/") || h.includes("://")) return `"${h}": a host only, without scheme or path`;
  if (IPV4.test(h) || /^\[[0-9a-f:.]+\]$/.test(h)) return null;
  if (h.includes(":")) return `"${h}": write IPv6 addresses in brackets, e.g. [::1]; no ports here (they have their own field)`;
  if (!isDomain(h)) return `"${h}" is not a host name`;
  return null;
}

/** Ports as typed ("443, 8443"); blank means the default. */
export function parsePorts(text: string): { ports: number[] | null; problem: string | null } {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (!parts.length) return { ports: null, problem: null };
  const ports: number[] = [];
  for (const p of parts) {
    const n = Number(p);
    if (!/^\d+$/.test(p) || n < 1 || n > 65535) return { ports: null, problem: `"${p}" is not a port (1–65535)` };
    ports.push(n);
  }
  return { ports, problem: null };
}

export type Problems = Record<string, string>;

/** Field problems keyed `allow.3.hosts`, `services.0.secret`, … */
export function problems(d: PolicyDraft): Problems {
  const out: Problems = {};
  const ids = new Map<string, number>();
  for (const [list, rules] of [["allow", d.allow], ["deny", d.deny]] as const) {
    rules.forEach((r, i) => {
      const at = `${list}.${i}`;
      const id = r.id.trim();
      if (!id) out[`${at}.id`] = "every rule needs a name";
      else ids.set(id, (ids.get(id) ?? 0) + 1);
      const hosts = splitHosts(r.hosts);
      if (!hosts.length) out[`${at}.hosts`] = "list at least one host";
      const bad = hosts.map(hostProblem).find((p) => p !== null);
      if (bad) out[`${at}.hosts`] = bad;
      const ports = parsePorts(r.ports).problem;
      if (ports) out[`${at}.ports`] = ports;
    });
  }
  for (const [list, rules] of [["allow", d.allow], ["deny", d.deny]] as const) {
    rules.forEach((r, i) => {
      if ((ids.get(r.id.trim()) ?? 0) > 1) out[`${list}.${i}.id`] = `two rules are named "${r.id.trim()}"`;
    });
  }
  const names = new Map<string, number>();
  d.services.forEach((s) => names.set(s.name.trim(), (names.get(s.name.trim()) ?? 0) + 1));
  d.services.forEach((s, i) => {
    const at = `services.${i}`;
    const name = s.name.trim();
    if (!/^[A-Za-z0-9_-]+$/.test(name)) out[`${at}.name`] = "use a-z, 0-9, '-' and '_' (it is part of a URL)";
    else if ((names.get(name) ?? 0) > 1) out[`${at}.name`] = `two services are named "${name}"`;
    if (!s.secret.trim()) out[`${at}.secret`] = "name the keyring entry that holds the key";
    if (s.kind === "custom") {
      if (!s.upstream.trim()) out[`${at}.upstream`] = "a custom service needs its https:// upstream";
      if (!s.header.trim()) out[`${at}.header`] = "a custom service needs the header the key goes in";
    }
    const up = s.upstream.trim();
    if (up && up.startsWith("http://")) out[`${at}.upstream`] = "keys are only ever injected over https://";
    else if (up && !up.startsWith("https://")) out[`${at}.upstream`] = "the upstream must start with https://";
    if (s.value.trim() && !s.value.includes("{secret}")) out[`${at}.value`] = "the value must contain {secret}";
  });
  return out;
}

/** The draft as the engine takes it (call only when `problems` is empty). */
export function fromDraft(d: PolicyDraft): EgressPolicy {
  const opt = (s: string) => (s.trim() ? s.trim() : null);
  const rule = (r: RuleDraft): EgressRule => ({
    id: r.id.trim(),
    hosts: splitHosts(r.hosts),
    ports: parsePorts(r.ports).ports,
    reason: opt(r.reason),
    private: r.private,
  });
  return {
    allow: d.allow.map(rule),
    deny: d.deny.map(rule),
    services: d.services.map((s) => ({
      name: s.name.trim(),
      kind: s.kind,
      secret: s.secret.trim(),
      upstream: s.kind === "custom" || s.upstream.trim() ? opt(s.upstream) : null,
      header: opt(s.header),
      value: opt(s.value),
      private: s.private,
    })),
  };
}
