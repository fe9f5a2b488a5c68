import { useCallback, useEffect, useState } from "react";
import type { Approval, ApprovalChoice, AuditEvent, WireError } from "../bindings";
import { api } from "../api";
import { EmptyState } from "../components/EmptyState";
import { ErrorNote } from "../components/ErrorNote";
import { ScreenHeader } from "../components/ScreenHeader";
import { onEngineUpdate } from "../engineFeed";
import { localTime } from "./audit/format";

const RECENT = 8;

function RecentTimeline({ taskId }: { taskId: string }) {
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  useEffect(() => {
    api.taskDetail(taskId).then(
      (d) => setEvents(d.events.filter((e) => e.action !== "task.output").slice(-RECENT)),
      () => setEvents([]),
    );
  }, [taskId]);
  if (!events) return null;
  return (
    <ol className="recent" aria-label="The task's recent timeline">
      {events.map((e) => (
        <li key={e.id}>
          <span className="mono small">{localTime(e.ts, true)}</span> {e.action}{" "}
          <span className="mono">{e.resource}</span> {e.outcome && <span className="chip outcome">{e.outcome}</span>}
        </li>
      ))}
    </ol>
  );
}

function ApprovalCard({ a, onDecided }: { a: Approval; onDecided: (a: Approval) => void }) {
  const [error, setError] = useState<WireError | null>(null);
  const [busy, setBusy] = useState(false);
  const decide = async (choice: ApprovalChoice) => {
    setBusy(true);
    try {
      onDecided(await api.approvalDecide(a.id, choice));
    } catch (e) {
      setError(e as WireError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <article className="card approval" data-testid="approval" data-approval-id={a.id}>
      <div className="approval-head">
        <span className="chip verdict verdict-ask">ask</span>
        <strong>{a.tool}</strong> wants to run
        <span className="muted small">task {a.task_id} · {localTime(a.created_at)}</span>
      </div>
      <pre className="command"><code>{a.resource}</code></pre>
      <p><strong>Why the gate asked:</strong> {a.reason}
        {/* The gate's reason usually names its rule already; say it once. */}
        {a.rule_id && !a.reason.includes(a.rule_id) && <> (rule <code>{a.rule_id}</code>)</>}</p>
      <RecentTimeline taskId={a.task_id} />
      {error && <ErrorNote error={error} />}
      <div className="actions">
        <button type="button" className="primary" disabled={busy} onClick={() => void decide("approve")}>Approve</button>
        <button type="button" disabled={busy} onClick={() => void decide("deny")}>Deny</button>
        <button type="button" disabled={busy || !a.rule_id} onClick={() => void decide("always_allow")}
          title="Approve, and approve this rule for the rest of this task">Always allow for this task</button>
      </div>
    </article>
  );
}

export function Approvals() {
  const [pending, setPending] = useState<Approval[] | null>(null);
  const [decided, setDecided] = useState<Approval[]>([]);
  const [error, setError] = useState<WireError | null>(null);

  const load = useCallback(async () => {
    try {
      const all = await api.approvalsList(false);
      setPending(all.filter((a) => a.state === "pending"));
      setDecided(all.filter((a) => a.state !== "pending").slice(0, 20));
      setError(null);
    } catch (e) {
      setError(e as WireError);
    }
  }, []);
  useEffect(() => {
    void load();
    return onEngineUpdate((u) => {
      if (u.type === "approval") void load();
    });
  }, [load]);

  return (
    <>
      <ScreenHeader title="Approvals" lead="Tool calls the gate would not decide alone wait here for a person." />
      {error && <ErrorNote error={error} />}
      {pending && pending.length === 0 && (
        <EmptyState title="Nothing is waiting for you">
          <p>
            When the gate answers <strong>ask</strong> for an unattended task, the request appears here with the
            command, the rule that asked, and the task's recent timeline. You can approve, deny, or always allow it
            for that task. If nobody answers before the timeout, the gate denies.
          </p>
        </EmptyState>
      )}
      {pending?.map((a) => (
        <ApprovalCard key={a.id} a={a} onDecided={() => void load()} />
      ))}
      {decided.length > 0 && (
        <section className="card" aria-label="Recently decided">
          <h2>Recently decided</h2>
          <table className="timeline-table" data-testid="decided">
            <tbody>
              {decided.map((a) => (
                <tr key={a.id}>
                  <td className="mono small">{localTime(a.decided_at ?? a.created_at, true)}</td>
                  <td className="mono ellipsis" title={a.resource}>{a.resource}</td>
                  <td><span className="chip outcome">{a.state}</span></td>
                  <td className="muted">{a.decided_by ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}
