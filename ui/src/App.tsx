import { useEffect, useState } from "react";
import type { AppInfo, WireError } from "./bindings";
import { api } from "./api";
import { ROUTES, type RouteId, routeFromHash } from "./routes";
import { Onboarding } from "./screens/Onboarding";
import { Tasks } from "./screens/Tasks";
import { Credentials } from "./screens/Credentials";
import { Approvals } from "./screens/Approvals";
import { Audit } from "./screens/Audit";
import { Settings } from "./screens/Settings";
import { ErrorNote } from "./components/ErrorNote";
import { loadOnboarding, updateOnboarding } from "./onboardingStore";
import { startRoute } from "./screens/onboarding/wizard";

function useRoute(): RouteId {
  const [route, setRoute] = useState<RouteId>(() => routeFromHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(routeFromHash(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

/** Opens on the walkthrough until it is finished or closed, else on the
 * screen last shown (a route in the URL wins), and remembers each screen. */
function useStartAndLastScreen(route: RouteId) {
  const [ready, setReady] = useState(false);
  useEffect(() => {
    const explicit = window.location.hash.replace(/^#\/?/, "") ? route : null;
    void loadOnboarding().then((state) => {
      const target = routeFromHash(`#/${startRoute(state, explicit)}`);
      if (target !== route) window.location.hash = `#/${target}`;
      setReady(true);
    });
    // Once, at start.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  useEffect(() => {
    if (ready) void updateOnboarding((s) => (s.last_screen === route ? s : { ...s, last_screen: route }));
  }, [ready, route]);
}

export function App() {
  const route = useRoute();
  useStartAndLastScreen(route);
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [error, setError] = useState<WireError | null>(null);

  useEffect(() => {
    api.appInfo().then(setInfo, setError);
  }, []);

  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span>Paddock</span>
        </div>
        <ul>
          {ROUTES.map((r) => (
            <li key={r.id}>
              <a
                href={`#/${r.id}`}
                data-nav={r.id}
                className={r.id === route ? "active" : undefined}
                aria-current={r.id === route ? "page" : undefined}
              >
                <span className="nav-label">{r.label}</span>
                {r.hint && <span className="nav-hint">{r.hint}</span>}
              </a>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">{info ? `v${info.version} · ${info.platform}` : ""}</div>
      </nav>
      <main className="content" data-screen={route}>
        {info?.unsandboxed_allowed && (
          <div className="banner danger" role="alert">
            <strong>Sandbox is off.</strong> PADDOCK_ALLOW_UNSANDBOXED=1 is set: agents run with your full
            access, and every such run is logged as a warning in the audit trail. Unset it to restore isolation.
          </div>
        )}
        {error && <ErrorNote error={error} />}
        <Screen route={route} info={info} />
      </main>
    </div>
  );
}

function Screen({ route, info }: { route: RouteId; info: AppInfo | null }) {
  switch (route) {
    case "onboarding":
      return <Onboarding />;
    case "tasks":
      return <Tasks />;
    case "credentials":
      return <Credentials />;
    case "approvals":
      return <Approvals />;
    case "audit":
      return <Audit />;
    case "settings":
      return <Settings info={info} />;
  }
}
