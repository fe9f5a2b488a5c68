import { useEffect, useLayoutEffect, useRef } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { AuditEvent, VerifyProblem } from "../../bindings";
import type { EventList } from "./useEventList";
import { label, localTime, shortTask, tone } from "./format";

export const ROW_HEIGHT = 32;

/** A virtualized table: only the rows in view are in the DOM, whatever the total. */
export function EventTable(props: {
  list: EventList;
  selected: number | null;
  onSelect: (e: AuditEvent) => void;
  liveTail: boolean;
  /** What the last verification found wrong: those rows are marked, so the reader sees where the chain broke. */
  problems: VerifyProblem[];
}) {
  const { list, selected, onSelect, liveTail, problems } = props;
  const broken = new Map<number, string>();
  for (const p of problems) if (p.seq != null) broken.set(p.seq, [broken.get(p.seq), p.message].filter(Boolean).join("\n"));
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: list.rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();

  // Near the bottom: fetch older rows.
  const last = items.length ? items[items.length - 1].index : -1;
  useEffect(() => {
    if (list.hasOlder && last >= list.rows.length - 40) void list.loadOlder();
  }, [last, list]);

  // Rows added or dropped above the reader (newer rows fetched, the oldest
  // of the window dropped to keep it bounded) move everything below them:
  // scroll as much in the same commit, before the paint, so the reader stays
  // on the rows they were reading.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && list.shift) el.scrollTop += list.shift.rows * ROW_HEIGHT;
  }, [list.shift]);

  // At the top with newer rows dropped: fetch them, keeping the reader's place.
  const onScroll = () => {
    const el = scroller.current;
    if (!el || el.scrollTop > ROW_HEIGHT * 5 || !list.hasNewer) return;
    void list.loadNewer(true);
  };

  useEffect(() => {
    if (!liveTail) return;
    const timer = window.setInterval(() => {
      // Keep a reader's place unless they are at the top, following.
      const el = scroller.current;
      void list.loadNewer(!!el && el.scrollTop > ROW_HEIGHT);
    }, 1500);
    return () => window.clearInterval(timer);
  }, [liveTail, list]);

  return (
    <div className="event-table" role="table" aria-label="Audit events" aria-rowcount={list.rows.length}>
      <div className="event-row event-head" role="row">
        <span role="columnheader">#</span>
        <span role="columnheader">Time</span>
        <span role="columnheader">Task</span>
        <span role="columnheader">Kind</span>
        <span role="columnheader">Action</span>
        <span role="columnheader">Outcome</span>
      </div>
      <div className="event-scroll" ref={scroller} onScroll={onScroll} data-testid="event-scroll">
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {items.map((item) => {
            const e = list.rows[item.index];
            const problem = broken.get(e.seq);
            return (
              <div
                key={e.seq}
                role="row"
                data-seq={e.seq}
                data-broken={problem ? "true" : undefined}
                title={problem ? `Integrity check failed here: ${problem}` : undefined}
                className={`event-row${selected === e.seq ? " selected" : ""}${problem ? " broken" : ""}`}
                style={{ position: "absolute", top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
                onClick={() => onSelect(e)}
                tabIndex={0}
                onKeyDown={(k) => k.key === "Enter" && onSelect(e)}
              >
                <span className="num">{problem ? <span className="broken-mark" aria-label="integrity check failed">⚠ </span> : null}{e.seq}</span>
                <span title={e.ts}>{localTime(e.ts, true)}</span>
                <span className="mono ellipsis" title={e.task_id ?? ""}>{shortTask(e.task_id)}</span>
                <span><span className={`kind kind-${e.kind}`}>{label(e.kind)}</span></span>
                <span className="ellipsis" title={`${label(e.actor)}: ${e.action} ${e.resource}`}>
                  <strong>{e.action}</strong> <span className="mono">{e.resource}</span>
                </span>
                <span>{e.outcome && <span className={`outcome ${tone(e.outcome)}`}>{e.outcome}</span>}</span>
              </div>
            );
          })}
        </div>
        {list.rows.length === 0 && !list.loading && <p className="muted table-empty">No events match these filters.</p>}
      </div>
    </div>
  );
}
