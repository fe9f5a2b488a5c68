import { afterEach, describe, expect, it } from "vitest";
import { call, stream, toWireError } from "./ipc";

afterEach(() => {
  delete window.__PADDOCK_IPC__;
});

describe("ipc", () => {
  it("passes a WireError through unchanged", () => {
    const e = { code: "not_found", message: "no task 42" };
    expect(toWireError(e)).toEqual(e);
  });

  it("turns anything else into an internal WireError", () => {
    expect(toWireError(new Error("boom"))).toEqual({ code: "internal", message: "boom" });
    expect(toWireError("plain")).toEqual({ code: "internal", message: "plain" });
    expect(toWireError({ code: "made_up", message: "x" }).code).toBe("internal");
  });

  it("fails with `unavailable` when no engine is reachable", async () => {
    await expect(call("app_info")).rejects.toMatchObject({ code: "unavailable" });
  });

  it("uses an installed browser backend and normalizes its errors", async () => {
    window.__PADDOCK_IPC__ = {
      invoke: async (cmd) => {
        if (cmd === "app_info") return { version: "9.9.9" };
        throw { code: "invalid_input", message: `unknown command ${cmd}` };
      },
      stream: async (_cmd, _args, onEvent) => {
        onEvent({ event: "started", total: 1 });
        onEvent({ event: "finished", ok: 1, warn: 0, missing: 0 });
      },
    };
    await expect(call("app_info")).resolves.toEqual({ version: "9.9.9" });
    await expect(call("nope")).rejects.toEqual({ code: "invalid_input", message: "unknown command nope" });
    const seen: unknown[] = [];
    await stream("run_system_check", {}, (e) => seen.push(e));
    expect(seen).toHaveLength(2);
  });
});
