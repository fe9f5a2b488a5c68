import { useCallback, useEffect, useState } from "react";
import type { BypassWarning, WireError } from "../../bindings";
import { api } from "../../api";
import { ErrorNote } from "../../components/ErrorNote";
import { useOnboarding } from "../../onboardingStore";
import { StepNav } from "./StepNav";
import { BYPASS_LABELS, pendingAcks } from "./wizard";

export function BypassStep(props: { onWarnings: (w: BypassWarning[]) => void; onNext: () => void; onSkip: () => void }) {
  const { state } = useOnboarding();
  const [warnings, setWarnings] = useState<BypassWarning[] | null>(null);
  const [error, setError] = useState<WireError | null>(null);

  const load = useCallback(() => {
    setError(null);
    api.bypassWarnings(state.repos).then(
      (w) => {
        setWarnings(w);
        props.onWarnings(w);
      },
      (e: WireError) => {
        setError(e);
        setWarnings([]);
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [state.repos]);

  useEffect(load, [load]);

  const pending = warnings ? pendingAcks(warnings) : [];

  return (
    <section className="step" aria-labelledby="bypass-title">
      <div className="step-head">
        <h2 id="bypass-title">2. Settings that switch off every check</h2>
        <p className="muted">
          Claude Code and Codex can be told to stop asking before they act: bypass-permissions mode, a skipped warning,
          shell aliases with <code>--dangerously-skip-permissions</code>, Codex with approvals or its sandbox off. On a
          repository that deploys to production, Paddock asks you to acknowledge that once before a task starts there.
        </p>
      </div>
      {error && <ErrorNote error={error} />}
      {warnings === null && <p className="muted">Looking at agent settings…</p>}
      {warnings && warnings.length === 0 && !error && (
        <div className="all-clear" data-testid="no-bypass">
          <strong>No bypass settings found.</strong> Checked Claude Code's managed, user, project and local settings,
          your shell startup files and scripts in <code>~/bin</code>, Codex's config
          {state.repos.length ? `, and ${state.repos.length} repositories for production remotes` : ""}.
          {state.repos.length === 0 && " Add repositories in step 1 to check them for production remotes."}
        </div>
      )}
      {warnings && warnings.length > 0 && (
        <ul className="warnings" data-testid="bypass-warnings">
          {warnings.map((w) => (
            <WarningItem key={w.id} warning={w} onAcknowledged={load} />
          ))}
        </ul>
      )}
      <StepNav
        onNext={props.onNext}
        onSkip={props.onSkip}
        nextDisabled={pending.length > 0}
        hint={
          pending.length > 0
            ? `${pending.length} warning${pending.length === 1 ? "" : "s"} to acknowledge, or skip: tasks on ${pending.length === 1 ? "that repository" : "those repositories"} will not start until you do.`
            : undefined
        }
      />
    </section>
  );
}

function WarningItem({ warning: w, onAcknowledged }: { warning: BypassWarning; onAcknowledged: () => void }) {
  const [understood, setUnderstood] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<WireError | null>(null);

  const acknowledge = async () => {
    if (!w.repo) return;
    setBusy(true);
    setError(null);
    try {
      await api.bypassAcknowledge(w.repo, w.id);
      onAcknowledged();
    } catch (e) {
      setError(e as WireError);
    } finally {
      setBusy(false);
    }
  };

  const tone = w.requires_ack ? (w.acknowledged_at ? "acked" : "needs-ack") : "plain";
  return (
    <li className={`warning ${tone}`} data-warning={w.id} data-kind={w.kind} data-acknowledged={w.acknowledged_at ? "true" : "false"}>
      <div className="warning-top">
        <span className="warning-title">{BYPASS_LABELS[w.kind]}</span>
        {w.requires_ack && w.acknowledged_at && (
          <span className="badge good" data-testid="acknowledged">
            Acknowledged {new Date(w.acknowledged_at).toLocaleString()}
          </span>
        )}
        {w.requires_ack && !w.acknowledged_at && <span className="badge bad">Needs your acknowledgement</span>}
      </div>
      <code className="warning-location">{w.location}</code>
      <p>{w.explanation}</p>
      <p className="finding-instead">
        <strong>Paddock instead:</strong> {w.paddock_instead}
      </p>
      {error && <ErrorNote error={error} />}
      {w.requires_ack && !w.acknowledged_at && (
        <div className="ack">
          <label>
            <input
              type="checkbox"
              checked={understood}
              onChange={(e) => setUnderstood(e.target.checked)}
              data-action="ack-understood"
            />
            I understand that bypass settings exist for this production repository. Tasks there still run in the sandbox
            behind the gate.
          </label>
          <button className="primary" disabled={!understood || busy} onClick={() => void acknowledge()} data-action="acknowledge">
            {busy ? "Recording…" : "Acknowledge"}
          </button>
        </div>
      )}
    </li>
  );
}
