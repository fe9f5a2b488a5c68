import { useCallback, useEffect, useState } from "react";
import type { AuditEvent, TaskDetail, WireError } from "../../bindings";
import { api } from "../../api";
import { ErrorNote } from "../../components/ErrorNote";
import { onEngineUpdate } from "../../engineFeed";
import { localTime } from "../audit/format";
import { stateTone } from "./format";

type Tab = "output" | "gate" | "network" | "credentials" | "diff";
const TABS: { id: Tab; label: string }[] = [
  { id: "output", label: "Output" },
  { id: "gate", label: "Gate decisions" },
  { id: "network", label: "Network" },
  { id: "credentials", label: "Credentials" },
  { id: "diff", label: "Diff" },
];

function outputText(events: AuditEvent[]): string {
  return events
    .filter((e) => e.action === "task.output")
    .map((e) => {
      const d = e.detail as { text?: unknown } | null;
      return typeof d?.text === "string" ? d.text : "";
    })
    .join("");
}

function rows(events: AuditEvent[], tab: Tab): AuditEvent[] {
  const kinds: Record<Exclude<Tab, "output" | "diff">, string[]> = {
    gate: ["gate_decision", "approval"],
    network: ["egress"],
    credentials: ["credential"],
  };
  return tab === "output" || tab === "diff" ? [] : events.filter((e) => kinds[tab].includes(e.kind));
}

/** One task: facts, Stop and Revoke now, and its timeline by topic. */
export function TaskPage({ id, onClose }: { id: string; onClose: () => void }) {
  const [detail, setDetail] = useState<TaskDetail | null>(null);
  const [live, setLive] = useState("");
  const [error, setError] = useState<WireError | null>(null);
  const [tab, setTab] = useState<Tab>("output");
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setDetail(await api.taskDetail(id));
      setLive("");
      setError(null);
    } catch (e) {
      setError(e as WireError);
    }
  }, [id]);

  useEffect(() => {
    void load();
    return onEngineUpdate((u) => {
      if (u.type === "output" && u.task_id === id) setLive((s) => s + u.text);
      if ((u.type === "task" && u.task.id === id) || (u.type === "approval" && u.approval.task_id === id)) void load();
    });
  }, [id, load]);

  const act = async (what: "stop" | "revoke") => {
    if (what === "revoke" && !window.confirm("Revoke this task's cloud credentials now? The agent keeps running without them.")) return;
    try {
      if (what === "stop") await api.taskStop(id);
      else await api.taskRevokeNow(id);
      setNotice(what === "stop" ? "Stop requested: Paddock stops the agent, revokes its credentials and commits." : "Credentials revoked.");
      await load();
    } catch (e) {
      setError(e as WireError);
    }
  };

  if (!detail) return error ? <ErrorNote error={error} /> : <p className="muted">Loading task {id}…</p>;
  const t = detail.task;
  const ended = ["finished", "failed", "cancelled"].includes(t.state);
  return (
    <section className="card task-page" data-testid="task-page" aria-label={`Task ${t.id}`}>
      <div className="task-head">
        <div>
          <h2>
            <span className={`chip state-${stateTone(t.state)}`} data-testid="task-state">{t.state}</span> {t.prompt}
          </h2>
          <dl className="facts">
            <dt>Task</dt><dd className="mono">{t.id}</dd>
            <dt>Agent</dt><dd>{t.agent}{t.bypass ? " · bypass mode" : ""}</dd>
            <dt>Repository</dt><dd className="mono">{t.repo}</dd>
            <dt>Branch</dt><dd className="mono">{t.branch}</dd>
            <dt>Started</dt><dd>{t.started_at ? localTime(t.started_at) : "—"}</dd>
            <dt>Ended</dt><dd>{t.finished_at ? localTime(t.finished_at) : "—"}</dd>
            <dt>Commit</dt><dd className="mono">{t.commit ?? (ended ? "no changes" : "when it ends")}</dd>
            <dt>Network</dt><dd>{t.allow_hosts.length ? t.allow_hosts.join(", ") : t.agent === "cmd" ? "no hosts allowed" : "the agent's API only"}</dd>
          </dl>
          {t.error && <div className="banner warn"><strong>Why it ended:</strong> {t.error}</div>}
        </div>
        <div className="actions">
          <button type="button" onClick={() => void act("stop")} disabled={ended || !t.run_here}
            title={t.run_here ? "" : "Run by another Paddock process: stop it there (paddock tasks stop)"}>Stop</button>
          <button type="button" onClick={() => void act("revoke")} disabled={ended}>Revoke now</button>
          <button type="button" className="link" onClick={onClose}>Close</button>
        </div>
      </div>
      {notice && <div className="banner info" role="status">{notice}</div>}
      {error && <ErrorNote error={error} />}
      <div className="tabs" role="tablist">
        {TABS.map((x) => (
          <button key={x.id} type="button" role="tab" aria-selected={tab === x.id} onClick={() => setTab(x.id)}>
            {x.label}
            {x.id !== "output" && x.id !== "diff" ? ` (${rows(detail.events, x.id).length})` : ""}
          </button>
        ))}
      </div>
      {tab === "output" && (
        <pre className="output" data-testid="task-output">{outputText(detail.events) + live || "No output yet."}</pre>
      )}
      {tab === "diff" && <pre className="output diff" data-testid="task-diff">{detail.diff || "No changes."}</pre>}
      {tab !== "output" && tab !== "diff" && (
        <table className="timeline-table" data-testid={`task-${tab}`}>
          <tbody>
            {rows(detail.events, tab).map((e) => (
              <tr key={e.id}>
                <td className="mono small">{localTime(e.ts, true)}</td>
                <td>{e.action}</td>
                <td className="mono ellipsis" title={e.resource}>{e.resource}</td>
                <td><span className="chip outcome">{e.outcome ?? ""}</span></td>
              </tr>
            ))}
            {rows(detail.events, tab).length === 0 && (
              <tr><td className="muted">Nothing yet.</td></tr>
            )}
          </tbody>
        </table>
      )}
      {detail.has_more && <p className="muted small">Showing the first events; the Audit screen has them all.</p>}
    </section>
  );
}
