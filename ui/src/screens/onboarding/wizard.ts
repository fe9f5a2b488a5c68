// The wizard's rules, as pure functions over the saved OnboardingState, so
// they are tested without a window (wizard.test.ts).
import type { BypassWarning, ComparisonRow, FindingCategory, OnboardingState, OnboardingStep, ScanFinding, Severity } from "../../bindings";

export const STEPS: readonly { id: OnboardingStep; title: string; lead: string }[] = [
  { id: "risk", title: "Risk audit", lead: "What an agent can reach today" },
  { id: "bypass", title: "Bypass warnings", lead: "Settings that skip every check" },
  { id: "sandbox", title: "Sandbox", lead: "What isolates agents here" },
  { id: "credentials", title: "Cloud admin key", lead: "Optional: into the OS keyring" },
  { id: "packs", title: "Gate rules", lead: "What the gate blocks" },
  { id: "done", title: "Done", lead: "Your first task" },
];

export const FIRST_RUN: OnboardingState = {
  step: "risk",
  completed: [],
  skipped: [],
  repos: [],
  packs: null,
  finished: false,
  dismissed: false,
  last_screen: null,
};

export function stepIndex(step: OnboardingStep): number {
  return STEPS.findIndex((s) => s.id === step);
}

function nextStep(step: OnboardingStep): OnboardingStep {
  const i = stepIndex(step);
  return STEPS[Math.min(i + 1, STEPS.length - 1)].id;
}

function without(list: OnboardingStep[], step: OnboardingStep): OnboardingStep[] {
  return list.filter((s) => s !== step);
}

/** Marks `step` completed (or skipped) and moves to the next one. Reaching
 * the last step finishes the wizard. */
export function leaveStep(state: OnboardingState, step: OnboardingStep, how: "completed" | "skipped"): OnboardingState {
  const completed = without(state.completed, step);
  const skipped = without(state.skipped, step);
  (how === "completed" ? completed : skipped).push(step);
  const step2 = nextStep(step);
  return { ...state, completed, skipped, step: step2, finished: state.finished || step2 === "done" };
}

export function goTo(state: OnboardingState, step: OnboardingStep): OnboardingState {
  return { ...state, step };
}

/** Closing the wizard early: the app stops opening on it, and it can be
 * resumed from the navigation where it was left. */
export function dismiss(state: OnboardingState): OnboardingState {
  return { ...state, dismissed: true };
}

/** Starting over keeps the repositories and pack choice but forgets progress. */
export function restart(state: OnboardingState): OnboardingState {
  return { ...state, step: "risk", completed: [], skipped: [], finished: false, dismissed: false };
}

export type StepStatus = "current" | "completed" | "skipped" | "todo";

export function stepStatus(state: OnboardingState, step: OnboardingStep): StepStatus {
  if (state.step === step) return "current";
  if (state.completed.includes(step)) return "completed";
  if (state.skipped.includes(step)) return "skipped";
  return "todo";
}

/** Where the app opens: on the wizard until it is finished or dismissed,
 * then on the screen last shown. An explicit route in the URL wins. */
export function startRoute(state: OnboardingState, explicit: string | null): string {
  if (explicit) return explicit;
  if (!state.finished && !state.dismissed) return "onboarding";
  return state.last_screen ?? "onboarding";
}

export function addRepo(state: OnboardingState, path: string): OnboardingState {
  const p = path.trim().replace(/\/+$/, "");
  if (!p || state.repos.includes(p)) return state;
  return { ...state, repos: [...state.repos, p] };
}

export function removeRepo(state: OnboardingState, path: string): OnboardingState {
  return { ...state, repos: state.repos.filter((r) => r !== path) };
}

export const CATEGORY_LABELS: Record<FindingCategory, string> = {
  cloud: "Cloud credentials",
  package_token: "Package registry tokens",
  vcs: "Git and code hosting",
  ssh: "SSH keys and agent",
  gpg: "GPG keys",
  environment: "Environment variables",
  env_file: ".env files in your repositories",
  privilege: "System privileges",
  browser: "Browser profiles",
  password_manager: "Password managers",
  ai_agent: "AI agent configs",
};

const SEVERITY_ORDER: Severity[] = ["critical", "high", "medium", "low", "info"];

export function severityRank(s: Severity): number {
  return SEVERITY_ORDER.indexOf(s);
}

export interface FindingGroup {
  category: FindingCategory;
  label: string;
  worst: Severity;
  findings: ScanFinding[];
}

/** Findings by category, the group with the worst finding first; inside a
 * group, most severe first, then by location. */
export function groupFindings(findings: ScanFinding[]): FindingGroup[] {
  const byCat = new Map<FindingCategory, ScanFinding[]>();
  for (const f of findings) {
    const list = byCat.get(f.category) ?? [];
    list.push(f);
    byCat.set(f.category, list);
  }
  const groups: FindingGroup[] = [...byCat.entries()].map(([category, list]) => {
    const sorted = [...list].sort(
      (a, b) => severityRank(a.severity) - severityRank(b.severity) || a.location.localeCompare(b.location),
    );
    return { category, label: CATEGORY_LABELS[category], worst: sorted[0].severity, findings: sorted };
  });
  return groups.sort((a, b) => severityRank(a.worst) - severityRank(b.worst) || a.label.localeCompare(b.label));
}

export function countBySeverity(findings: ScanFinding[]): { severity: Severity; count: number }[] {
  return SEVERITY_ORDER.map((severity) => ({ severity, count: findings.filter((f) => f.severity === severity).length })).filter(
    (c) => c.count > 0,
  );
}

/** Warnings that need an acknowledgement and do not have one yet. */
export function pendingAcks(warnings: BypassWarning[]): BypassWarning[] {
  return warnings.filter((w) => w.requires_ack && !w.acknowledged_at);
}

export const BYPASS_LABELS: Record<BypassWarning["kind"], string> = {
  claude_bypass_permissions: "Claude Code starts in bypass-permissions mode",
  claude_skip_dangerous_prompt: "Claude Code's bypass-mode warning is switched off",
  shell_dangerous_flag: "A shell alias or script skips every permission check",
  codex_approval_never: "Codex never asks before running a command",
  codex_danger_full_access: "Codex runs without its sandbox",
  production_repo: "Production repository",
  bypass_on_production: "Bypass mode on a production repository",
};

/** Packs chosen so far: every built-in pack until the user says otherwise. */
export function chosenPacks(state: OnboardingState, all: string[]): string[] {
  return state.packs ?? all;
}

/** The built-in packs the person switched off: tasks run without them. */
export function packsOff(state: OnboardingState, all: string[]): string[] {
  const chosen = chosenPacks(state, all);
  return all.filter((p) => !chosen.includes(p));
}

export function togglePack(chosen: string[], id: string, on: boolean, all: string[]): string[] {
  const set = new Set(chosen);
  if (on) set.add(id);
  else set.delete(id);
  return all.filter((p) => set.has(p));
}

/** Single-quotes a path for a POSIX shell when it needs it. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./~+-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/** The outside-vs-inside table in numbers: found outside, taken away, still reachable inside. */
export function comparisonCounts(rows: ComparisonRow[]): { outside: number; removed: number; reachable: number; replaced: number } {
  const outside = rows.filter((r) => r.outside !== null).length;
  const removed = rows.filter((r) => r.status === "removed").length;
  const replaced = rows.filter((r) => r.status === "replaced").length;
  const reachable = rows.filter((r) => r.status === "still_reachable" || r.status === "only_inside").length;
  return { outside, removed, reachable, replaced };
}
