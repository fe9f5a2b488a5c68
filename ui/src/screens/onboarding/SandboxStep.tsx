import { useEffect, useRef, useState } from "react";
import type { CheckResult, WireError } from "../../bindings";
import { api } from "../../api";
import { ErrorNote } from "../../components/ErrorNote";
import { StepNav } from "./StepNav";

type Progress = { total: number; results: CheckResult[]; done: boolean };

/** The machine check (paddock doctor): git, the sandbox backend, agents. */
export function SandboxStep(props: {
  results: CheckResult[] | null;
  onResults: (r: CheckResult[]) => void;
  onNext: () => void;
  onSkip: () => void;
}) {
  const [progress, setProgress] = useState<Progress | null>(
    props.results ? { total: props.results.length, results: props.results, done: true } : null,
  );
  const [error, setError] = useState<WireError | null>(null);
  const running = progress !== null && !progress.done;

  const runCheck = async () => {
    setError(null);
    setProgress({ total: 0, results: [], done: false });
    const collected: CheckResult[] = [];
    try {
      await api.runSystemCheck((e) => {
        if (e.event === "checked") collected.push(e.result);
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
      props.onResults(collected);
    } catch (err) {
      setError(err as WireError);
      setProgress((p) => (p ? { ...p, done: true } : p));
    }
  };

  // Run on arrival, once: what the step is about.
  const started = useRef(false);
  useEffect(() => {
    if (!props.results && !started.current) {
      started.current = true;
      void runCheck();
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const missing = progress?.done ? progress.results.filter((r) => r.status === "missing") : [];

  return (
    <section className="step" aria-labelledby="sandbox-title">
      <div className="step-head">
        <h2 id="sandbox-title">3. What isolates agents here</h2>
        <p className="muted">
          Paddock needs git for task worktrees and a sandbox backend (bubblewrap on Linux) to isolate agents. Without a
          working sandbox no task runs. The check starts each tool for real — bubblewrap creates a sandbox.
        </p>
      </div>
      {error && <ErrorNote error={error} />}
      <div className="check-bar">
        <button className="primary" onClick={() => void runCheck()} disabled={running} data-action="run-system-check">
          {running ? "Checking…" : progress ? "Check again" : "Check this machine"}
        </button>
        {progress?.done && (
          <span className={missing.length ? "badge bad" : "badge good"} data-testid="check-summary">
            {missing.length ? `${missing.length} missing` : "Everything required works"}
          </span>
        )}
      </div>
      {progress && (
        <>
          {running && (
            <progress max={Math.max(progress.total, 1)} value={progress.results.length} aria-label="System check progress" />
          )}
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
      <StepNav
        onNext={props.onNext}
        onSkip={props.onSkip}
        nextDisabled={running}
        hint={missing.length ? "Install what is missing, then check again: tasks need a working sandbox." : undefined}
      />
    </section>
  );
}
