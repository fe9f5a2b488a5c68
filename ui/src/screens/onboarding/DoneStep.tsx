import { useEffect, useState } from "react";
import { api } from "../../api";
import { useOnboarding } from "../../onboardingStore";
import type { SessionResults } from "../Onboarding";
import { STEPS, packsOff, pendingAcks, shellQuote } from "./wizard";

/** The end: what was done, what was skipped, and how to start a task. */
export function DoneStep({ results }: { results: SessionResults }) {
  const { state } = useOnboarding();
  const repo = state.repos[0] ? shellQuote(state.repos[0]) : "~/src/your-project";
  const command = `paddock run --agent claude --repo ${repo} -- "Fix the failing test in the parser"`;
  const report = results.report;
  const missing = results.checks?.filter((c) => c.status === "missing") ?? [];
  const skipped = STEPS.filter((s) => state.skipped.includes(s.id));
  const warnings = results.warnings;
  const needAck = warnings?.filter((w) => w.requires_ack) ?? [];
  const pending = warnings ? pendingAcks(warnings) : [];
  const [allPacks, setAllPacks] = useState<string[] | null>(null);
  useEffect(() => {
    api.gatePacks().then((p) => setAllPacks(p.map((x) => x.id)), () => setAllPacks(null));
  }, []);
  const off = allPacks ? packsOff(state, allPacks) : [];

  return (
    <section className="step" aria-labelledby="done-title">
      <div className="step-head">
        <h2 id="done-title">6. Ready for a first task</h2>
        <p className="muted">
          Each task runs in its own git worktree, inside the sandbox, behind the gate, with egress through an
          allowlisting proxy, and every step lands in the audit trail.
        </p>
      </div>
      <dl className="facts summary" data-testid="onboarding-summary">
        <dt>Risk audit</dt>
        <dd>
          {report ? (
            <>
              <span className={`sev-pill sev-${report.risk}`}>{report.risk}</span> {report.findings.length}{" "}
              {report.findings.length === 1 ? "thing" : "things"} an agent running as you could reach today.
            </>
          ) : state.completed.includes("risk") ? (
            "Done earlier; scan again from step 1 to see the result."
          ) : (
            "Not run."
          )}
        </dd>
        <dt>Inside the sandbox</dt>
        <dd data-testid="summary-inside">
          {results.comparison
            ? results.comparison.isolation_holds
              ? `Nothing of that is reachable inside ${results.comparison.backend} (risk there: ${results.comparison.inside_risk}).`
              : `Some of it is still reachable inside ${results.comparison.backend}: see step 1.`
            : "Not compared in this session."}
        </dd>
        <dt>Bypass warnings</dt>
        <dd>
          {warnings === null
            ? "Not looked at in this session."
            : warnings.length === 0
              ? "None found."
              : `${warnings.length} found` +
                (needAck.length === 0
                  ? "; none needs an acknowledgement."
                  : pending.length === 0
                    ? `; ${needAck.length} acknowledged.`
                    : `; ${pending.length} still to acknowledge before tasks start on ${pending.length === 1 ? "that repository" : "those repositories"}.`)}
        </dd>
        <dt>Sandbox</dt>
        <dd>
          {results.checks
            ? missing.length
              ? `${missing.map((m) => m.title).join(", ")} missing: tasks cannot start until it is installed.`
              : "Checked: everything required works."
            : "Not checked in this session."}
        </dd>
        <dt>Gate packs</dt>
        <dd data-testid="summary-packs">
          {!state.packs || (allPacks && off.length === 0)
            ? "all built-in packs"
            : state.packs.length === 0
              ? "none: the gate blocks nothing and asks nothing"
              : <>
                  {state.packs.join(", ")}
                  {off.length > 0 && <strong className="packs-off"> · off: {off.join(", ")}</strong>}
                </>}
        </dd>
        <dt>Repositories</dt>
        <dd>{state.repos.length ? state.repos.join(", ") : "none added"}</dd>
        {skipped.length > 0 && (
          <>
            <dt>Skipped</dt>
            <dd>{skipped.map((s) => s.title).join(", ")} — open them from the steps above any time.</dd>
          </>
        )}
      </dl>
      <div className="card-inner">
        <p>
          <strong>Start a task from the terminal:</strong>
        </p>
        <pre className="command" data-testid="first-task-command">
          <code>{command}</code>
        </pre>
        <p className="muted">
          Follow it on the Tasks screen and in the Audit trail, or start the task from the window instead: Tasks →
          New task.
        </p>
      </div>
      <div className="step-nav">
        <a className="button primary" href="#/tasks" data-action="go-tasks">
          Go to Tasks
        </a>
      </div>
    </section>
  );
}

