import { useState } from "react";
import type { AgentKind, TaskSummary, WireError } from "../../bindings";
import { api } from "../../api";
import { ErrorNote } from "../../components/ErrorNote";
import { EMPTY_FORM, type LaunchForm, TOOL_CACHES, checkLaunch } from "./launch";

const AGENTS: { id: AgentKind; label: string }[] = [
  { id: "claude", label: "Claude Code" },
  { id: "codex", label: "Codex" },
  { id: "cmd", label: "Any command" },
];

/** Repo, agent, prompt, network allowlist, cloud grants, time to live. */
export function LaunchDialog(props: { onLaunched: (t: TaskSummary) => void; onCancel: () => void }) {
  const [form, setForm] = useState<LaunchForm>(EMPTY_FORM);
  const [errors, setErrors] = useState<Partial<Record<keyof LaunchForm, string>>>({});
  const [failure, setFailure] = useState<WireError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof LaunchForm>(k: K, v: LaunchForm[K]) => setForm((f) => ({ ...f, [k]: v }));

  const submit = async () => {
    const checked = checkLaunch(form);
    if (!checked.ok) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    setFailure(null);
    setBusy(true);
    try {
      props.onLaunched(await api.taskLaunch(checked.launch));
    } catch (e) {
      setFailure(e as WireError);
    } finally {
      setBusy(false);
    }
  };

  const field = (k: keyof LaunchForm) => errors[k] && <span className="field-error" role="alert">{errors[k]}</span>;
  return (
    <section className="card launch" aria-label="New task" data-testid="launch-dialog">
      <h2>New task</h2>
      {failure && <ErrorNote error={failure} />}
      <div className="form-grid">
        <label>
          Repository
          <input name="repo" placeholder="/home/you/code/project" value={form.repo} onChange={(e) => set("repo", e.target.value)} />
          {field("repo")}
        </label>
        <label>
          Agent
          <select name="agent" value={form.agent} onChange={(e) => set("agent", e.target.value as AgentKind)}>
            {AGENTS.map((a) => (
              <option key={a.id} value={a.id}>{a.label}</option>
            ))}
          </select>
        </label>
        <label className="wide">
          {form.agent === "cmd" ? "Command" : "Prompt"}
          <textarea name="prompt" rows={3} value={form.prompt} onChange={(e) => set("prompt", e.target.value)}
            placeholder={form.agent === "cmd" ? "cargo test --workspace" : "Fix the flaky test in tests/api.rs"} />
          {field("prompt")}
        </label>
        <label>
          Extra hosts the agent may reach
          <textarea name="hosts" rows={2} value={form.hosts} onChange={(e) => set("hosts", e.target.value)} placeholder="crates.io, *.npmjs.org" />
          <span className="hint-text">The agent's own API is always allowed. Everything else is refused.</span>
          {field("hosts")}
        </label>
        <label>
          Cloud grants, one per line
          <textarea name="grants" rows={2} value={form.grants} onChange={(e) => set("grants", e.target.value)} placeholder="s3:read my-bucket/reports" />
          <span className="hint-text">Short-lived credentials for this task only, revoked when it ends.</span>
        </label>
        <fieldset className="caches" data-testid="tool-caches">
          <legend>Sandbox: tool caches the agent may write</legend>
          {TOOL_CACHES.map((c) => (
            <label key={c} className="check-line">
              <input type="checkbox" name={`cache-${c}`} checked={form.toolCaches.includes(c)}
                onChange={(e) => set("toolCaches", e.target.checked ? [...form.toolCaches, c] : form.toolCaches.filter((x) => x !== c))} />
              {c}
            </label>
          ))}
          <span className="hint-text">Shared with your HOME so downloads are reused. Everything else in HOME stays out of reach.</span>
        </fieldset>
        <label>
          Stop after (minutes)
          <input name="ttl" inputMode="numeric" value={form.ttlMinutes} onChange={(e) => set("ttlMinutes", e.target.value)} />
          {field("ttlMinutes")}
        </label>
        {form.agent !== "cmd" && (
          <label className="check-line">
            <input type="checkbox" name="bypass" checked={form.bypass} onChange={(e) => set("bypass", e.target.checked)} />
            Bypass mode: no per-action prompts
          </label>
        )}
      </div>
      {form.agent !== "cmd" && form.bypass && (
        <div className="banner danger" role="note">
          <strong>Bypass mode is on.</strong> The agent will not ask before acting. What keeps it in bounds is the
          sandbox, the gate and the network allowlist — and every "ask" from the gate will wait in Approvals.
        </div>
      )}
      <div className="actions">
        <button type="button" onClick={props.onCancel} disabled={busy}>Cancel</button>
        <button type="button" className="primary" onClick={submit} disabled={busy}>{busy ? "Starting…" : "Run task"}</button>
      </div>
    </section>
  );
}
