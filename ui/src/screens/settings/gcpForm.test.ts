import { describe, expect, test } from "vitest";
import type { GcpSettings } from "../../bindings";
import { addRole, fromDraft, problems, projectProblem, roleProblem, toDraft } from "./gcpForm";

const settings = (over: Partial<GcpSettings["config"]> = {}): GcpSettings => ({
  path: "/data/creds-settings.json",
  configured: true,
  config: {
    project: "my-project-1",
    admin: { source: "keyring", service: "paddock", user: "gcp-admin" },
    allowed_roles: ["roles/storage.objectViewer", "roles/storage.objectCreator"],
    max_token_lifetime_secs: 3600,
    ...over,
  },
  default_roles: ["roles/storage.objectViewer", "roles/storage.objectCreator"],
  default_keyring: { service: "paddock-ns", user: "gcp-admin" },
  admin_key: { service: "paddock", user: "gcp-admin", key: { status: "missing" }, set_command: "paddock creds admin-key --gcp" },
  admin_description: "service-account key in the keyring (paddock/gcp-admin)",
});

describe("project ids (paddock-creds' check_gcp_project)", () => {
  const cases: [string, boolean][] = [
    ["my-project-1", true],
    ["abcdef", true],
    ["a23456789012345678901234567890", true],
    ["abcde", false],
    ["a234567890123456789012345678901", false],
    ["My-Project", false],
    ["1project", false],
    ["project-", false],
    ["my_project", false],
    ["", false],
  ];
  for (const [p, ok] of cases) {
    test(`${p || "(empty)"}`, () => expect(projectProblem(p) === null).toBe(ok));
  }
});

describe("role names (paddock-creds' check_gcp_role)", () => {
  const cases: [string, boolean][] = [
    ["roles/storage.objectViewer", true],
    ["projects/my-project-1/roles/customReader", true],
    ["projects/my-project-1/roles/ab", false],
    ["organizations/1234/roles/x", true],
    ["organizations/acme/roles/x", false],
    ["storage.objectViewer", false],
    ["roles/", false],
    ["roles/a b", false],
    ["roles/a/b", false],
  ];
  for (const [r, ok] of cases) {
    test(`${r}`, () => expect(roleProblem(r) === null).toBe(ok));
  }
});

describe("the form", () => {
  test("a saved keyring source round-trips, trimmed", () => {
    const d = toDraft(settings());
    expect(fromDraft({ ...d, project: " my-project-1 ", roles: [...d.roles, "  "] })).toEqual(settings().config);
  });
  test("a fresh form offers the app's own keyring entry", () => {
    const d = toDraft(settings({ admin: { source: "adc" } }));
    expect([d.admin, d.keyringService, d.keyringUser]).toEqual(["adc", "paddock-ns", "gcp-admin"]);
    expect(fromDraft(d).admin).toEqual({ source: "adc" });
  });
  test("impersonation sends the email", () => {
    const d = { ...toDraft(settings()), admin: "impersonate" as const, serviceAccount: "admin@p.iam.gserviceaccount.com" };
    expect(fromDraft(d).admin).toEqual({ source: "impersonate", service_account: "admin@p.iam.gserviceaccount.com" });
    expect(problems(d)).toEqual({});
  });
  test("problems are keyed by field", () => {
    const d = { ...toDraft(settings()), project: "My Project", admin: "impersonate" as const, serviceAccount: "admin", lifetime: "0" };
    const p = problems({ ...d, roles: ["roles/storage.objectViewer", "owner"] });
    expect(Object.keys(p).sort()).toEqual(["admin", "lifetime", "project", "roles.1"]);
    expect(p.project).toContain("is not a GCP project id");
    expect(p.admin).toContain("is not a service account email");
  });
  test("adding a role trims it, refuses a bad name and keeps one copy", () => {
    const d = toDraft(settings());
    expect(addRole({ ...d, newRole: "bigquery.dataViewer" }).problem).toContain("not an IAM role name");
    const once = addRole({ ...d, newRole: " roles/bigquery.dataViewer " });
    expect(once.draft.roles.at(-1)).toBe("roles/bigquery.dataViewer");
    expect(once.draft.newRole).toBe("");
    expect(addRole({ ...once.draft, newRole: "roles/bigquery.dataViewer" }).draft.roles).toEqual(once.draft.roles);
  });
});
