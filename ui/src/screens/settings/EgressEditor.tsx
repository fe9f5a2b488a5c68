import type { EgressSettings, SecretPresence } from "../../bindings";
import { api } from "../../api";
import { ErrorNote } from "../../components/ErrorNote";
import {
  KIND_TARGET,
  SERVICE_KINDS,
  emptyRule,
  emptyService,
  fromDraft,
  problems as findProblems,
  toDraft,
  type PolicyDraft,
  type RuleDraft,
  type ServiceDraft,
} from "./egressForm";
import { SecretInput } from "./SecretInput";
import { FieldProblem, useSettingsForm } from "./useSettingsForm";

/** Settings → Network: the allowlist, deny rules and injected services. */
export function EgressEditor() {
  const { settings, setSettings, draft, dirty, error, saved, saving, problems, valid, edit, save, discard } =
    useSettingsForm<EgressSettings, PolicyDraft>({
      load: api.egressSettings,
      save: (d) => api.egressSettingsSave(fromDraft(d)),
      toDraft: (s) => toDraft(s.policy),
      problems: findProblems,
    });
  const editRule = (list: "allow" | "deny", i: number, patch: Partial<RuleDraft>) =>
    edit((d) => ({ ...d, [list]: d[list].map((r, j) => (j === i ? { ...r, ...patch } : r)) }));
  const editService = (i: number, patch: Partial<ServiceDraft>) =>
    edit((d) => ({ ...d, services: d.services.map((s, j) => (j === i ? { ...s, ...patch } : s)) }));

  const presence = (name: string): SecretPresence | null =>
    settings?.secrets.find((s) => s.name === name.trim())?.presence ?? null;
  const onSecret = (name: string, p: SecretPresence) =>
    setSettings((s) =>
      s ? { ...s, secrets: [...s.secrets.filter((x) => x.name !== name), { name, presence: p }] } : s,
    );

  if (!settings || !draft) {
    return (
      <section className="card" data-testid="egress-settings">
        <h2>Network</h2>
        {error ? <ErrorNote error={error} /> : <p className="muted">Loading the policy…</p>}
      </section>
    );
  }

  return (
    <section className="card settings-card" data-testid="egress-settings" data-exists={settings.exists}>
      <div className="settings-card-head">
        <div>
          <h2>Network: what tasks may reach</h2>
          <p className="muted">
            Every task's traffic goes through Paddock's proxy. Deny rules win, then allow rules; anything else is
            refused, and so are IP addresses and private networks unless a rule grants them. File:{" "}
            <code data-testid="egress-path">{settings.path}</code>
          </p>
        </div>
      </div>
      {!settings.exists && (
        <div className="banner warn" data-testid="no-policy">
          <strong>No policy file yet:</strong> tasks can reach no host at all.{" "}
          <button className="link" onClick={() => edit(() => toDraft(settings.example))} data-action="use-example">
            Start from the suggested rules
          </button>{" "}
          (npm, PyPI, crates.io, telemetry blocked, the Anthropic API key injected), or add your own below.
        </div>
      )}

      <h3>Allowed hosts</h3>
      <RuleRows list="allow" rules={draft.allow} problems={problems} onEdit={editRule} onRemove={(i) => edit((d) => ({ ...d, allow: d.allow.filter((_, j) => j !== i) }))} />
      <button onClick={() => edit((d) => ({ ...d, allow: [...d.allow, emptyRule("allow")] }))} data-action="add-allow">
        Add an allowed host
      </button>

      <h3>Refused hosts</h3>
      <p className="muted small-print">The reason is shown to the agent, so it stops retrying.</p>
      <RuleRows list="deny" rules={draft.deny} problems={problems} onEdit={editRule} onRemove={(i) => edit((d) => ({ ...d, deny: d.deny.filter((_, j) => j !== i) }))} />
      <button onClick={() => edit((d) => ({ ...d, deny: [...d.deny, emptyRule("deny")] }))} data-action="add-deny">
        Add a refused host
      </button>

      <h3>API keys injected by the proxy</h3>
      <p className="muted small-print">
        The agent gets a placeholder key and a base URL on the proxy; the proxy adds the real key from the OS keyring
        and forwards over TLS. A key entered here goes straight to the keyring and is never shown again.
        {settings.keyring_problem && <span className="warn-text"> {settings.keyring_problem}</span>}
      </p>
      <div className="service-rows">
        {draft.services.map((s, i) => (
          <div className="service-row" key={s.key} data-service={s.name}>
            <div className="field-grid">
              <label>
                Name
                <input value={s.name} onChange={(e) => editService(i, { name: e.target.value })} data-field="name" placeholder="anthropic" />
                <FieldProblem at={`services.${i}.name`} problems={problems} />
              </label>
              <label>
                Kind
                <select value={s.kind} onChange={(e) => editService(i, { kind: e.target.value })} data-field="kind">
                  {SERVICE_KINDS.map((k) => (
                    <option key={k} value={k}>
                      {k}
                    </option>
                  ))}
                </select>
                <span className="muted small">{KIND_TARGET[s.kind]}</span>
              </label>
              <label>
                Keyring entry
                <input value={s.secret} onChange={(e) => editService(i, { secret: e.target.value })} data-field="secret" placeholder="anthropic-api-key" />
                <FieldProblem at={`services.${i}.secret`} problems={problems} />
              </label>
              {s.kind === "custom" && (
                <>
                  <label>
                    Upstream
                    <input value={s.upstream} onChange={(e) => editService(i, { upstream: e.target.value })} data-field="upstream" placeholder="https://api.internal.example.com" />
                    <FieldProblem at={`services.${i}.upstream`} problems={problems} />
                  </label>
                  <label>
                    Header
                    <input value={s.header} onChange={(e) => editService(i, { header: e.target.value })} data-field="header" placeholder="x-api-token" />
                    <FieldProblem at={`services.${i}.header`} problems={problems} />
                  </label>
                  <label>
                    Value
                    <input value={s.value} onChange={(e) => editService(i, { value: e.target.value })} data-field="value" placeholder="{secret}" />
                    <FieldProblem at={`services.${i}.value`} problems={problems} />
                  </label>
                </>
              )}
            </div>
            <div className="service-key">
              {s.secret.trim() && (
                <SecretInput
                  label={`Key for ${s.secret.trim()}`}
                  presence={presence(s.secret)}
                  store={(v) => api.egressSetSecret(s.secret.trim(), v).then((r) => (onSecret(r.name, r.presence), r.presence))}
                  clear={() => api.egressClearSecret(s.secret.trim()).then((r) => (onSecret(r.name, r.presence), r.presence))}
                  testid={`egress-secret-${s.secret.trim()}`}
                />
              )}
              <button className="link" onClick={() => edit((d) => ({ ...d, services: d.services.filter((_, j) => j !== i) }))} data-action="remove-service">
                Remove service
              </button>
            </div>
          </div>
        ))}
      </div>
      <button onClick={() => edit((d) => ({ ...d, services: [...d.services, emptyService()] }))} data-action="add-service">
        Add a service
      </button>

      {error && (
        <div className="save-error">
          <ErrorNote error={error} />
        </div>
      )}
      <div className="save-bar">
        {saved && (
          <span className="ok-text" role="status" data-testid="egress-saved">
            Saved to <code>{saved}</code>. New tasks use it; <code>paddock egress check URL</code> shows what it does
            with a URL.
          </span>
        )}
        {!valid && <span className="warn-text">Fix the fields marked in red to save.</span>}
        <button onClick={discard} disabled={!dirty || saving} data-action="discard-egress">
          Discard changes
        </button>
        <button className="primary" onClick={() => void save()} disabled={!dirty || !valid || saving} data-action="save-egress">
          {saving ? "Saving…" : "Save policy"}
        </button>
      </div>
    </section>
  );
}

function RuleRows(props: {
  list: "allow" | "deny";
  rules: RuleDraft[];
  problems: Record<string, string>;
  onEdit: (list: "allow" | "deny", i: number, patch: Partial<RuleDraft>) => void;
  onRemove: (i: number) => void;
}) {
  const { list, rules, problems } = props;
  if (!rules.length) {
    return <p className="muted small-print">{list === "allow" ? "None: every host is refused." : "None."}</p>;
  }
  return (
    <table className="rule-table" data-testid={`${list}-rules`}>
      <thead>
        <tr>
          <th>Name</th>
          <th>Hosts</th>
          <th>Ports</th>
          {list === "deny" ? <th>Reason shown to the agent</th> : <th>Private addresses</th>}
          <th aria-label="Remove" />
        </tr>
      </thead>
      <tbody>
        {rules.map((r, i) => (
          <tr key={r.key} data-rule={r.id}>
            <td>
              <input value={r.id} onChange={(e) => props.onEdit(list, i, { id: e.target.value })} aria-label="Rule name" data-field="id" />
              <FieldProblem at={`${list}.${i}.id`} problems={problems} />
            </td>
            <td>
              <input
                className="hosts"
                value={r.hosts}
                onChange={(e) => props.onEdit(list, i, { hosts: e.target.value })}
                aria-label="Hosts"
                placeholder="registry.npmjs.org, *.example.com"
                data-field="hosts"
              />
              <FieldProblem at={`${list}.${i}.hosts`} problems={problems} />
            </td>
            <td>
              <input
                className="ports"
                value={r.ports}
                onChange={(e) => props.onEdit(list, i, { ports: e.target.value })}
                aria-label="Ports"
                placeholder={list === "allow" ? "80, 443" : "all"}
                data-field="ports"
              />
              <FieldProblem at={`${list}.${i}.ports`} problems={problems} />
            </td>
            <td>
              {list === "deny" ? (
                <input value={r.reason} onChange={(e) => props.onEdit(list, i, { reason: e.target.value })} aria-label="Reason" data-field="reason" />
              ) : (
                <label className="toggle" title="Allow these hosts to resolve to loopback or private addresses">
                  <input type="checkbox" checked={r.private} onChange={(e) => props.onEdit(list, i, { private: e.target.checked })} data-field="private" />
                  allowed
                </label>
              )}
            </td>
            <td>
              <button className="link" onClick={() => props.onRemove(i)} aria-label={`Remove ${r.id || "rule"}`} data-action="remove-rule">
                Remove
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
