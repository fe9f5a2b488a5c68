/** The bar under every step: skip always works, next says what it does. */
export function StepNav(props: { onNext: () => void; onSkip: () => void; nextLabel?: string; nextDisabled?: boolean; hint?: string }) {
  return (
    <div className="step-nav">
      {props.hint && <span className="muted hint-text">{props.hint}</span>}
      <button onClick={props.onSkip} data-action="skip-step">
        Skip for now
      </button>
      <button className="primary" onClick={props.onNext} disabled={props.nextDisabled} data-action="next-step">
        {props.nextLabel ?? "Continue"}
      </button>
    </div>
  );
}

