import type { AuditVerify } from "../../bindings";
import { count } from "./format";

export function IntegrityBadge(props: { report: AuditVerify | null; checking: boolean; onVerify: () => void }) {
  const { report, checking } = props;
  let text = "Not verified yet";
  let cls = "badge";
  let title = "";
  if (checking) {
    text = "Verifying…";
  } else if (report?.ok) {
    text = `Chain verified · ${count(report.events)} events`;
    cls = "badge good";
    title = `Checked at ${report.checked_at}. ${report.checkpoints_verified} signed checkpoints; sealed through #${report.sealed_through}.`;
  } else if (report) {
    text = report.first_broken != null ? `Chain broken at #${report.first_broken}` : "Chain broken";
    cls = "badge bad";
    title = report.problems.map((p) => (p.seq != null ? `#${p.seq}: ${p.message}` : p.message)).join("\n");
  }
  return (
    <div className="integrity">
      <span className={cls} title={title} data-testid="integrity-badge" data-ok={report ? String(report.ok) : ""}>
        {text}
      </span>
      <button onClick={props.onVerify} disabled={checking} data-action="verify">
        Verify now
      </button>
    </div>
  );
}
