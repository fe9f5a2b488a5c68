// The web build of ui/ in real Chromium (Playwright). The engine is not
// present in a browser, so a scripted backend is installed on the page;
// the desktop window test (tests/window.rs) covers the real engine.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { preview } from "vite";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const shots = join(here, "..", "..", "target", "screenshots");
mkdirSync(shots, { recursive: true });

let server;
let browser;
let base;

before(async () => {
  server = await preview({ root: join(here, ".."), preview: { port: 0, host: "127.0.0.1" }, logLevel: "warn" });
  const addr = server.httpServer.address();
  base = `http://127.0.0.1:${addr.port}/`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.httpServer.close(resolve));
});

function fakeBackend({ unsandboxed, onboarding, leases, auditEvents }) {
  // The wizard's saved state lives in the page, like onboarding.json on disk.
  let saved = {
    step: "risk", completed: [], skipped: [], repos: [], packs: null, finished: false, dismissed: false, last_screen: null,
    ...onboarding,
  };
  const acks = new Map();
  window.__PADDOCK_SAVES__ = [];
  const finding = (id, category, kind, location, fingerprint, severity, age) => ({
    id, category, kind, location, fingerprint, age, age_seconds: age ? 86400 : null, severity,
    explanation: `An agent could use the ${kind.toLowerCase()} at ${location}.`,
    paddock_mitigation: "Tasks run in a sandbox that does not mount it; the proxy injects what is needed.",
  });
  const findings = [
    finding("aws.key:~/.aws/credentials[default]", "cloud", "AWS access key ID (long-lived)", "~/.aws/credentials [default]", "AKIA…WXYZ", "critical", "2 years"),
    finding("npm.token:~/.npmrc[registry.npmjs.org]", "package_token", "npm registry token", "~/.npmrc", "npm_…9fQk", "high", "5 months"),
    finding("ssh.key:~/.ssh/id_ed25519_enc", "ssh", "SSH private key (encrypted, OpenSSH, ssh-ed25519)", "~/.ssh/id_ed25519_enc", "SHA256:3b1x…", "low", "1 year"),
  ];
  const warnings = () => [
    {
      id: "claude.bypass:~/.claude/settings.json", kind: "claude_bypass_permissions", location: "~/.claude/settings.json (user settings)",
      repo: null, explanation: "Claude Code starts in bypass-permissions mode for every project you open.",
      paddock_instead: "Every tool call goes through Paddock's gate.", requires_ack: false, acknowledged_at: null,
    },
    {
      id: "production.bypass:~/src/shop", kind: "bypass_on_production", location: "~/src/shop", repo: "/home/dev/src/shop",
      explanation: "Bypass mode is switched on and this repository is production.",
      paddock_instead: "Tasks still run in the sandbox behind the gate.", requires_ack: true,
      acknowledged_at: acks.get("production.bypass:~/src/shop") ?? null,
    },
  ];
  const now = Date.now();
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  let leaseRows = (leases ? [
    { id: "0190a1b2-0000-7000-8000-00000000000a", task: "fix-flaky-test", state: "active", scope: ["s3:read billing-fixtures/ledger"], mins: 41 },
    { id: "0190a1b2-0000-7000-8000-00000000000b", task: "nightly-report", state: "revoked", scope: ["dynamodb:read Orders"], mins: -30 },
    { id: "0190a1b2-0000-7000-8000-00000000000c", task: "export-reports", state: "active", scope: ["gcs:read acme-reports/2026"], mins: 25, gcp: true },
  ] : []).map((l) => ({
    id: l.id, task: l.task, provider: l.gcp ? "gcp" : "aws", mode: l.gcp ? "service_account" : "iam_user", state: l.state, failure: null,
    principal: l.gcp
      ? `paddock-0000700080000000000${l.id.at(-1)}@acme-data-prod.iam.gserviceaccount.com`
      : `arn:aws:iam::123456789012:user/paddock/paddock-${l.id.replace(/-/g, "")}`,
    scope: l.scope,
    created_at: iso(now - 20 * 60000), expires_at: iso(now + l.mins * 60000),
    revoked_at: l.state === "revoked" ? iso(now - 10 * 60000) : null, cleanup_after: null, attempts: 0,
    next_attempt_at: null, last_error: null,
    history: [{ seq: 1, at: iso(now - 20 * 60000), step: "aws.create_user", phase: "intent", detail: "user paddock-…" }],
  }));
  let egress = null;
  const example = {
    allow: [{ id: "npm", hosts: ["registry.npmjs.org"], ports: [443], reason: null, private: false }],
    deny: [{ id: "no-telemetry", hosts: ["*.sentry.io"], ports: null, reason: "Telemetry is off for agent tasks.", private: false }],
    services: [{ name: "anthropic", kind: "anthropic", secret: "anthropic-api-key", upstream: null, header: null, value: null, private: false }],
  };
  const egressSettings = () => ({
    path: "/home/dev/.local/share/paddock/egress.toml", exists: egress !== null,
    policy: egress ?? { allow: [], deny: [], services: [] },
    secrets: (egress?.services ?? []).map((s) => ({ name: s.secret, presence: "missing" })),
    keyring_problem: null, example,
  });
  // Settings → Google Cloud: the check the engine makes on save that the form does not (refused roles).
  let gcp = null;
  const gcpDefaults = ["roles/storage.objectViewer", "roles/storage.objectCreator"];
  const gcpSettings = () => ({
    path: "/home/dev/.local/share/paddock/creds-settings.json", configured: gcp !== null,
    config: gcp ?? { project: "", admin: { source: "keyring", service: "paddock", user: "gcp-admin" }, allowed_roles: gcpDefaults, max_token_lifetime_secs: 3600 },
    default_roles: gcpDefaults, default_keyring: { service: "paddock", user: "gcp-admin" },
    admin_key: {
      service: "paddock", user: "gcp-admin", set_command: "paddock creds admin-key --gcp < service-account-key.json",
      key: leases ? { status: "stored", client_email: "paddock-admin@acme-data-prod.iam.gserviceaccount.com" } : { status: "missing" },
    },
    admin_description: gcp ? "service-account key in the keyring (paddock/gcp-admin)" : "not set up",
  });
  if (leases) gcp = { project: "acme-data-prod", admin: { source: "keyring", service: "paddock", user: "gcp-admin" }, allowed_roles: gcpDefaults, max_token_lifetime_secs: 3600 };
  window.__PADDOCK_GCP_SAVES__ = [];
  window.__PADDOCK_EGRESS_SAVES__ = [];
  window.__PADDOCK_IPC__ = {
    invoke: async (cmd, args) => {
      switch (cmd) {
        case "creds_overview":
          return {
            leases: leaseRows,
            admin: { key: { status: "configured", key_id: "AKIA…WXYZ" }, service: "paddock", user: "aws-admin", set_command: "paddock creds admin-key < admin-key.json" },
            gcp: gcpSettings(),
            store: "/home/dev/.local/share/paddock/leases.db",
          };
        case "gcp_settings":
          return gcpSettings();
        case "gcp_settings_save": {
          const bad = args.config.allowed_roles.find((r) => r === "roles/owner" || r.startsWith("roles/iam."));
          if (bad) throw { code: "invalid_input", message: `Allowed roles: role \`${bad}\` is never granted to a task` };
          gcp = args.config;
          window.__PADDOCK_GCP_SAVES__.push(args.config);
          return gcpSettings();
        }
        case "egress_settings":
          return egressSettings();
        case "egress_settings_save":
          egress = args.policy;
          window.__PADDOCK_EGRESS_SAVES__.push(args.policy);
          return egressSettings();
        case "integrations_overview":
          return {
            secrets: [
              { source: "slack", presence: "missing", problem: null, endpoints: "/slack/commands, /slack/events" },
              { source: "github", presence: "stored", problem: null, endpoints: "/github" },
            ],
            rules: { path: "/home/dev/.local/share/paddock/webhook-rules.toml", exists: false, text: "", rules: [], error: null },
            deliveries: [], proposals: [], db: "/home/dev/.local/share/paddock/webhooks.db", serve_command: "paddock webhooks serve",
          };
        case "app_info":
          return { version: "0.1.0", platform: "linux", data_dir: "/home/dev/.local/share/paddock", unsandboxed_allowed: unsandboxed };
        // An empty audit trail, or `auditEvents` synthetic ones paged by their
        // sequence as the engine does: the window test (tests/audit_screen.rs)
        // covers the real engine.
        case "audit_query": {
          const n = auditEvents ?? 0;
          const { cursor, limit } = args.query;
          let from, to;
          if (cursor.at === "newest") [from, to] = [Math.max(1, n - limit + 1), n];
          else if (cursor.at === "oldest") [from, to] = [1, Math.min(n, limit)];
          else if (cursor.at === "before") [from, to] = [Math.max(1, cursor.seq - limit), cursor.seq - 1];
          else [from, to] = [cursor.seq + 1, Math.min(n, cursor.seq + limit)];
          const events = [];
          for (let seq = from; seq <= to; seq++) {
            events.push({
              seq, id: `ev-${seq}`, ts: new Date(Date.UTC(2026, 10, 23, 2) + seq * 1000).toISOString(), task_id: "t-night",
              actor: "agent", kind: "egress", action: "GET", resource: `registry.npmjs.org/pkg-${seq}`, outcome: "allow",
              detail: {}, hash: "00".repeat(32),
            });
          }
          return { events, has_older: from > 1, has_newer: to < n };
        }
        case "audit_counts":
          return { total: auditEvents ?? 0, by_kind: [], by_outcome: [] };
        case "audit_tasks":
          return [];
        case "audit_verify":
          return { ok: true, events: 0, head_seq: 0, checkpoints_verified: 0, sealed_through: 0, first_broken: null, problems: [], checked_at: "2026-11-23T02:00:00Z" };
        case "onboarding_state":
          return saved;
        case "onboarding_save":
          if (args.onboarding.repos.some((r) => !r.startsWith("/"))) throw { code: "invalid_input", message: "not an absolute path" };
          saved = args.onboarding;
          window.__PADDOCK_SAVES__.push(saved);
          return saved;
        case "scan_info":
          return {
            risk_rules: "The level is the most severe single finding.\ncritical: long-lived cloud keys…",
            audit_prompt: "Help me establish what credentials, system privileges and data access you have on this machine.",
            audit_prompt_note: "Your agent will run commands on this machine to answer. Review every command.",
            home: "/home/dev", home_overridden: false,
          };
        case "bypass_warnings":
          return warnings();
        case "bypass_acknowledge":
          acks.set(args.warningId, "2026-11-23T10:00:00Z");
          return { repo: args.repo, warning_id: args.warningId, acknowledged_at: "2026-11-23T10:00:00Z", store: "/home/dev/.local/share/paddock/acks.json" };
        case "gate_packs":
          return [
            { id: "git-history", description: "Force pushes, hard resets, cleans, branch deletion, history rewriting.",
              rules: [{ id: "git-history.force-push", verdict: "deny", reason: "force push rewrites the remote's history" }] },
            { id: "code-exec", description: "Inline interpreter code (python -c, node -e).",
              rules: [{ id: "code-exec.inline-interpreter", verdict: "ask", reason: "runs inline interpreter code the gate cannot judge" }] },
          ];
        case "tasks_list":
        case "approvals_list":
          return [];
        default:
          throw { code: "invalid_input", message: `unknown command ${cmd}` };
      }
    },
    stream: async (cmd, args, onEvent) => {
      // The engine's live feed stays open for the life of the page; nothing happens in this one.
      if (cmd === "engine_follow") return new Promise(() => {});
      if (cmd === "creds_revoke") {
        for (const [action, phase] of [["revoking", "state"], ["aws.delete_access_key", "intent"], ["aws.delete_access_key", "done"], ["aws.delete_user", "done"], ["revoked", "state"]]) {
          await new Promise((r) => setTimeout(r, 40));
          onEvent({ lease_id: args.id, task: "fix-flaky-test", action, phase, detail: "" });
        }
        leaseRows = leaseRows.map((l) => (l.id === args.id ? { ...l, state: "revoked", revoked_at: iso(Date.now()) } : l));
        return leaseRows.find((l) => l.id === args.id);
      }
      if (cmd === "scan_compare") {
        onEvent({ event: "outside" });
        await new Promise((r) => setTimeout(r, 30));
        onEvent({ event: "inside" });
        return {
          rows: findings.map((f) => ({ id: f.id, category: f.category, kind: f.kind, location: f.location, outside: f.severity, inside: null, status: "removed" })),
          outside_risk: "critical", inside_risk: "low", isolation_holds: true, backend: "bubblewrap", inside_notes: [],
        };
      }
      if (cmd === "scan_run") {
        // Findings stream in while checks run; the report comes at the end.
        for (const f of findings) {
          onEvent({ event: "check_started", check: f.category });
          await new Promise((r) => setTimeout(r, 30));
          onEvent({ event: "finding", finding: f });
        }
        return {
          findings, risk: "critical", notes: [], scanned_at: "2026-11-23T10:00:00Z",
          reasons: ["critical: AWS access key ID (long-lived) at ~/.aws/credentials [default]"],
        };
      }
      const results = [
        { id: "git", title: "git (task worktrees)", status: "ok", detail: "git version 2.39.5 (/usr/bin/git)", fix: null },
        { id: "bubblewrap", title: "bubblewrap sandbox (Linux)", status: "missing", detail: "`bwrap` is not on PATH", fix: "sudo apt-get install bubblewrap" },
        { id: "claude", title: "Claude Code agent", status: "warn", detail: "`claude` is not on PATH", fix: "npm install -g @anthropic-ai/claude-code" },
      ];
      onEvent({ event: "started", total: results.length });
      results.forEach((result, index) => onEvent({ event: "checked", index, result }));
      onEvent({ event: "finished", ok: 1, warn: 1, missing: 1 });
    },
  };
}

async function page(opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 820 }, colorScheme: opts.colorScheme ?? "light" });
  const p = await context.newPage();
  if (opts.backend !== false) {
    await p.addInitScript(fakeBackend, {
      unsandboxed: !!opts.unsandboxed, onboarding: opts.onboarding ?? {}, leases: !!opts.leases, auditEvents: opts.auditEvents,
    });
  }
  return p;
}

for (const [id, heading, phrase] of [
  ["onboarding", "Onboarding", "What an agent could reach on this machine"],
  ["tasks", "Tasks", "No tasks yet"],
  ["credentials", "Credentials", "No credential leases yet"],
  ["approvals", "Approvals", "Nothing is waiting for you"],
  ["audit", "Audit", "No events recorded yet"],
  ["settings", "Settings", "/home/dev/.local/share/paddock/egress.toml"],
]) {
  test(`web: ${id} screen`, async () => {
    const p = await page();
    await p.goto(`${base}#/${id}`);
    assert.equal(await p.locator("main h1").textContent(), heading);
    await p.getByText(phrase).first().waitFor();
    await p.screenshot({ path: join(shots, `web-${id}.png`) });
    await p.context().close();
  });
}

test("web: credentials list counts down, asks before revoking, and streams the revocation", async () => {
  const p = await page({ leases: true });
  await p.goto(`${base}#/credentials`);
  const live = p.locator("[data-testid='live-leases'] tr[data-lease$='0a']");
  await live.waitFor();
  assert.match(await live.textContent(), /fix-flaky-test/);
  assert.match(await live.textContent(), /4[01]:\d\d left/);
  assert.match(await p.locator("[data-testid='admin-key']").textContent(), /AKIA…WXYZ/);
  assert.equal(await p.locator("[data-testid='lease-history-table'] tr[data-state='revoked']").count(), 1);
  await p.screenshot({ path: join(shots, "web-credentials-leases.png"), fullPage: true });
  await live.locator("button[data-action='revoke']").click();
  await p.locator("[data-testid='confirm-revoke']").waitFor();
  await p.locator("button[data-action='confirm-revoke']").click();
  await p.getByText("Lease for fix-flaky-test revoked").waitFor();
  assert.match(await p.locator("[data-testid='creds-progress']").textContent(), /aws\.delete_user/);
  assert.equal(await p.locator("[data-testid='lease-history-table'] tr[data-state='revoked']").count(), 2);
  await p.context().close();
});

test("web: the allowlist editor catches mistakes as they are typed and saves the rules", async () => {
  const p = await page();
  await p.goto(`${base}#/settings`);
  await p.locator("[data-testid='no-policy']").waitFor();
  await p.locator("button[data-action='use-example']").click();
  await p.locator("button[data-action='add-allow']").click();
  const row = p.locator("[data-testid='allow-rules'] tbody tr").last();
  await row.locator("input[data-field='id']").fill("github");
  await row.locator("input[data-field='hosts']").fill("https://github.com");
  await p.getByText("without scheme or path").waitFor();
  assert.equal(await p.locator("button[data-action='save-egress']").isDisabled(), true);
  await row.locator("input[data-field='hosts']").fill("github.com *.githubusercontent.com");
  await row.locator("input[data-field='ports']").fill("443");
  await p.locator("button[data-action='save-egress']").click();
  await p.locator("[data-testid='egress-saved']").waitFor();
  const saved = await p.evaluate(() => window.__PADDOCK_EGRESS_SAVES__.at(-1));
  assert.deepEqual(saved.allow.at(-1), { id: "github", hosts: ["github.com", "*.githubusercontent.com"], ports: [443], reason: null, private: false });
  assert.equal(saved.services[0].secret, "anthropic-api-key");
  await p.screenshot({ path: join(shots, "web-settings-network.png"), fullPage: true });
  await p.context().close();
});

test("web: system check lists what is missing with the fix", async () => {
  const p = await page({ colorScheme: "dark", onboarding: { step: "sandbox", completed: ["risk", "bypass"] } });
  await p.goto(base);
  // The check runs on arrival at the step; the button runs it again.
  await p.getByText("sudo apt-get install bubblewrap").waitFor();
  await p.getByRole("button", { name: "Check again" }).click();
  await p.getByText("sudo apt-get install bubblewrap").waitFor();
  assert.equal(await p.locator("[data-check='bubblewrap']").getAttribute("data-status"), "missing");
  const bg = await p.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, "rgb(21, 25, 24)");
  await p.screenshot({ path: join(shots, "web-onboarding-check-dark.png") });
  await p.context().close();
});

test("web: the wizard streams the audit, needs the acknowledgement, and saves every step", async () => {
  const p = await page();
  await p.goto(base);
  // First start: the app opens on the walkthrough and the audit runs by itself.
  await p.locator("main[data-screen='onboarding'] .onboarding[data-step='risk']").waitFor();
  const level = p.locator("[data-testid='risk-level']");
  await level.waitFor();
  assert.equal(await level.getAttribute("data-level"), "critical");
  const aws = p.locator("[data-finding='aws.key:~/.aws/credentials[default]']");
  assert.match(await aws.textContent(), /AKIA…WXYZ/);
  assert.match(await aws.textContent(), /2 years old/);
  // Grouped by category, worst first.
  const groups = await p.locator(".finding-group h3").allTextContents();
  assert.deepEqual(groups.map((g) => g.split(" ·")[0]), ["Cloud credentials", "Package registry tokens", "SSH keys and agent"]);
  // The same audit inside the sandbox, side by side: everything taken away.
  await p.locator("[data-testid='compare-verdict'][data-holds='true']").waitFor();
  assert.equal(await p.locator("[data-testid='compare-table'] tr[data-status='removed']").count(), 3);
  await p.locator("[data-testid='audit-prompt'] summary").click();
  await p.screenshot({ path: join(shots, "web-onboarding-1-risk.png"), fullPage: true });

  // A repository that is not an absolute path is refused, and not kept.
  await p.locator("input[data-input='repo-path']").fill("src/shop");
  await p.locator("button[data-action='add-repo']").click();
  await p.getByText("not an absolute path").waitFor();
  assert.equal(await p.locator("[data-testid='repo-list']").count(), 0);

  await p.locator("button[data-action='next-step']").click();
  const onProd = p.locator("[data-kind='bypass_on_production']");
  await onProd.waitFor();
  assert.equal(await p.locator("button[data-action='next-step']").isDisabled(), true);
  assert.equal(await p.locator("button[data-action='acknowledge']").isDisabled(), true);
  await p.locator("input[data-action='ack-understood']").check();
  await p.locator("button[data-action='acknowledge']").click();
  await p.locator("[data-kind='bypass_on_production'][data-acknowledged='true']").waitFor();
  await p.screenshot({ path: join(shots, "web-onboarding-2-bypass.png"), fullPage: true });
  await p.locator("button[data-action='next-step']").click();

  await p.locator(".onboarding[data-step='sandbox']").waitFor();
  await p.locator("button[data-action='skip-step']").click();
  await p.locator(".onboarding[data-step='credentials']").waitFor();
  await p.getByText("paddock creds admin-key").waitFor();
  await p.locator("button[data-action='skip-step']").click();

  await p.locator("[data-pack='code-exec'] input").uncheck();
  await p.getByText("With code-exec off").waitFor();
  await p.screenshot({ path: join(shots, "web-onboarding-5-packs.png"), fullPage: true });
  await p.locator("button[data-action='next-step']").click();
  await p.locator("[data-testid='first-task-command']").waitFor();
  await p.screenshot({ path: join(shots, "web-onboarding-6-done.png"), fullPage: true });

  const last = await p.evaluate(() => window.__PADDOCK_SAVES__.at(-1));
  assert.equal(last.step, "done");
  assert.equal(last.finished, true);
  assert.deepEqual(last.completed, ["risk", "bypass", "packs"]);
  assert.deepEqual(last.skipped, ["sandbox", "credentials"]);
  assert.deepEqual(last.packs, ["git-history"]);
  await p.context().close();
});

test("web: closing the walkthrough early stops the app opening on it, and it resumes where it was", async () => {
  const p = await page({ onboarding: { step: "packs", completed: ["risk"], skipped: ["bypass", "sandbox", "credentials"] } });
  await p.goto(base);
  await p.locator(".onboarding[data-step='packs']").waitFor();
  await p.locator("button[data-action='dismiss-wizard']").click();
  await p.getByText("The walkthrough is closed").waitFor();
  await p.locator("a[data-nav='audit']").click();
  await p.locator("main[data-screen='audit']").waitFor();
  const last = await p.evaluate(() => window.__PADDOCK_SAVES__.at(-1));
  assert.equal(last.dismissed, true);
  assert.equal(last.last_screen, "audit");
  assert.equal(last.step, "packs");
  await p.locator("a[data-nav='onboarding']").click();
  await p.locator(".onboarding[data-step='packs']").waitFor();
  assert.equal(await p.locator("[data-step-link='bypass']").getAttribute("data-status"), "skipped");
  await p.context().close();
});

test("web: a finished walkthrough reopens the last screen", async () => {
  const p = await page({ onboarding: { finished: true, step: "done", last_screen: "audit" } });
  await p.goto(base);
  await p.locator("main[data-screen='audit']").waitFor();
  await p.context().close();
});

test("web: the copy button says so when the clipboard is refused", async () => {
  const p = await page();
  await p.goto(`${base}#/onboarding`);
  await p.locator("[data-testid='audit-prompt'] summary").click();
  await p.evaluate(() => {
    Object.defineProperty(navigator, "clipboard", { value: { writeText: () => Promise.reject(new Error("denied")) } });
  });
  await p.locator("button[data-action='copy-prompt']").click();
  await p.getByText("select the text below and copy it by hand").waitFor();
  await p.context().close();
});

test("web: sandbox-off warning is shown on every screen", async () => {
  const p = await page({ unsandboxed: true });
  for (const id of ["tasks", "audit"]) {
    await p.goto(`${base}#/${id}`);
    await p.getByText("Sandbox is off.").waitFor();
  }
  await p.context().close();
});

test("web: without an engine the page says so instead of showing blanks", async () => {
  const p = await page({ backend: false });
  await p.goto(base);
  const alert = p.getByRole("alert");
  await alert.waitFor();
  assert.equal(await alert.getAttribute("data-error-code"), "unavailable");
  assert.match(await alert.textContent(), /Open the Paddock desktop app/);
  await p.context().close();
});

test("web: the Google Cloud settings catch a bad project id as it is typed, show a refused role, and save", async () => {
  const p = await page();
  await p.goto(`${base}#/settings/gcp`);
  await p.locator("[data-testid='settings-gcp'][data-configured='false']").waitFor();
  await p.locator("[data-testid='gcp-not-configured']").waitFor();
  await p.locator("input[data-field='project']").fill("Acme Data");
  await p.locator("[data-problem='project']").getByText("is not a GCP project id").waitFor();
  assert.equal(await p.locator("button[data-action='save-gcp']").isDisabled(), true);
  await p.screenshot({ path: join(shots, "web-settings-gcp-invalid.png"), fullPage: true });
  await p.locator("input[data-field='project']").fill("acme-data-prod");
  assert.equal(await p.locator("[data-problem='project']").count(), 0);

  // A role name of the wrong shape is not added; a good one is, and one default is removed.
  await p.locator("input[data-field='new-role']").fill("bigquery.dataViewer");
  await p.locator("button[data-action='add-role']").click();
  await p.locator("[data-problem='new-role']").getByText("not an IAM role name").waitFor();
  await p.locator("input[data-field='new-role']").fill("roles/bigquery.dataViewer");
  await p.locator("button[data-action='add-role']").click();
  await p.locator("[data-testid='gcp-roles'] li[data-role='roles/bigquery.dataViewer']").waitFor();
  await p.locator("li[data-role='roles/storage.objectCreator'] button[data-action='remove-role']").click();

  // Roles too powerful for a task are the engine's call: the save is refused, naming the field.
  await p.locator("input[data-field='new-role']").fill("roles/owner");
  await p.locator("button[data-action='add-role']").click();
  await p.locator("button[data-action='save-gcp']").click();
  const refused = await p.locator("[data-testid='settings-gcp'] [data-error-code='invalid_input']").textContent();
  assert.match(refused, /Allowed roles: role `roles\/owner` is never granted/);
  assert.equal(await p.evaluate(() => window.__PADDOCK_GCP_SAVES__.length), 0);
  await p.locator("li[data-role='roles/owner'] button[data-action='remove-role']").click();

  // Impersonation instead of a key.
  await p.locator("input[data-field='admin-impersonate']").check();
  await p.locator("input[data-field='service-account']").fill("paddock-admin");
  await p.locator("[data-problem='admin']").getByText("is not a service account email").waitFor();
  await p.locator("input[data-field='service-account']").fill("paddock-admin@acme-data-prod.iam.gserviceaccount.com");
  await p.locator("button[data-action='save-gcp']").click();
  await p.locator("[data-testid='gcp-saved']").waitFor();
  const saved = await p.evaluate(() => window.__PADDOCK_GCP_SAVES__.at(-1));
  assert.deepEqual(saved, {
    project: "acme-data-prod",
    admin: { source: "impersonate", service_account: "paddock-admin@acme-data-prod.iam.gserviceaccount.com" },
    allowed_roles: ["roles/storage.objectViewer", "roles/bigquery.dataViewer"],
    max_token_lifetime_secs: 3600,
  });
  await p.locator("[data-testid='settings-gcp'][data-configured='true']").waitFor();
  await p.screenshot({ path: join(shots, "web-settings-gcp.png"), fullPage: true });
  await p.context().close();
});

test("web: GCP leases and the GCP admin key show on the Credentials screen", async () => {
  const p = await page({ leases: true });
  await p.goto(`${base}#/credentials`);
  const row = p.locator("[data-testid='live-leases'] tr[data-lease$='0c']");
  await row.waitFor();
  const text = await row.textContent();
  assert.match(text, /gcp · service account/);
  assert.match(text, /paddock-0000700080000000000c@acme-data-prod\.iam\.gserviceaccount\.com/);
  assert.match(text, /gcs:read acme-reports\/2026/);
  assert.match(text, /2[45]:\d\d left/);
  const card = await p.locator("[data-testid='gcp-admin']").textContent();
  assert.match(card, /acme-data-prod/);
  assert.match(await p.locator("[data-testid='gcp-admin-email']").textContent(), /paddock-admin@acme-data-prod/);
  await p.screenshot({ path: join(shots, "web-credentials-gcp.png"), fullPage: true });
  await p.locator("[data-testid='gcp-admin'] a").click();
  await p.locator("[data-testid='settings-gcp'][data-configured='true']").waitFor();
  assert.equal(await p.locator("input[data-field='project']").inputValue(), "acme-data-prod");
  await p.context().close();
});

test("web: paging a million events keeps the reader on the rows they were reading", async () => {
  const total = 1_000_000;
  const p = await page({ auditEvents: total, onboarding: { finished: true, step: "done" } });
  await p.goto(`${base}#/audit`);
  await p.locator(".event-scroll [role=row]").first().waitFor();
  // The event at the top of the view after scrolling by `px`, once rendered.
  const scrollBy = (px) =>
    p.evaluate(async (px) => {
      const s = document.querySelector(".event-scroll");
      s.scrollTop += px;
      for (;;) {
        await new Promise((r) => setTimeout(r, 10));
        const at = `translateY(${Math.floor(s.scrollTop / 32) * 32}px)`;
        const row = [...s.querySelectorAll("[role=row]")].find((r) => r.style.transform === at);
        if (row) return Number(row.dataset.seq);
      }
    }, px);
  const height = () => p.evaluate(() => document.querySelector(".event-scroll").scrollHeight);
  let top = total;
  // Down 4,000 rows, ten a step: pages come in below, the oldest of the window
  // are dropped above, and the view never jumps.
  while (top > total - 4000) {
    const now = await scrollBy(320);
    assert.ok(now <= top && top - now <= 10, `scrolling 10 rows down moved the view from #${top} to #${now}`);
    top = now;
  }
  assert.ok((await height()) <= 3200 * 32, "the window of rows stays bounded");
  await p.screenshot({ path: join(shots, "web-audit-deep.png") });
  // Back up: the dropped rows come back above the reader.
  while (top < total) {
    const now = await scrollBy(-320);
    assert.ok(now >= top && now - top <= 10, `scrolling 10 rows up moved the view from #${top} to #${now}`);
    top = now;
  }
  await p.context().close();
});
