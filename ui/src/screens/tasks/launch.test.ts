import { describe, expect, it } from "vitest";
import { EMPTY_FORM, checkLaunch, type LaunchForm } from "./launch";

const good: LaunchForm = { ...EMPTY_FORM, repo: "/home/dev/shop", prompt: "fix the flaky test" };

describe("checkLaunch", () => {
  const cases: { name: string; form: LaunchForm; field?: keyof LaunchForm; hosts?: string[]; ttl?: number }[] = [
    { name: "a minimal good form", form: good, ttl: 3600, hosts: [] },
    { name: "hosts split, lower-cased, deduplicated", form: { ...good, hosts: "Crates.io, *.npmjs.org\ncrates.io" }, hosts: ["crates.io", "*.npmjs.org"] },
    { name: "host with a port", form: { ...good, hosts: "localhost:8080" }, hosts: ["localhost:8080"] },
    { name: "empty repo", form: { ...good, repo: "  " }, field: "repo" },
    { name: "relative repo", form: { ...good, repo: "shop" }, field: "repo" },
    { name: "empty prompt", form: { ...good, prompt: "\n" }, field: "prompt" },
    { name: "a URL is not a host", form: { ...good, hosts: "https://example.com/x" }, field: "hosts" },
    { name: "wildcard in the middle", form: { ...good, hosts: "api.*.com" }, field: "hosts" },
    { name: "zero minutes", form: { ...good, ttlMinutes: "0" }, field: "ttlMinutes" },
    { name: "fractional minutes", form: { ...good, ttlMinutes: "1.5" }, field: "ttlMinutes" },
    { name: "over a day", form: { ...good, ttlMinutes: "1441" }, field: "ttlMinutes" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = checkLaunch(c.form);
      if (c.field) {
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.errors[c.field], JSON.stringify(r.errors)).toBeTruthy();
      } else {
        expect(r.ok, JSON.stringify(r)).toBe(true);
        if (r.ok && c.hosts) expect(r.launch.allow_hosts).toEqual(c.hosts);
        if (r.ok && c.ttl) expect(r.launch.ttl_secs).toBe(c.ttl);
      }
    });
  }

  it("never marks a plain command as bypass mode", () => {
    const r = checkLaunch({ ...good, agent: "cmd", prompt: "cargo test", bypass: true });
    expect(r.ok && r.launch.bypass).toBe(false);
    const c = checkLaunch({ ...good, agent: "claude", bypass: true });
    expect(c.ok && c.launch.bypass).toBe(true);
  });

  it("keeps one grant per line, without blanks", () => {
    const r = checkLaunch({ ...good, grants: "s3:read data/reports\n\n  dynamodb:read Orders  \n" });
    expect(r.ok && r.launch.grants).toEqual(["s3:read data/reports", "dynamodb:read Orders"]);
  });
  it("sends the chosen tool caches in a fixed order, and none by default", () => {
    const none = checkLaunch(good);
    expect(none.ok && none.launch.tool_caches).toEqual([]);
    const some = checkLaunch({ ...good, toolCaches: ["npm", "cargo"] });
    expect(some.ok && some.launch.tool_caches).toEqual(["cargo", "npm"]);
  });
});
