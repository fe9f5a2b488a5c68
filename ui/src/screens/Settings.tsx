import type { AppInfo } from "../bindings";
import { ScreenHeader } from "../components/ScreenHeader";

export function Settings({ info }: { info: AppInfo | null }) {
  return (
    <>
      <ScreenHeader title="Settings" lead="How Paddock runs on this machine." />
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
    </>
  );
}
