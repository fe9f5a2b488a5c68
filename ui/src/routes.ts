// The six areas of the app, in navigation order. The hash (#/audit) is the
// route, so a link, a reload or a test can open any screen directly.
export const ROUTES = [
  { id: "onboarding", label: "Onboarding", hint: "What an agent could reach here" },
  { id: "tasks", label: "Tasks", hint: "Agents at work" },
  { id: "credentials", label: "Credentials", hint: "Short-lived cloud access" },
  { id: "approvals", label: "Approvals", hint: "Waiting for you" },
  { id: "audit", label: "Audit", hint: "Everything that happened" },
  { id: "settings", label: "Settings", hint: "" },
] as const;

export type RouteId = (typeof ROUTES)[number]["id"];

export function routeFromHash(hash: string): RouteId {
  const id = hash.replace(/^#\/?/, "").split("/")[0];
  return ROUTES.find((r) => r.id === id)?.id ?? "onboarding";
}

/** The part after the screen, `gcp` in `#/settings/gcp` (a tab to open), or null. */
export function subRouteFromHash(hash: string): string | null {
  return hash.replace(/^#\/?/, "").split("/")[1] || null;
}
