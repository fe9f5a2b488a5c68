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

function fakeBackend({ unsandboxed }) {
  window.__PADDOCK_IPC__ = {
    invoke: async (cmd) => {
      switch (cmd) {
        case "app_info":
          return { version: "0.1.0", platform: "linux", data_dir: "/home/dev/.local/share/paddock", unsandboxed_allowed: unsandboxed };
        // An empty audit trail: the window test (tests/audit_screen.rs) covers a full one.
        case "audit_query":
          return { events: [], has_older: false, has_newer: false };
        case "audit_counts":
          return { total: 0, by_kind: [], by_outcome: [] };
        case "audit_tasks":
          return [];
        case "audit_verify":
          return { ok: true, events: 0, head_seq: 0, checkpoints_verified: 0, sealed_through: 0, first_broken: null, problems: [], checked_at: "2026-11-23T02:00:00Z" };
        default:
          throw { code: "invalid_input", message: `unknown command ${cmd}` };
      }
    },
    stream: async (_cmd, _args, onEvent) => {
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
  if (opts.backend !== false) await p.addInitScript(fakeBackend, { unsandboxed: !!opts.unsandboxed });
  return p;
}

for (const [id, heading, phrase] of [
  ["onboarding", "Onboarding", "The first-run walkthrough"],
  ["tasks", "Tasks", "No tasks yet"],
  ["credentials", "Credentials", "No live leases"],
  ["approvals", "Approvals", "Nothing is waiting for you"],
  ["audit", "Audit", "No events recorded yet"],
  ["settings", "Settings", "/home/dev/.local/share/paddock"],
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

test("web: system check lists what is missing with the fix", async () => {
  const p = await page({ colorScheme: "dark" });
  await p.goto(base);
  await p.getByRole("button", { name: "Check this machine" }).click();
  await p.getByText("sudo apt-get install bubblewrap").waitFor();
  assert.equal(await p.locator("[data-check='bubblewrap']").getAttribute("data-status"), "missing");
  const bg = await p.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, "rgb(21, 25, 24)");
  await p.screenshot({ path: join(shots, "web-onboarding-check-dark.png") });
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
