import { StepNav } from "./StepNav";

/** Optional: the cloud admin key that Paddock mints short-lived task
 * credentials from. Set up from the terminal for now; no pretend form here. */
export function CredentialsStep(props: { onNext: () => void; onSkip: () => void }) {
  return (
    <section className="step" aria-labelledby="creds-title">
      <div className="step-head">
        <h2 id="creds-title">4. Cloud admin credentials into the OS keyring (optional)</h2>
        <p className="muted">
          Agents should never see your long-lived cloud keys. Instead, Paddock keeps one admin credential in the OS
          keyring (Secret Service on Linux, Keychain on macOS) and hands each task a short-lived, narrowly scoped
          credential made from it, which expires when the task ends. After this, the long-lived keys in
          <code>~/.aws/credentials</code> and similar files can go.
        </p>
      </div>
      <div className="card-inner">
        <p>Set it up from the terminal; the key is read from a prompt, never from the command line or the screen:</p>
        <pre className="command">
          <code>paddock creds admin-key</code>
        </pre>
        <p className="muted">
          Skip this if your agents do not need cloud access: tasks then get no cloud credentials at all.
        </p>
      </div>
      <StepNav onNext={props.onNext} onSkip={props.onSkip} nextLabel="Done, continue" />
    </section>
  );
}
