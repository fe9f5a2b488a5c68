import { useCallback, useEffect, useMemo, useState } from "react";
import type { AuditCounts, AuditEvent, AuditFilter, AuditTask, AuditVerify, ExportFormat, WireError } from "../bindings";
import { api } from "../api";
import { ScreenHeader } from "../components/ScreenHeader";
import { EmptyState } from "../components/EmptyState";
import { ErrorNote } from "../components/ErrorNote";
import { FilterBar } from "./audit/FilterBar";
import { EventTable } from "./audit/EventTable";
import { DetailPane } from "./audit/DetailPane";
import { IntegrityBadge } from "./audit/IntegrityBadge";
import { SummaryStrip } from "./audit/SummaryStrip";
import { useEventList } from "./audit/useEventList";
import { count } from "./audit/format";

const NO_FILTER: AuditFilter = { since: null, until: null, task_id: null, actors: [], kinds: [], outcomes: [], text: null };

function isEmptyFilter(f: AuditFilter): boolean {
  return !f.since && !f.until && !f.task_id && !f.text && !f.actors.length && !f.kinds.length && !f.outcomes.length;
}

export function Audit() {
  const [filter, setFilter] = useState<AuditFilter>(NO_FILTER);
  const list = useEventList(filter);
  const [counts, setCounts] = useState<AuditCounts | null>(null);
  const [tasks, setTasks] = useState<AuditTask[]>([]);
  const [selected, setSelected] = useState<AuditEvent | null>(null);
  const [liveTail, setLiveTail] = useState(false);
  const [verify, setVerify] = useState<AuditVerify | null>(null);
  const [verifying, setVerifying] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<WireError | null>(null);

  const runVerify = useCallback(async () => {
    setVerifying(true);
    try {
      setVerify(await api.auditVerify());
    } catch (e) {
      setError(e as WireError);
    } finally {
      setVerifying(false);
    }
  }, []);

  useEffect(() => {
    void runVerify();
    api.auditTasks().then(setTasks, () => setTasks([]));
  }, [runVerify]);

  const newest = list.rows[0]?.seq;
  useEffect(() => {
    api.auditCounts(filter).then(setCounts, () => setCounts(null));
  }, [filter, newest]);

  const exportAs = async (format: ExportFormat) => {
    setNotice(null);
    try {
      const done = await api.auditExport(filter, format);
      setNotice(`Exported ${count(done.events)} events to ${done.path}`);
    } catch (e) {
      setError(e as WireError);
    }
  };

  const nothingYet = useMemo(
    () => counts?.total === 0 && isEmptyFilter(filter) && !list.loading && !list.error,
    [counts, filter, list.loading, list.error],
  );

  return (
    <div className="audit-screen">
      <ScreenHeader
        title="Audit"
        lead="An append-only, tamper-evident record of every tool call, gate decision, request and credential."
        actions={
          <>
            <IntegrityBadge report={verify} checking={verifying} onVerify={runVerify} />
            <button onClick={() => exportAs("jsonl")} data-action="export-jsonl">Export JSONL</button>
            <button onClick={() => exportAs("csv")} data-action="export-csv">Export CSV</button>
          </>
        }
      />
      {error && <ErrorNote error={error} />}
      {list.error && <ErrorNote error={list.error} />}
      {notice && <div className="banner info" role="status">{notice}</div>}
      {nothingYet ? (
        <EmptyState title="No events recorded yet" command="paddock audit list">
          <p>
            Every gate decision, sandbox launch, network request, credential lease and approval is written here,
            hash-chained and signed, so nobody — the agent included — can rewrite it quietly. Events appear as soon
            as a task runs.
          </p>
        </EmptyState>
      ) : (
        <>
          <FilterBar value={filter} tasks={tasks} onApply={(f) => { setSelected(null); setFilter(f); }} />
          <div className="audit-toolbar">
            <SummaryStrip counts={counts} />
            <span className="muted hint">Select a row for details</span>
            <label className="toggle">
              <input type="checkbox" checked={liveTail} onChange={(e) => setLiveTail(e.target.checked)} data-action="live-tail" />
              Live tail
            </label>
          </div>
          <div className={`audit-body${selected ? " with-detail" : ""}`}>
            <EventTable list={list} selected={selected?.seq ?? null} onSelect={setSelected} liveTail={liveTail} problems={verify?.problems ?? []} />
            {selected && <DetailPane event={selected} onSelect={setSelected} onClose={() => setSelected(null)} />}
          </div>
        </>
      )}
    </div>
  );
}
