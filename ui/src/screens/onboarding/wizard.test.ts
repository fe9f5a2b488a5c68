import { describe, expect, it } from "vitest";
import type { BypassWarning, ScanFinding } from "../../bindings";
import {
  FIRST_RUN,
  STEPS,
  addRepo,
  chosenPacks,
  packsOff,
  comparisonCounts,
  dismiss,
  goTo,
  groupFindings,
  leaveStep,
  pendingAcks,
  removeRepo,
  restart,
  shellQuote,
  startRoute,
  stepStatus,
  togglePack,
} from "./wizard";

function finding(id: string, category: ScanFinding["category"], severity: ScanFinding["severity"], location = id): ScanFinding {
  return {
    id,
    category,
    kind: id,
    location,
    fingerprint: null,
    age: null,
    age_seconds: null,
    severity,
    explanation: "",
    paddock_mitigation: "",
  };
}

describe("wizard state", () => {
  it("has the six steps of the issue, in order", () => {
    expect(STEPS.map((s) => s.id)).toEqual(["risk", "bypass", "sandbox", "credentials", "packs", "done"]);
  });

  it("moves on when a step is completed or skipped and records which", () => {
    let s = leaveStep(FIRST_RUN, "risk", "completed");
    expect(s.step).toBe("bypass");
    s = leaveStep(s, "bypass", "skipped");
    expect(s.step).toBe("sandbox");
    expect(s.completed).toEqual(["risk"]);
    expect(s.skipped).toEqual(["bypass"]);
    expect(stepStatus(s, "risk")).toBe("completed");
    expect(stepStatus(s, "bypass")).toBe("skipped");
    expect(stepStatus(s, "sandbox")).toBe("current");
    expect(stepStatus(s, "packs")).toBe("todo");
    expect(s.finished).toBe(false);
  });

  it("a step done after being skipped counts as done, once", () => {
    let s = leaveStep(FIRST_RUN, "risk", "skipped");
    s = goTo(s, "risk");
    s = leaveStep(s, "risk", "completed");
    expect(s.skipped).toEqual([]);
    expect(s.completed).toEqual(["risk"]);
  });

  it("finishes on reaching the last step, whatever was skipped", () => {
    let s = FIRST_RUN;
    for (const step of STEPS.slice(0, -1)) s = leaveStep(s, step.id, "skipped");
    expect(s.step).toBe("done");
    expect(s.finished).toBe(true);
  });

  it("opens on the wizard until it is finished or dismissed, then on the last screen", () => {
    expect(startRoute(FIRST_RUN, null)).toBe("onboarding");
    expect(startRoute({ ...FIRST_RUN, last_screen: "audit" }, null)).toBe("onboarding");
    expect(startRoute(dismiss({ ...FIRST_RUN, last_screen: "audit" }), null)).toBe("audit");
    expect(startRoute({ ...FIRST_RUN, finished: true, last_screen: "tasks" }, null)).toBe("tasks");
    expect(startRoute({ ...FIRST_RUN, finished: true, last_screen: null }, null)).toBe("onboarding");
    expect(startRoute(FIRST_RUN, "settings")).toBe("settings");
  });

  it("starting over forgets progress but keeps repositories and packs", () => {
    const s = restart({ ...FIRST_RUN, step: "done", completed: ["risk"], finished: true, repos: ["/r"], packs: ["disk"] });
    expect(s.step).toBe("risk");
    expect(s.completed).toEqual([]);
    expect(s.finished).toBe(false);
    expect(s.repos).toEqual(["/r"]);
    expect(s.packs).toEqual(["disk"]);
  });

  it("adds repositories once, trimmed, and removes them", () => {
    let s = addRepo(FIRST_RUN, "  /src/shop/ ");
    s = addRepo(s, "/src/shop");
    expect(s.repos).toEqual(["/src/shop"]);
    expect(addRepo(s, "   ")).toBe(s);
    expect(removeRepo(s, "/src/shop").repos).toEqual([]);
  });

  it("every pack is on until the user chooses, and toggling keeps pack order", () => {
    const all = ["destructive-fs", "git-history", "secrets"];
    expect(chosenPacks(FIRST_RUN, all)).toEqual(all);
    const off = togglePack(all, "git-history", false, all);
    expect(off).toEqual(["destructive-fs", "secrets"]);
    expect(togglePack(off, "git-history", true, all)).toEqual(all);
    expect(chosenPacks({ ...FIRST_RUN, packs: [] }, all)).toEqual([]);
    expect(packsOff(FIRST_RUN, all)).toEqual([]);
    expect(packsOff({ ...FIRST_RUN, packs: off }, all)).toEqual(["git-history"]);
  });
});

describe("the first-task command", () => {
  it("quotes a repository path only when the shell needs it", () => {
    expect(shellQuote("/home/dev/src/shop")).toBe("/home/dev/src/shop");
    expect(shellQuote("/home/dev/My Projects/shop")).toBe("'/home/dev/My Projects/shop'");
    expect(shellQuote("/tmp/it's")).toBe("'/tmp/it'\\''s'");
  });
});

describe("findings and warnings", () => {
  it("groups findings by category, worst group first, worst finding first", () => {
    const groups = groupFindings([
      finding("npm", "package_token", "high"),
      finding("ssh-enc", "ssh", "low"),
      finding("aws", "cloud", "critical"),
      finding("ssh-plain", "ssh", "high"),
    ]);
    expect(groups.map((g) => g.category)).toEqual(["cloud", "package_token", "ssh"]);
    expect(groups[2].findings.map((f) => f.id)).toEqual(["ssh-plain", "ssh-enc"]);
    expect(groups[2].worst).toBe("high");
    expect(groups[0].label).toBe("Cloud credentials");
  });

  it("only unacknowledged warnings that need it are pending", () => {
    const w = (id: string, requires_ack: boolean, acknowledged_at: string | null): BypassWarning => ({
      id,
      kind: "bypass_on_production",
      location: "",
      repo: "/r",
      explanation: "",
      paddock_instead: "",
      requires_ack,
      acknowledged_at,
    });
    expect(pendingAcks([w("a", true, null), w("b", true, "2026-11-23T10:00:00Z"), w("c", false, null)]).map((x) => x.id)).toEqual([
      "a",
    ]);
  });
});

describe("outside vs inside", () => {
  it("counts what was found outside, taken away, and still reachable", () => {
    const row = (id: string, outside: ScanFinding["severity"] | null, inside: ScanFinding["severity"] | null, status: "removed" | "still_reachable" | "replaced" | "only_inside") => ({
      id, category: "cloud" as const, kind: id, location: id, outside, inside, status,
    });
    expect(comparisonCounts([row("a", "critical", null, "removed"), row("b", "high", null, "removed")])).toEqual({ outside: 2, removed: 2, reachable: 0, replaced: 0 });
    expect(
      comparisonCounts([row("a", "critical", "critical", "still_reachable"), row("b", "high", "high", "replaced"), row("c", null, "low", "only_inside")]),
    ).toEqual({ outside: 2, removed: 0, reachable: 2, replaced: 1 });
  });
});
