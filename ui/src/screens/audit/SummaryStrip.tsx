import type { AuditCounts } from "../../bindings";
import { count, label, tone } from "./format";

export function SummaryStrip({ counts }: { counts: AuditCounts | null }) {
  if (!counts) return <div className="summary-strip muted">Counting…</div>;
  return (
    <div className="summary-strip" data-testid="summary-strip">
      <span className="total">
        <strong>{count(counts.total)}</strong> {counts.total === 1 ? "event" : "events"}
      </span>
      <span className="sep" />
      {counts.by_kind.map((c) => (
        <span key={c.key} className="chip">
          {label(c.key)} <strong>{count(c.count)}</strong>
        </span>
      ))}
      <span className="sep" />
      {counts.by_outcome
        .filter((c) => c.key !== "")
        .map((c) => (
          <span key={c.key} className={`chip outcome ${tone(c.key)}`}>
            {c.key} <strong>{count(c.count)}</strong>
          </span>
        ))}
    </div>
  );
}
