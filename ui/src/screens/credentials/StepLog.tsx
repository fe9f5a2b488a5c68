import type { CredsStep } from "../../bindings";

/** The steps of a revocation or sweep as they are journaled. */
export function StepLog({ steps, running, title }: { steps: CredsStep[]; running: boolean; title: string }) {
  return (
    <div className="step-log" data-testid="creds-progress" role="status" aria-live="polite">
      <div className="step-log-head">
        {running && <span className="spinner" aria-hidden="true" />}
        <strong>{title}</strong>
        <span className="muted">
          {steps.length} {steps.length === 1 ? "step" : "steps"}
        </span>
      </div>
      {steps.length > 0 && (
        <ol>
          {steps.map((s, i) => (
            <li key={i} className={`phase-${s.phase}`}>
              <span className="mono step-action">{s.phase === "state" ? `→ ${s.action}` : s.action}</span>
              <span className="step-phase">{s.phase}</span>
              <span className="step-detail">{s.detail}</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
