import { useState } from "react";
import type { CheckResult, WireError } from "../bindings";
import { api } from "../api";
import { ScreenHeader } from "../components/ScreenHeader";
import { ErrorNote } from "../components/ErrorNote";

const STEPS = [
  "Risk audit: the credentials, sockets and privileges an agent could reach on this machine today",
  "Bypass-mode warnings to acknowledge",
  "Sandbox backend: what isolates agents here",
  "Cloud admin credentials into the OS keyring (optional)",
  "Gate rule packs",
  "Your first task",
];

type Progress = { total: number; results: CheckResult[]; done: boolean };

export function Onboarding() {
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<WireError | null>(null);
  const running = progress !== null && !progress.done;

  const runCheck = async () => {
    setError(null);
    setProgress({ total: 0, results: [], done: false });
    try {
      await api.runSystemCheck((e) => {
        setProgress((p) => {
          const cur = p ?? { total: 0, results: [], done: false };
          switch (e.event) {
            case "started":
              return { total: e.total, results: [], done: false };
            case "checked":
              return { ...cur, results: [...cur.results, e.result] };
            case "finished":
              return { ...cur, done: true };
          }
        });
      });
    } catch (err) {
      setError(err as WireError);
      setProgress((p) => (p ? { ...p, done: true } : p));
    }
  };

  return (
    <>
      <ScreenHeader
        title="Onboarding"
        lead="Before an agent runs unattended, see what it could reach on this machine and what Paddock takes away."
        actions={
          <button className="primary" onClick={runCheck} disabled={running} data-action="run-system-check">
            {running ? "Checking…" : progress ? "Check again" : "Check this machine"}
          </button>
        }
      />
      {error && <ErrorNote error={error} />}
      <section className="card">
        <h2>System check</h2>
        {!progress && (
          <p className="muted">
            Paddock needs git for task worktrees and a sandbox backend (bubblewrap on Linux) to isolate agents.
            Without a working sandbox no task runs. Press <em>Check this machine</em> to test each tool for real.
          </p>
        )}
        {progress && (
          <>
            <progress
              max={Math.max(progress.total, 1)}
              value={progress.results.length}
              aria-label="System check progress"
            />
            <ul className="checks" data-testid="check-results">
              {progress.results.map((r) => (
                <li key={r.id} className={`check ${r.status}`} data-check={r.id} data-status={r.status}>
                  <span className="pill">{r.status === "ok" ? "ok" : r.status === "warn" ? "optional" : "missing"}</span>
                  <span className="check-title">{r.title}</span>
                  <span className="check-detail">{r.detail}</span>
                  {r.fix && r.status !== "ok" && (
                    <code className="check-fix" title="Run this to fix it">
                      {r.fix}
                    </code>
                  )}
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
      <section className="card">
        <h2>The first-run walkthrough</h2>
        <ol className="steps">
          {STEPS.map((s) => (
            <li key={s}>{s}</li>
          ))}
        </ol>
      </section>
    </>
  );
}
