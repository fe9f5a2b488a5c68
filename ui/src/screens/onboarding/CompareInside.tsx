import { useEffect, useRef, useState } from "react";
import type { ComparisonRow, ScanComparison, Severity, WireError } from "../../bindings";
import { api } from "../../api";
import { ErrorNote } from "../../components/ErrorNote";
import { comparisonCounts } from "./wizard";

const STATUS: Record<ComparisonRow["status"], string> = {
  still_reachable: "Still reachable",
  only_inside: "Only inside",
  replaced: "Replaced",
  removed: "Taken away",
};

function Sev({ s }: { s: Severity | null }) {
  return s ? <span className={`sev-pill sev-${s}`}>{s}</span> : <span className="gone">gone</span>;
}

/**
 * The same audit run inside the sandbox a task gets, side by side with the
 * one outside: the proof that isolation works on this machine.
 */
export function CompareInside(props: {
  repos: string[];
  comparison: ScanComparison | null;
  onComparison: (c: ScanComparison) => void;
  auto: boolean;
}) {
  const [phase, setPhase] = useState<"outside" | "inside" | null>(null);
  const [error, setError] = useState<WireError | null>(null);
  const started = useRef(false);

  const run = async () => {
    setError(null);
    setPhase("outside");
    try {
      props.onComparison(await api.scanCompare(props.repos, (e) => setPhase(e.event)));
    } catch (e) {
      setError(e as WireError);
    } finally {
      setPhase(null);
    }
  };

  useEffect(() => {
    if (props.auto && !props.comparison && !started.current) {
      started.current = true;
      void run();
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.auto]);

  const c = props.comparison;
  const counts = c ? comparisonCounts(c.rows) : null;
  return (
    <section className="compare" data-testid="compare-inside" aria-labelledby="compare-title">
      <div className="compare-head">
        <h3 id="compare-title">Outside vs inside a Paddock sandbox</h3>
        <button onClick={() => void run()} disabled={phase !== null} data-action="run-compare">
          {phase ? "Comparing…" : c ? "Compare again" : "Run the audit inside the sandbox"}
        </button>
      </div>
      <p className="muted small-print">
        The same audit, run once as you and once inside the sandbox a task gets (private HOME, only allowed
        environment variables, no network, an empty worktree). Files committed to a repository are in every task's
        worktree; uncommitted ones like <code>.env</code> are not.
      </p>
      {phase && (
        <div className="scan-progress" role="status" data-testid="compare-progress">
          <span className="spinner" aria-hidden="true" />
          <span>{phase === "outside" ? "Scanning as you…" : "Scanning inside a fresh sandbox…"}</span>
        </div>
      )}
      {error && <ErrorNote error={error} />}
      {c && counts && (
        <>
          <div
            className={`compare-verdict${c.isolation_holds ? "" : " bad"}`}
            data-testid="compare-verdict"
            data-holds={c.isolation_holds}
          >
            {c.isolation_holds ? (
              <>
                <strong>Isolation holds.</strong> Of the {counts.outside} things an agent running as you could reach, none
                is reachable inside {c.backend}
                {counts.replaced > 0 ? ` (${counts.replaced} replaced by a value Paddock put there)` : ""}. Risk outside:{" "}
                <span className={`sev-pill sev-${c.outside_risk}`}>{c.outside_risk}</span>, inside:{" "}
                <span className={`sev-pill sev-${c.inside_risk}`}>{c.inside_risk}</span>.
              </>
            ) : (
              <>
                <strong>The sandbox does not cover everything.</strong> {counts.reachable} of {counts.outside} still
                reachable inside {c.backend}; see the rows marked in red.
              </>
            )}
          </div>
          {c.rows.length > 0 && (
            <table className="compare-table" data-testid="compare-table">
              <thead>
                <tr>
                  <th>What</th>
                  <th>Where</th>
                  <th>Outside (you)</th>
                  <th>Inside (a task)</th>
                  <th>Result</th>
                </tr>
              </thead>
              <tbody>
                {c.rows.map((r) => (
                  <tr key={r.id} className={`status-${r.status}`} data-row={r.id} data-status={r.status}>
                    <td>{r.kind}</td>
                    <td>
                      <code className="wrap">{r.location}</code>
                    </td>
                    <td>
                      <Sev s={r.outside} />
                    </td>
                    <td>
                      <Sev s={r.inside} />
                    </td>
                    <td>{STATUS[r.status]}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {c.inside_notes.length > 0 && (
            <details className="notes">
              <summary>{c.inside_notes.length} things the inside scan could not look at</summary>
              <ul>
                {c.inside_notes.map((n) => (
                  <li key={n}>{n}</li>
                ))}
              </ul>
            </details>
          )}
        </>
      )}
    </section>
  );
}
