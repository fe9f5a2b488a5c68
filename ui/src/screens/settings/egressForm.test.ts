import { describe, expect, test } from "vitest";
import type { EgressPolicy } from "../../bindings";
import { emptyRule, emptyService, fromDraft, hostProblem, parsePorts, problems, splitHosts, toDraft } from "./egressForm";

describe("host patterns", () => {
  const cases: [string, string | null][] = [
    ["registry.npmjs.org", null],
    ["*.githubusercontent.com", null],
    ["*.com", null],
    ["my_service.internal", null],
    ["10.0.0.7", null],
    ["[::1]", null],
    ["api.*.com", "only allowed as a leading"],
    ["*", "only allowed as a leading"],
    ["*.", "a wildcard must be"],
    ["https://pypi.org", "without scheme or path"],
    ["pypi.org/simple", "without scheme or path"],
    ["::1", "in brackets"],
    ["pypi.org:443", "in brackets"],
    ["bad..name", "is not a host name"],
    ["ünicode.example", "is not a host name"],
  ];
  for (const [host, want] of cases) {
    test(`${host}`, () => {
      const got = hostProblem(host);
      if (want === null) expect(got).toBeNull();
      else expect(got).toContain(want);
    });
  }
  test("hosts split on commas, spaces and new lines, lower-cased", () => {
    expect(splitHosts(" PyPI.org,files.pythonhosted.org\n crates.io ,, ")).toEqual(["pypi.org", "files.pythonhosted.org", "crates.io"]);
  });
});

describe("ports", () => {
  test("blank is the default; numbers 1–65535", () => {
    expect(parsePorts("")).toEqual({ ports: null, problem: null });
    expect(parsePorts("443, 8443")).toEqual({ ports: [443, 8443], problem: null });
    expect(parsePorts("0").problem).toContain("not a port");
    expect(parsePorts("65536").problem).toContain("not a port");
    expect(parsePorts("https").problem).toContain("not a port");
    expect(parsePorts("44.3").problem).toContain("not a port");
  });
});

const POLICY: EgressPolicy = {
  allow: [{ id: "npm", hosts: ["registry.npmjs.org"], ports: [443], reason: null, private: false }],
  deny: [{ id: "no-telemetry", hosts: ["*.sentry.io"], ports: null, reason: "Telemetry is off.", private: false }],
  services: [{ name: "anthropic", kind: "anthropic", secret: "anthropic-api-key", upstream: null, header: null, value: null, private: false }],
};

describe("the whole form", () => {
  test("a policy round-trips through the form unchanged", () => {
    const d = toDraft(POLICY);
    expect(problems(d)).toEqual({});
    expect(fromDraft(d)).toEqual(POLICY);
  });

  test("each mistake is reported on its field", () => {
    const d = toDraft(POLICY);
    d.allow.push({ ...emptyRule("allow"), id: "npm", hosts: "api.*.com", ports: "70000" });
    d.deny.push({ ...emptyRule("deny"), id: "", hosts: "" });
    d.services.push({ ...emptyService(), name: "my svc", kind: "custom", secret: "", upstream: "http://x.example", value: "Bearer" });
    const p = problems(d);
    expect(p["allow.0.id"]).toContain('two rules are named "npm"');
    expect(p["allow.1.id"]).toContain('two rules are named "npm"');
    expect(p["allow.1.hosts"]).toContain("only allowed as a leading");
    expect(p["allow.1.ports"]).toContain("not a port");
    expect(p["deny.1.id"]).toBe("every rule needs a name");
    expect(p["deny.1.hosts"]).toBe("list at least one host");
    expect(p["services.1.name"]).toContain("part of a URL");
    expect(p["services.1.secret"]).toContain("keyring entry");
    expect(p["services.1.header"]).toContain("header");
    expect(p["services.1.upstream"]).toContain("only ever injected over https://");
    expect(p["services.1.value"]).toContain("{secret}");
    expect(Object.keys(p).length).toBe(11);
  });

  test("a new allow rule defaults to 443 and a deny rule to every port", () => {
    expect(emptyRule("allow").ports).toBe("443");
    expect(emptyRule("deny").ports).toBe("");
  });
});
