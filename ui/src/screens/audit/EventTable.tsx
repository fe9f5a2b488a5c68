import { useEffect, useRef } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { AuditEvent } from "../../bindings";
import type { EventList } from "./useEventList";
import { label, localTime, shortTask, tone } from "./format";

export const ROW_HEIGHT = 32;

/** A virtualized table: only the rows in view are in the DOM, whatever the total. */
export function EventTable(props: {
  list: EventList;
  selected: number | null;
  onSelect: (e: AuditEvent) => void;
  liveTail: boolean;
}) {
  const { list, selected, onSelect, liveTail } = props;
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

  // At the top with newer rows dropped (or live tail on): fetch newer and keep
  // the rows in view where they were.
  const onScroll = async () => {
    const el = scroller.current;
    if (!el || el.scrollTop > ROW_HEIGHT * 5 || !list.hasNewer) return;
    const added = await list.loadNewer();
    if (added && el) el.scrollTop += added * ROW_HEIGHT;
  };

  useEffect(() => {
    if (!liveTail) return;
    const timer = window.setInterval(async () => {
      const el = scroller.current;
      const added = await list.loadNewer();
      // Keep a reader's place unless they are at the top, following.
      if (added && el && el.scrollTop > ROW_HEIGHT) el.scrollTop += added * ROW_HEIGHT;
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
            return (
              <div
                key={e.seq}
                role="row"
                data-seq={e.seq}
                className={`event-row${selected === e.seq ? " selected" : ""}`}
                style={{ position: "absolute", top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
                onClick={() => onSelect(e)}
                tabIndex={0}
                onKeyDown={(k) => k.key === "Enter" && onSelect(e)}
              >
                <span className="num">{e.seq}</span>
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
