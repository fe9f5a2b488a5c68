import { useEffect, useState } from "react";
import type { GatePack, WireError } from "../../bindings";
import { api } from "../../api";
import { ErrorNote } from "../../components/ErrorNote";
import { updateOnboarding, useOnboarding } from "../../onboardingStore";
import { StepNav } from "./StepNav";
import { chosenPacks, packsOff, togglePack } from "./wizard";

export function PacksStep(props: { onNext: () => void; onSkip: () => void }) {
  const { state } = useOnboarding();
  const [packs, setPacks] = useState<GatePack[] | null>(null);
  const [error, setError] = useState<WireError | null>(null);

  useEffect(() => {
    api.gatePacks().then(setPacks, setError);
  }, []);

  const all = packs?.map((p) => p.id) ?? [];
  const chosen = chosenPacks(state, all);
  const off = packsOff(state, all);

  const save = () => {
    void updateOnboarding((s) => ({ ...s, packs: chosen }));
    props.onNext();
  };

  return (
    <section className="step" aria-labelledby="packs-title">
      <div className="step-head">
        <h2 id="packs-title">5. What the gate blocks</h2>
        <p className="muted">
          Every tool call an agent makes goes through Paddock's gate before it runs. Rule packs decide what is denied
          outright and what waits for your approval; everything else runs. All built-in packs are on by default.
        </p>
      </div>
      {error && <ErrorNote error={error} />}
      {packs === null && !error && <p className="muted">Loading the gate's packs…</p>}
      {packs && (
        <ul className="packs" data-testid="gate-packs">
          {packs.map((p) => {
            const on = chosen.includes(p.id);
            const deny = p.rules.filter((r) => r.verdict === "deny").length;
            const ask = p.rules.filter((r) => r.verdict === "ask").length;
            return (
              <li key={p.id} className={`pack${on ? " on" : ""}`} data-pack={p.id}>
                <label className="pack-head">
                  <input
                    type="checkbox"
                    checked={on}
                    onChange={(e) =>
                      void updateOnboarding((s) => ({ ...s, packs: togglePack(chosenPacks(s, all), p.id, e.target.checked, all) }))
                    }
                    data-action="toggle-pack"
                  />
                  <span className="pack-id">{p.id}</span>
                  <span className="muted pack-counts">
                    {deny > 0 && `${deny} denied`}
                    {deny > 0 && ask > 0 && " · "}
                    {ask > 0 && `${ask} need approval`}
                  </span>
                </label>
                <p className="pack-desc">{p.description}</p>
                <details>
                  <summary>What it blocks</summary>
                  <ul className="pack-rules">
                    {p.rules.map((r) => (
                      <li key={r.id}>
                        <span className={`verdict verdict-${r.verdict}`}>{r.verdict}</span> {r.reason}{" "}
                        {/* Two rules may give one reason (filter-branch, filter-repo): the id tells them apart. */}
                        <code className="rule-id">{r.id.startsWith(`${p.id}.`) ? r.id.slice(p.id.length + 1) : r.id}</code>
                      </li>
                    ))}
                  </ul>
                </details>
              </li>
            );
          })}
        </ul>
      )}
      {off.length > 0 && (
        <div className="banner warn" role="status">
          With {off.join(", ")} off, agents can do what {off.length === 1 ? "that pack stops" : "those packs stop"} without
          asking anyone.
        </div>
      )}
      <p className="muted small-print">
        Your choice is saved in <code>onboarding.json</code> in Paddock's data folder. Tasks started after this, from
        the app or with <code>paddock run</code>, use it, and each names the packs that are off in its audit trail.
      </p>
      <StepNav onNext={save} onSkip={props.onSkip} nextLabel="Save and continue" nextDisabled={!packs} />
    </section>
  );
}
