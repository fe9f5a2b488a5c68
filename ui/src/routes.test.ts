import { describe, expect, it } from "vitest";
import { ROUTES, routeFromHash } from "./routes";

describe("routes", () => {
  it("has the five areas plus settings, in order", () => {
    expect(ROUTES.map((r) => r.label)).toEqual([
      "Onboarding",
      "Tasks",
      "Credentials",
      "Approvals",
      "Audit",
      "Settings",
    ]);
  });

  it.each([
    ["#/audit", "audit"],
    ["#audit", "audit"],
    ["", "onboarding"],
    ["#/nonsense", "onboarding"],
  ])("routes %s to %s", (hash, id) => {
    expect(routeFromHash(hash)).toBe(id);
  });
});
