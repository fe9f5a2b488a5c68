// The GCP settings as the form edits them, and the checks that give
// immediate feedback while typing (project id and role name shapes, with
// paddock-creds' wording). Which roles are too powerful to hand a task is
// paddock-creds' decision alone: the save is refused, naming the field.
import type { GcpConfig, GcpSettings } from "../../bindings";

export type AdminKind = "keyring" | "adc" | "impersonate";

export interface GcpDraft {
  project: string;
  admin: AdminKind;
  keyringService: string;
  keyringUser: string;
  serviceAccount: string;
  roles: string[];
  /** The role being typed, before Add. */
  newRole: string;
  /** Seconds, as typed. */
  lifetime: string;
}

export const ADMIN_KINDS: { kind: AdminKind; label: string; hint: string }[] = [
  {
    kind: "keyring",
    label: "Service-account key in the OS keyring",
    hint: "Stored with paddock creds admin-key --gcp; never in a file Paddock reads.",
  },
  {
    kind: "impersonate",
    label: "Impersonate a service account",
    hint: "Your application default credentials, holding roles/iam.serviceAccountTokenCreator on it. No key anywhere.",
  },
  {
    kind: "adc",
    label: "Application default credentials",
    hint: "GOOGLE_APPLICATION_CREDENTIALS, else gcloud auth application-default login, else the metadata server.",
  },
];

export function toDraft(s: GcpSettings): GcpDraft {
  const a = s.config.admin;
  return {
    project: s.config.project,
    admin: a.source,
    keyringService: a.source === "keyring" ? a.service : s.default_keyring.service,
    keyringUser: a.source === "keyring" ? a.user : s.default_keyring.user,
    serviceAccount: a.source === "impersonate" ? a.service_account : "",
    roles: [...s.config.allowed_roles],
    newRole: "",
    lifetime: String(s.config.max_token_lifetime_secs),
  };
}

export function fromDraft(d: GcpDraft): GcpConfig {
  const admin: GcpConfig["admin"] =
    d.admin === "keyring"
      ? { source: "keyring", service: d.keyringService.trim(), user: d.keyringUser.trim() }
      : d.admin === "impersonate"
        ? { source: "impersonate", service_account: d.serviceAccount.trim() }
        : { source: "adc" };
  return {
    project: d.project.trim(),
    admin,
    allowed_roles: d.roles.map((r) => r.trim()).filter(Boolean),
    max_token_lifetime_secs: Number(d.lifetime.trim()),
  };
}

/** paddock-creds' `check_gcp_project`. */
export function projectProblem(p: string): string | null {
  if (!p) return "the project the per-task service accounts are created in; e.g. my-project-123";
  const ok = p.length >= 6 && p.length <= 30 && /^[a-z][a-z0-9-]*$/.test(p) && !p.endsWith("-");
  return ok
    ? null
    : `\`${p}\` is not a GCP project id (6-30 characters: lowercase letters, digits, \`-\`; starting with a letter)`;
}

const ROLE_ID = /^[A-Za-z0-9_.]{1,64}$/;

/** paddock-creds' `check_gcp_role`: the shape of a role name. */
export function roleProblem(role: string): string | null {
  const parts = role.split("/");
  const ok =
    (parts.length === 2 && parts[0] === "roles" && ROLE_ID.test(parts[1])) ||
    (parts.length === 4 && parts[0] === "projects" && projectProblem(parts[1]) === null && parts[2] === "roles" && ROLE_ID.test(parts[3]) && parts[3].length >= 3) ||
    (parts.length === 4 && parts[0] === "organizations" && /^\d+$/.test(parts[1]) && parts[2] === "roles" && ROLE_ID.test(parts[3]));
  return ok
    ? null
    : `\`${role}\` is not an IAM role name; use \`roles/NAME\` (e.g. roles/storage.objectViewer) or \`projects/PROJECT/roles/NAME\``;
}

export type Problems = Record<string, string>;

/** Field problems keyed `project`, `admin`, `roles.2`, `newRole`, `lifetime`. */
export function problems(d: GcpDraft): Problems {
  const out: Problems = {};
  const project = projectProblem(d.project.trim());
  if (project) out.project = project;
  if (d.admin === "keyring" && (!d.keyringService.trim() || !d.keyringUser.trim())) {
    out.admin = "name the keyring service and user the key is stored under";
  }
  if (d.admin === "impersonate" && !d.serviceAccount.trim().includes("@")) {
    out.admin = d.serviceAccount.trim()
      ? `\`${d.serviceAccount.trim()}\` is not a service account email`
      : "the service account to impersonate, e.g. paddock-admin@my-project.iam.gserviceaccount.com";
  }
  d.roles.forEach((r, i) => {
    const p = roleProblem(r.trim());
    if (p) out[`roles.${i}`] = p;
  });
  const secs = d.lifetime.trim();
  const n = Number(secs);
  if (!/^\d+$/.test(secs) || n < 1 || n > 43200) {
    out.lifetime = "1 to 43200 seconds (over 3600 only where the org policy allows longer tokens)";
  }
  return out;
}

/** Adds the typed role (trimmed, once); the new draft, or why not. */
export function addRole(d: GcpDraft): { draft: GcpDraft; problem: string | null } {
  const role = d.newRole.trim();
  if (!role) return { draft: d, problem: null };
  const p = roleProblem(role);
  if (p) return { draft: d, problem: p };
  if (d.roles.includes(role)) return { draft: { ...d, newRole: "" }, problem: null };
  return { draft: { ...d, roles: [...d.roles, role], newRole: "" }, problem: null };
}
