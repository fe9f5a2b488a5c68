import { afterEach, describe, expect, it } from "vitest";
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { App } from "./App";

afterEach(() => {
  cleanup();
  delete window.__PADDOCK_IPC__;
  window.location.hash = "";
});

function install(unsandboxed = false) {
  window.__PADDOCK_IPC__ = {
    invoke: async () => ({ version: "0.1.0", platform: "linux", data_dir: "/tmp/p", unsandboxed_allowed: unsandboxed }),
    stream: async (_c, _a, onEvent) => {
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
}

describe("App", () => {
  it("streams system check results and shows the fix for what is missing", async () => {
    install();
    render(<App />);
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Check this machine" }));
    });
    expect(await screen.findByText("git version 2")).toBeTruthy();
    expect(screen.getByText("sudo apt-get install bubblewrap")).toBeTruthy();
    expect(screen.getByText("Check again")).toBeTruthy();
  });

  it("warns loudly when the sandbox is switched off", async () => {
    install(true);
    render(<App />);
    expect(await screen.findByRole("alert")).toHaveProperty("textContent", expect.stringContaining("Sandbox is off"));
  });

  it("shows an error, not a blank screen, when the engine is unreachable", async () => {
    render(<App />);
    const alert = await screen.findByRole("alert");
    expect(alert.getAttribute("data-error-code")).toBe("unavailable");
  });
});
