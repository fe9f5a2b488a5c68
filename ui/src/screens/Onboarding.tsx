import { useEffect, useState } from "react";
import type { BypassWarning, CheckResult, OnboardingStep, ScanComparison, ScanReport } from "../bindings";
import { ScreenHeader } from "../components/ScreenHeader";
import { ErrorNote } from "../components/ErrorNote";
import { loadOnboarding, updateOnboarding, useOnboarding } from "../onboardingStore";
import { STEPS, dismiss, goTo, leaveStep, restart, stepIndex, stepStatus } from "./onboarding/wizard";
import { RiskStep } from "./onboarding/RiskStep";
import { BypassStep } from "./onboarding/BypassStep";
import { SandboxStep } from "./onboarding/SandboxStep";
import { CredentialsStep } from "./onboarding/CredentialsStep";
import { PacksStep } from "./onboarding/PacksStep";
import { DoneStep } from "./onboarding/DoneStep";

/** What the steps found this session, for the summary at the end. Results
 * live here (not in each step) so moving between steps keeps them. */
export interface SessionResults {
  report: ScanReport | null;
  warnings: BypassWarning[] | null;
  checks: CheckResult[] | null;
  comparison: ScanComparison | null;
}

export function Onboarding() {
  const { state, loaded, loadFailed, error } = useOnboarding();
  const [results, setResults] = useState<SessionResults>({ report: null, warnings: null, checks: null, comparison: null });

  useEffect(() => {
    void loadOnboarding();
  }, []);

  const step = state.step;
  const index = stepIndex(step);
  const next = (how: "completed" | "skipped") => void updateOnboarding((s) => leaveStep(s, step, how));
  const open = (id: OnboardingStep) => void updateOnboarding((s) => goTo(s, id));

  return (
    <div className="onboarding" data-step={step}>
      <ScreenHeader
        title="Onboarding"
        lead="Before an agent runs unattended, see what it could reach on this machine and what Paddock takes away."
        actions={
          state.finished || state.dismissed ? (
            <button onClick={() => void updateOnboarding(restart)} data-action="restart-wizard">
              Start over
            </button>
          ) : (
            <button onClick={() => void updateOnboarding(dismiss)} data-action="dismiss-wizard" title="Resume any time from Onboarding in the sidebar">
              Close the walkthrough
            </button>
          )
        }
      />
      {/* An unreachable engine is already announced by the app shell, once. */}
      {error && !(loadFailed && error.code === "unavailable") && <ErrorNote error={error} />}
      {state.dismissed && !state.finished && (
        <div className="banner info" role="status">
          The walkthrough is closed; Paddock no longer opens on it. You are at step {index + 1} of {STEPS.length}; carry on
          whenever you like.
        </div>
      )}
      <ol className="stepper" aria-label="Walkthrough steps">
        {STEPS.map((s, i) => {
          const status = stepStatus(state, s.id);
          return (
            <li key={s.id} className={`stepper-item ${status}`}>
              <button
                onClick={() => open(s.id)}
                aria-current={status === "current" ? "step" : undefined}
                data-step-link={s.id}
                data-status={status}
                disabled={!loaded || loadFailed}
              >
                <span className="stepper-num" aria-hidden="true">
                  {status === "completed" ? "✓" : status === "skipped" ? "–" : i + 1}
                </span>
                <span className="stepper-text">
                  <span className="stepper-title">{s.title}</span>
                  <span className="stepper-lead">{status === "skipped" ? "Skipped" : s.lead}</span>
                </span>
              </button>
            </li>
          );
        })}
      </ol>
      {loaded && !loadFailed && (
        <StepBody
          step={step}
          results={results}
          setResults={setResults}
          onNext={() => next("completed")}
          onSkip={() => next("skipped")}
        />
      )}
    </div>
  );
}

function StepBody(props: {
  step: OnboardingStep;
  results: SessionResults;
  setResults: (f: (r: SessionResults) => SessionResults) => void;
  onNext: () => void;
  onSkip: () => void;
}) {
  const { step, results, setResults, onNext, onSkip } = props;
  switch (step) {
    case "risk":
      return (
        <RiskStep
          report={results.report}
          onReport={(report) => setResults((r) => ({ ...r, report }))}
          comparison={results.comparison}
          onComparison={(comparison) => setResults((r) => ({ ...r, comparison }))}
          onNext={onNext}
          onSkip={onSkip}
        />
      );
    case "bypass":
      return <BypassStep onWarnings={(warnings) => setResults((r) => ({ ...r, warnings }))} onNext={onNext} onSkip={onSkip} />;
    case "sandbox":
      return (
        <SandboxStep
          results={results.checks}
          onResults={(checks) => setResults((r) => ({ ...r, checks }))}
          onNext={onNext}
          onSkip={onSkip}
        />
      );
    case "credentials":
      return <CredentialsStep onNext={onNext} onSkip={onSkip} />;
    case "packs":
      return <PacksStep onNext={onNext} onSkip={onSkip} />;
    case "done":
      return <DoneStep results={results} />;
  }
}
