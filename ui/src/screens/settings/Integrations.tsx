import { useCallback, useEffect, useState } from "react";
import type { IntegrationsOverview, TaskProposal, WebhookSource, WireError } from "../../bindings";
import { api } from "../../api";
import { ErrorNote } from "../../components/ErrorNote";
import { localTime } from "../audit/format";
import { SecretInput } from "./SecretInput";

const SOURCES: Record<WebhookSource, { title: string; what: string }> = {
  slack: { title: "Slack", what: "the app's signing secret (Basic Information → App Credentials)" },
  github: { title: "GitHub", what: "the webhook's secret (Settings → Webhooks → Secret)" },
};

const RULES_EXAMPLE = `# Proposals that match a rule run without waiting for approval.
[[auto_run]]
id = "docs-team"
source = "github"
repos = ["acme/docs"]
senders = ["octocat"]
labels = ["paddock:auto"]
`;

/** Settings → Integrations: Slack and GitHub webhooks that propose tasks. */
export function Integrations() {
  const [o, setO] = useState<IntegrationsOverview | null>(null);
  const [error, setError] = useState<WireError | null>(null);
  const [rulesText, setRulesText] = useState<string | null>(null);
  const [rulesNote, setRulesNote] = useState<string | null>(null);
  const [rulesError, setRulesError] = useState<WireError | null>(null);

  const load = useCallback(async () => {
    try {
      const next = await api.integrationsOverview();
      setO(next);
      setRulesText((t) => t ?? next.rules.text);
    } catch (e) {
      setError(e as WireError);
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const decide = async (p: TaskProposal, approve: boolean) => {
    setError(null);
    try {
      await api.webhooksDecide(p.id, approve);
    } catch (e) {
      setError(e as WireError);
    }
    await load();
  };

  const saveRules = async () => {
    setRulesError(null);
    setRulesNote(null);
    try {
      const r = await api.webhooksSaveRules(rulesText ?? "");
      setO((cur) => (cur ? { ...cur, rules: r } : cur));
      setRulesNote(`Saved ${r.rules.length} rule${r.rules.length === 1 ? "" : "s"} to ${r.path}. The listener reads them when it starts.`);
    } catch (e) {
      setRulesError(e as WireError);
    }
  };

  if (!o) {
    return (
      <section className="card" data-testid="integrations">
        <h2>Integrations</h2>
        {error ? <ErrorNote error={error} /> : <p className="muted">Loading…</p>}
      </section>
    );
  }

  const pending = o.proposals.filter((p) => p.state === "pending");
  return (
    <section className="card settings-card" data-testid="integrations">
      <h2>Integrations: tasks proposed from Slack and GitHub</h2>
      <p className="muted">
        Paddock's listener verifies every request's signature before reading it, and turns verified requests into
        proposals that wait for your approval here. Start it with <code>{o.serve_command}</code> (loopback by
        default; put a TLS tunnel or reverse proxy in front).
      </p>
      {error && <ErrorNote error={error} />}

      <h3>Signing secrets</h3>
      <div className="webhook-secrets">
        {o.secrets.map((s) => (
          <div key={s.source} className="webhook-secret" data-source={s.source}>
            <div>
              <strong>{SOURCES[s.source].title}</strong> <span className="muted small">{s.endpoints}</span>
              <div className="muted small">Paste {SOURCES[s.source].what}.</div>
              {s.problem && <div className="warn-text small">{s.problem}</div>}
            </div>
            <SecretInput
              label={`${SOURCES[s.source].title} signing secret`}
              presence={s.presence}
              store={(v) => api.webhooksSetSecret(s.source, v).then((r) => r.presence)}
              clear={() => api.webhooksClearSecret(s.source).then((r) => r.presence)}
              testid={`webhook-secret-${s.source}`}
            />
          </div>
        ))}
      </div>

      <h3>Auto-run rules</h3>
      <p className="muted small-print">
        Without rules every proposal waits for approval. A rule must name repositories and senders; there is no
        "everyone". File: <code data-testid="rules-path">{o.rules.path}</code>
        {!o.rules.exists && " (not created yet)"}
      </p>
      {o.rules.error && (
        <div className="banner warn" role="alert">
          <strong>The rules file does not load:</strong> {o.rules.error}. The listener refuses to start until it is fixed.
        </div>
      )}
      <textarea
        className="rules-editor"
        value={rulesText ?? ""}
        onChange={(e) => setRulesText(e.target.value)}
        placeholder={RULES_EXAMPLE}
        spellCheck={false}
        rows={8}
        aria-label="Auto-run rules (TOML)"
        data-input="rules"
      />
      {rulesError && <ErrorNote error={rulesError} />}
      <div className="save-bar">
        {rulesNote && (
          <span className="ok-text" role="status" data-testid="rules-saved">
            {rulesNote}
          </span>
        )}
        <button onClick={() => setRulesText(o.rules.text)} disabled={rulesText === o.rules.text} data-action="discard-rules">
          Discard changes
        </button>
        <button className="primary" onClick={() => void saveRules()} disabled={rulesText === o.rules.text} data-action="save-rules">
          Check and save rules
        </button>
      </div>
      {o.rules.rules.length > 0 && (
        <ul className="rule-list" data-testid="auto-run-rules">
          {o.rules.rules.map((r) => (
            <li key={r.id}>
              <strong>{r.id}</strong>: {r.source ?? "Slack or GitHub"}, repos {r.repos.join(", ")}, from {r.senders.join(", ")}
              {r.labels.length ? `, labelled ${r.labels.join(" or ")}` : ""}
            </li>
          ))}
        </ul>
      )}

      <h3>
        Proposals <span className="muted">· {pending.length} waiting</span>
      </h3>
      {o.proposals.length === 0 ? (
        <p className="muted small-print">None yet. A verified Slack command or GitHub issue event shows up here.</p>
      ) : (
        <ul className="proposals" data-testid="proposals">
          {o.proposals.map((p) => (
            <li key={p.id} className={`proposal state-${p.state}`} data-proposal={p.id} data-state={p.state}>
              <div className="proposal-top">
                <span className={`state-pill state-${p.state}`}>{p.state}</span>
                <strong className="mono">{p.repo}</strong>
                <span className="muted small">
                  from {p.sender} via {SOURCES[p.source].title}, {localTime(p.created_at)}
                </span>
              </div>
              <p className="proposal-prompt">{p.prompt}</p>
              {p.reference && <div className="muted small wrap">{p.reference}</div>}
              {p.state === "pending" ? (
                <div className="confirm-actions">
                  <button onClick={() => void decide(p, false)} data-action="reject">
                    Reject
                  </button>
                  <button className="primary" onClick={() => void decide(p, true)} data-action="approve">
                    Approve
                  </button>
                </div>
              ) : (
                <div className="muted small">
                  {p.state} by {p.decided_by ?? "?"}
                  {p.decided_at ? `, ${localTime(p.decided_at)}` : ""}
                  {p.task_id && <> · task <code>{p.task_id}</code></>}
                  {p.launch_error && <div className="field-error">Not started: {p.launch_error}</div>}
                </div>
              )}
            </li>
          ))}
        </ul>
      )}

      <h3>Recent deliveries</h3>
      {o.deliveries.length === 0 ? (
        <p className="muted small-print">None received yet. Each request, accepted or refused, is listed with its verdict.</p>
      ) : (
        <table className="delivery-table" data-testid="deliveries">
          <thead>
            <tr>
              <th>Received</th>
              <th>Endpoint</th>
              <th>Status</th>
              <th>Verdict</th>
              <th>Why</th>
            </tr>
          </thead>
          <tbody>
            {o.deliveries.map((d) => (
              <tr key={d.id} data-verdict={d.verdict}>
                <td className="small">{localTime(d.received_at, true)}</td>
                <td className="mono small">{d.endpoint}</td>
                <td className="num">{d.status}</td>
                <td>
                  <span className={`outcome ${d.verdict === "accepted" ? "good" : d.verdict === "rejected" ? "bad" : ""}`}>{d.verdict}</span>
                </td>
                <td className="small wrap">{d.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
