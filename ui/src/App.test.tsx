import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { App } from "./App";
import { resetOnboardingStore } from "./onboardingStore";
import type { OnboardingState } from "./bindings";

beforeEach(() => resetOnboardingStore());

afterEach(() => {
  cleanup();
  delete window.__PADDOCK_IPC__;
  window.location.hash = "";
});

function install(opts: { unsandboxed?: boolean; onboarding?: Partial<OnboardingState> } = {}) {
  const saved: OnboardingState[] = [];
  let current: OnboardingState = {
    step: "risk",
    completed: [],
    skipped: [],
    repos: [],
    packs: null,
    finished: false,
    dismissed: false,
    last_screen: null,
    ...opts.onboarding,
  };
  window.__PADDOCK_IPC__ = {
    invoke: async (cmd, args) => {
      switch (cmd) {
        case "app_info":
          return { version: "0.1.0", platform: "linux", data_dir: "/tmp/p", unsandboxed_allowed: !!opts.unsandboxed };
        case "onboarding_state":
          return current;
        case "onboarding_save":
          current = args.onboarding as OnboardingState;
          saved.push(current);
          return current;
        case "scan_info":
          return { risk_rules: "rules", audit_prompt: "prompt", audit_prompt_note: "note", home: "/home/dev", home_overridden: false };
        default:
          throw { code: "unavailable", message: `not scripted: ${cmd}` };
      }
    },
    stream: async (cmd, _a, onEvent) => {
      if (cmd === "scan_run") {
        onEvent({ event: "check_started", check: "cloud credentials" });
        return { findings: [], risk: "low", reasons: ["Nothing found."], notes: [], scanned_at: null };
      }
      onEvent({ event: "started", total: 2 });
      onEvent({ event: "checked", index: 0, result: { id: "git", title: "git", status: "ok", detail: "git version 2", fix: null } });
      onEvent({
        event: "checked",
        index: 1,
        result: { id: "bubblewrap", title: "bubblewrap", status: "missing", detail: "not on PATH", fix: "sudo apt-get install bubblewrap" },
      });
      onEvent({ event: "finished", ok: 1, warn: 0, missing: 1 });
    },
  };
  return saved;
}

describe("App", () => {
  it("opens on the walkthrough at first start and runs the audit", async () => {
    install();
    render(<App />);
    expect(await screen.findByText("Nothing found.")).toBeTruthy();
    expect(document.querySelector("main")?.getAttribute("data-screen")).toBe("onboarding");
    expect(document.querySelector("[data-testid='risk-level']")?.getAttribute("data-level")).toBe("low");
  });

  it("reopens on the last screen once the walkthrough is finished", async () => {
    install({ onboarding: { finished: true, step: "done", last_screen: "audit" } });
    render(<App />);
    await act(async () => {
      await new Promise((r) => setTimeout(r, 0));
    });
    expect(window.location.hash).toBe("#/audit");
  });

  it("resumes at the saved step and streams the system check there, with the fix", async () => {
    const saved = install({ onboarding: { step: "sandbox", completed: ["risk", "bypass"] } });
    render(<App />);
    // The check runs on arrival at the step.
    expect(await screen.findByText("git version 2")).toBeTruthy();
    expect(await screen.findByRole("button", { name: "Check again" })).toBeTruthy();
    expect(screen.getByText("sudo apt-get install bubblewrap")).toBeTruthy();
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Skip for now" }));
    });
    const last = saved[saved.length - 1];
    expect(last.step).toBe("credentials");
    expect(last.skipped).toEqual(["sandbox"]);
  });

  it("warns loudly when the sandbox is switched off", async () => {
    install({ unsandboxed: true });
    render(<App />);
    expect((await screen.findAllByRole("alert"))[0]).toHaveProperty("textContent", expect.stringContaining("Sandbox is off"));
  });

  it("shows an error, not a blank screen, when the engine is unreachable", async () => {
    render(<App />);
    const alert = (await screen.findAllByRole("alert"))[0];
    expect(alert.getAttribute("data-error-code")).toBe("unavailable");
  });
});
