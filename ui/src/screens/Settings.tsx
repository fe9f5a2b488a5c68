import { useState } from "react";
import type { AppInfo } from "../bindings";
import { ScreenHeader } from "../components/ScreenHeader";
import { EgressEditor } from "./settings/EgressEditor";
import { Integrations } from "./settings/Integrations";
import { GcpSettings } from "./settings/GcpSettings";
import { subRouteFromHash } from "../routes";

const TABS = [
  { id: "network", label: "Network" },
  { id: "integrations", label: "Integrations" },
  { id: "gcp", label: "Google Cloud" },
  { id: "about", label: "About" },
] as const;
type Tab = (typeof TABS)[number]["id"];

export function Settings({ info }: { info: AppInfo | null }) {
  const [tab, setTab] = useState<Tab>(() => {
    const sub = subRouteFromHash(window.location.hash);
    return TABS.find((t) => t.id === sub)?.id ?? "network";
  });
  return (
    <div className="settings-screen" data-tab={tab}>
      <ScreenHeader title="Settings" lead="How Paddock runs on this machine: what tasks may reach, who may propose them, and where things live." />
      <div className="tabs settings-tabs" role="tablist">
        {TABS.map((t) => (
          <button key={t.id} role="tab" aria-selected={tab === t.id} onClick={() => setTab(t.id)} data-tab-link={t.id}>
            {t.label}
          </button>
        ))}
      </div>
      {tab === "network" && <EgressEditor />}
      {tab === "integrations" && <Integrations />}
      {tab === "gcp" && <GcpSettings />}
      {tab === "about" && <About info={info} />}
    </div>
  );
}

function About({ info }: { info: AppInfo | null }) {
  return (
    <section className="card">
      <h2>About</h2>
      <dl className="facts" data-testid="app-info">
        <dt>Version</dt>
        <dd>{info?.version ?? "…"}</dd>
        <dt>Platform</dt>
        <dd>{info?.platform ?? "…"}</dd>
        <dt>Data directory</dt>
        <dd>
          <code>{info?.data_dir ?? "…"}</code>
        </dd>
        <dt>Sandbox</dt>
        <dd>{info ? (info.unsandboxed_allowed ? "OFF (PADDOCK_ALLOW_UNSANDBOXED=1)" : "Required for every task") : "…"}</dd>
        <dt>Theme</dt>
        <dd>Follows your system's light or dark setting</dd>
      </dl>
    </section>
  );
}
