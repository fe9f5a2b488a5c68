import { describe, expect, it } from "vitest";
import { ROUTES, routeFromHash, subRouteFromHash } from "./routes";

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
    ["#/settings/gcp", "settings"],
  ])("routes %s to %s", (hash, id) => {
    expect(routeFromHash(hash)).toBe(id);
  });

  it("reads the tab after the screen", () => {
    expect(subRouteFromHash("#/settings/gcp")).toBe("gcp");
    expect(subRouteFromHash("#/settings")).toBeNull();
  });
});
