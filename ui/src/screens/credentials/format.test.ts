import { describe, expect, test } from "vitest";
import type { Lease } from "../../bindings";
import { countdown, expiryText, isLive, providerLabel, relative, splitLeases, stateLabel } from "./format";

const NOW = Date.parse("2026-11-23T10:00:00Z");

function lease(over: Partial<Lease>): Lease {
  return {
    id: "0190a1b2-0000-7000-8000-000000000001",
    task: "fix-flaky-test",
    provider: "aws",
    mode: "iam_user",
    state: "active",
    failure: null,
    principal: "arn:aws:iam::123456789012:user/paddock/paddock-0190a1b2",
    scope: ["s3:read reports/2026"],
    created_at: "2026-11-23T09:30:00Z",
    expires_at: "2026-11-23T10:41:07Z",
    revoked_at: null,
    cleanup_after: null,
    attempts: 0,
    next_attempt_at: null,
    last_error: null,
    history: [],
    ...over,
  };
}

describe("relative times", () => {
  const cases: [string, string][] = [
    ["2026-11-23T10:00:03Z", "just now"],
    ["2026-11-23T10:00:30Z", "in 30 s"],
    ["2026-11-23T10:41:07Z", "in 41 min"],
    ["2026-11-23T07:55:00Z", "2 h 5 min ago"],
    ["2026-11-23T08:00:00Z", "2 h ago"],
    ["2026-11-20T10:00:00Z", "3 days ago"],
    ["not a time", "not a time"],
  ];
  for (const [ts, want] of cases) {
    test(`${ts} → ${want}`, () => expect(relative(ts, NOW)).toBe(want));
  }
});

describe("expiry", () => {
  test("a live lease counts down; past its expiry it says the reaper revokes it", () => {
    expect(expiryText(lease({}), NOW)).toBe("expires in 41 min");
    expect(countdown("2026-11-23T10:41:07Z", NOW)).toBe("41:07");
    expect(countdown("2026-11-23T12:00:05Z", NOW)).toBe("2:00:05");
    expect(countdown("2026-11-23T09:59:00Z", NOW)).toBeNull();
    expect(expiryText(lease({ expires_at: "2026-11-23T09:50:00Z" }), NOW)).toBe("expired 10 min ago; the reaper revokes it");
  });
  test("a revoked lease says when it would have expired, not a countdown", () => {
    expect(expiryText(lease({ state: "revoked" }), NOW)).toBe("was due to expire in 41 min");
  });
});

describe("lists and labels", () => {
  test("live leases first, soonest expiry first; history newest first", () => {
    const { live, history } = splitLeases([
      lease({ id: "a", state: "revoked", created_at: "2026-11-22T01:00:00Z" }),
      lease({ id: "b", expires_at: "2026-11-23T11:00:00Z" }),
      lease({ id: "c", state: "revoking", expires_at: "2026-11-23T10:05:00Z" }),
      lease({ id: "d", state: "failed", created_at: "2026-11-23T01:00:00Z" }),
    ]);
    expect(live.map((l) => l.id)).toEqual(["c", "b"]);
    expect(history.map((l) => l.id)).toEqual(["d", "a"]);
    expect(isLive("provisioning")).toBe(true);
    expect(isLive("failed")).toBe(false);
  });
  test("labels", () => {
    expect(providerLabel(lease({}))).toBe("aws · IAM user");
    expect(providerLabel(lease({ mode: "assumed_role" }))).toBe("aws · assumed role");
    expect(stateLabel(lease({ state: "revoking", attempts: 2 }))).toBe("revoking (attempt 3 pending)");
  });
});
