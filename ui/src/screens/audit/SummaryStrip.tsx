import type { AuditCounts } from "../../bindings";
import { label, tone } from "./format";

export function SummaryStrip({ counts }: { counts: AuditCounts | null }) {
  if (!counts) return <div className="summary-strip muted">Counting…</div>;
  return (
    <div className="summary-strip" data-testid="summary-strip">
      <span className="total">
        <strong>{counts.total.toLocaleString()}</strong> {counts.total === 1 ? "event" : "events"}
      </span>
      <span className="sep" />
      {counts.by_kind.map((c) => (
        <span key={c.key} className="chip">
          {label(c.key)} <strong>{c.count.toLocaleString()}</strong>
        </span>
      ))}
      <span className="sep" />
      {counts.by_outcome
        .filter((c) => c.key !== "")
        .map((c) => (
          <span key={c.key} className={`chip outcome ${tone(c.key)}`}>
            {c.key} <strong>{c.count.toLocaleString()}</strong>
          </span>
        ))}
    </div>
  );
}
