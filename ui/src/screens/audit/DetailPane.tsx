import { useEffect, useState } from "react";
import type { AuditEvent, WireError } from "../../bindings";
import { api } from "../../api";
import { label, localTime, offset, tone } from "./format";

function Timeline({ taskId, selected, onSelect }: { taskId: string; selected: number; onSelect: (e: AuditEvent) => void }) {
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [error, setError] = useState<WireError | null>(null);
  useEffect(() => {
    setEvents(null);
    api
      .auditQuery({
        filter: { since: null, until: null, task_id: taskId, actors: [], kinds: [], outcomes: [], text: null },
        cursor: { at: "oldest" },
        limit: 500,
      })
      .then((p) => setEvents(p.events), setError);
  }, [taskId]);
  if (error) return <p className="muted">{error.message}</p>;
  if (!events) return <p className="muted">Loading the timeline…</p>;
  const start = events.length ? new Date(events[0].ts).getTime() : 0;
  return (
    <ol className="timeline" data-testid="task-timeline">
      {events.map((e) => {
        const secs = Math.round((new Date(e.ts).getTime() - start) / 1000);
        return (
          <li key={e.seq} className={e.seq === selected ? "current" : undefined} onClick={() => onSelect(e)}>
            <span className="offset" title={e.ts}>{offset(secs)}</span>
            <span><span className={`kind kind-${e.kind}`}>{label(e.kind)}</span></span>
            <span className="ellipsis" title={`${e.action} ${e.resource}`}>{e.action} <span className="mono">{e.resource}</span></span>
            {e.outcome && <span className={`outcome ${tone(e.outcome)}`}>{e.outcome}</span>}
          </li>
        );
      })}
    </ol>
  );
}

export function DetailPane(props: { event: AuditEvent; onSelect: (e: AuditEvent) => void; onClose: () => void }) {
  const { event, onSelect } = props;
  const [tab, setTab] = useState<"detail" | "timeline">("detail");
  return (
    <aside className="detail-pane" data-testid="detail-pane">
      <div className="tabs" role="tablist">
        <button role="tab" aria-selected={tab === "detail"} onClick={() => setTab("detail")}>Event #{event.seq}</button>
        <button role="tab" aria-selected={tab === "timeline"} disabled={!event.task_id} onClick={() => setTab("timeline")}>
          Task timeline
        </button>
        <button className="close" aria-label="Close details" onClick={props.onClose}>×</button>
      </div>
      {tab === "timeline" && event.task_id ? (
        <Timeline taskId={event.task_id} selected={event.seq} onSelect={onSelect} />
      ) : (
        <>
          <dl className="facts compact">
            <dt>Time</dt>
            <dd title={event.ts}>{localTime(event.ts)} <span className="muted">({event.ts})</span></dd>
            <dt>Task</dt>
            <dd className="mono">{event.task_id ?? "—"}</dd>
            <dt>Actor</dt>
            <dd>{label(event.actor)}</dd>
            <dt>Kind</dt>
            <dd>{label(event.kind)}</dd>
            <dt>Action</dt>
            <dd>{event.action}</dd>
            <dt>Resource</dt>
            <dd className="mono wrap">{event.resource || "—"}</dd>
            <dt>Outcome</dt>
            <dd>{event.outcome ? <span className={`outcome ${tone(event.outcome)}`}>{event.outcome}</span> : "—"}</dd>
            <dt>Hash</dt>
            <dd className="mono wrap small">{event.hash}</dd>
          </dl>
          <h3>Detail</h3>
          <pre className="json" data-testid="event-json">{JSON.stringify(event.detail, null, 2)}</pre>
        </>
      )}
    </aside>
  );
}
