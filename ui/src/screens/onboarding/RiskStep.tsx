import { useEffect, useRef, useState } from "react";
import type { ScanComparison, ScanFinding, ScanInfo, ScanReport, WireError } from "../../bindings";
import { api } from "../../api";
import { ErrorNote } from "../../components/ErrorNote";
import { updateOnboarding, useOnboarding } from "../../onboardingStore";
import { StepNav } from "./StepNav";
import { addRepo, countBySeverity, groupFindings, removeRepo } from "./wizard";
import { AuditPrompt } from "./AuditPrompt";
import { CompareInside } from "./CompareInside";

interface Live {
  check: string | null;
  findings: ScanFinding[];
  notes: string[];
}

export function RiskStep(props: {
  report: ScanReport | null;
  onReport: (r: ScanReport) => void;
  comparison: ScanComparison | null;
  onComparison: (c: ScanComparison) => void;
  onNext: () => void;
  onSkip: () => void;
}) {
  const { state } = useOnboarding();
  const [info, setInfo] = useState<ScanInfo | null>(null);
  const [live, setLive] = useState<Live | null>(null);
  const [error, setError] = useState<WireError | null>(null);
  const [repoInput, setRepoInput] = useState("");
  const started = useRef(false);
  const running = live !== null;

  const run = async () => {
    setError(null);
    setLive({ check: null, findings: [], notes: [] });
    try {
      const report = await api.scanRun(state.repos, (e) => {
        setLive((l) => {
          const cur = l ?? { check: null, findings: [], notes: [] };
          switch (e.event) {
            case "check_started":
              return { ...cur, check: e.check };
            case "finding":
              return { ...cur, findings: [...cur.findings, e.finding] };
            case "note":
              return { ...cur, notes: [...cur.notes, e.note] };
          }
        });
      });
      props.onReport(report);
    } catch (err) {
      setError(err as WireError);
    } finally {
      setLive(null);
    }
  };

  useEffect(() => {
    api.scanInfo().then(setInfo, setError);
    // The audit is the point of this step: run it on arrival, once.
    if (!props.report && !started.current) {
      started.current = true;
      void run();
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const addRepository = async () => {
    const path = repoInput;
    await updateOnboarding((s) => addRepo(s, path));
    setRepoInput("");
  };

  const findings = running ? live.findings : (props.report?.findings ?? []);
  const report = running ? null : props.report;

  return (
    <section className="step" aria-labelledby="risk-title">
      <div className="step-head">
        <h2 id="risk-title">1. What an agent could reach on this machine</h2>
        <p className="muted">
          Paddock looks for credentials, sockets and privileges an agent running as you would inherit. It reads
          files and asks local sockets whether they answer; it never prints a secret (you see a kind, a location and a
          short fingerprint) and never sends anything anywhere.
        </p>
        {info && (
          <p className="muted small-print" data-testid="scan-home">
            Scanning HOME <code>{info.home}</code>
            {info.home_overridden && " (set by PADDOCK_SCAN_HOME)"}.
          </p>
        )}
      </div>
      {error && <ErrorNote error={error} />}

      <div className="repos">
        <div className="repos-head">
          <strong>Repositories to include</strong>
          <span className="muted"> — for .env files, project agent settings and production remotes</span>
        </div>
        {state.repos.length > 0 && (
          <ul className="repo-list" data-testid="repo-list">
            {state.repos.map((r) => (
              <li key={r}>
                <code>{r}</code>
                <button className="link" onClick={() => void updateOnboarding((s) => removeRepo(s, r))} aria-label={`Remove ${r}`}>
                  Remove
                </button>
              </li>
            ))}
          </ul>
        )}
        <form
          className="repo-add"
          onSubmit={(e) => {
            e.preventDefault();
            void addRepository();
          }}
        >
          <input
            value={repoInput}
            onChange={(e) => setRepoInput(e.target.value)}
            placeholder="/home/you/src/project"
            aria-label="Repository path"
            data-input="repo-path"
          />
          <button type="submit" disabled={!repoInput.trim()} data-action="add-repo">
            Add
          </button>
          <button type="button" className="primary" onClick={() => void run()} disabled={running} data-action="run-scan">
            {running ? "Scanning…" : props.report ? "Scan again" : "Scan this machine"}
          </button>
        </form>
      </div>

      {running && (
        <div className="scan-progress" role="status" aria-live="polite" data-testid="scan-progress">
          <span className="spinner" aria-hidden="true" />
          <span>
            {live.check ? `Checking ${live.check}…` : "Starting…"} {live.findings.length} found so far
          </span>
        </div>
      )}

      {report && <RiskLevel report={report} rules={info?.risk_rules ?? null} />}

      {report && (
        <CompareInside repos={state.repos} comparison={props.comparison} onComparison={props.onComparison} auto={true} />
      )}

      {findings.length > 0 && <Findings findings={findings} />}
      {report && report.findings.length === 0 && (
        <p className="muted">Nothing found that an agent could use beyond the files you give it.</p>
      )}
      {report && report.notes.length > 0 && (
        <details className="notes">
          <summary>{report.notes.length} things the scan could not look at</summary>
          <ul>
            {report.notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        </details>
      )}

      {info && <AuditPrompt prompt={info.audit_prompt} note={info.audit_prompt_note} />}

      <StepNav
        onNext={props.onNext}
        onSkip={props.onSkip}
        nextDisabled={running}
        nextLabel="Continue to warnings"
        hint={report ? undefined : "The audit result appears here when the scan ends."}
      />
    </section>
  );
}

function RiskLevel({ report, rules }: { report: ScanReport; rules: string | null }) {
  const counts = countBySeverity(report.findings);
  return (
    <div className={`risk-level risk-${report.risk}`} data-testid="risk-level" data-level={report.risk}>
      <div className="risk-main">
        <span className="risk-label">Risk level</span>
        <span className="risk-value">{report.risk}</span>
        <span className="risk-counts">
          {counts.map((c) => (
            <span key={c.severity} className={`sev-chip sev-${c.severity}`}>
              {c.count} {c.severity}
            </span>
          ))}
        </span>
      </div>
      <div className="risk-why">
        <strong>Why</strong>
        <ul data-testid="risk-reasons">
          {report.reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
        {rules && (
          <details className="rules">
            <summary>How the level is decided</summary>
            <pre className="rules-text" data-testid="risk-rules">{rules}</pre>
          </details>
        )}
      </div>
    </div>
  );
}

function Findings({ findings }: { findings: ScanFinding[] }) {
  return (
    <div className="finding-groups" data-testid="findings">
      {groupFindings(findings).map((g) => (
        <section key={g.category} className="finding-group" data-category={g.category}>
          <h3>
            {g.label} <span className="muted">· {g.findings.length}</span>
          </h3>
          <ul>
            {g.findings.map((f) => (
              <li key={f.id} className="finding" data-finding={f.id} data-severity={f.severity}>
                <div className="finding-top">
                  <span className={`sev-pill sev-${f.severity}`}>{f.severity}</span>
                  <span className="finding-kind">{f.kind}</span>
                  {f.age && (
                    <span className="muted finding-age" title="Time since the file last changed">
                      {f.age === "just now" ? "changed just now" : `${f.age} old`}
                    </span>
                  )}
                </div>
                <div className="finding-where">
                  <code className="finding-location">{f.location}</code>
                  {f.fingerprint && (
                    <code className="finding-fp" title="Fingerprint: enough to recognise it, not to use it">
                      {f.fingerprint}
                    </code>
                  )}
                </div>
                <p className="finding-explanation">{f.explanation}</p>
                <p className="finding-instead">
                  <strong>Paddock instead:</strong> {f.paddock_mitigation}
                </p>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
