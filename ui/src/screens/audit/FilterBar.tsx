import { useState } from "react";
import type { AuditActor, AuditFilter, AuditKind, AuditTask } from "../../bindings";
import { ACTORS, KINDS, label } from "./format";

const DECISIONS = ["allow", "ask", "deny", "ok", "error"];

/** Edits a draft; the table follows only when the user applies it. */
export function FilterBar(props: { value: AuditFilter; tasks: AuditTask[]; onApply: (f: AuditFilter) => void }) {
  const [draft, setDraft] = useState<AuditFilter>(props.value);
  const set = (patch: Partial<AuditFilter>) => setDraft((d) => ({ ...d, ...patch }));
  const apply = (f: AuditFilter = draft) => props.onApply(f);

  return (
    <form
      className="filter-bar"
      onSubmit={(e) => {
        e.preventDefault();
        apply();
      }}
    >
      <input
        type="search"
        className="grow"
        placeholder="Search actions, commands, hosts, details…"
        aria-label="Search"
        value={draft.text ?? ""}
        onChange={(e) => set({ text: e.target.value || null })}
      />
      <select aria-label="Kind" value={draft.kinds[0] ?? ""} onChange={(e) => set({ kinds: e.target.value ? [e.target.value as AuditKind] : [] })}>
        <option value="">Any kind</option>
        {KINDS.map((k) => (
          <option key={k} value={k}>{label(k)}</option>
        ))}
      </select>
      <select aria-label="Actor" value={draft.actors[0] ?? ""} onChange={(e) => set({ actors: e.target.value ? [e.target.value as AuditActor] : [] })}>
        <option value="">Any actor</option>
        {ACTORS.map((a) => (
          <option key={a} value={a}>{label(a)}</option>
        ))}
      </select>
      <select aria-label="Decision" value={draft.outcomes[0] ?? ""} onChange={(e) => set({ outcomes: e.target.value ? [e.target.value] : [] })}>
        <option value="">Any outcome</option>
        {DECISIONS.map((d) => (
          <option key={d} value={d}>{d}</option>
        ))}
      </select>
      <select aria-label="Task" value={draft.task_id ?? ""} onChange={(e) => set({ task_id: e.target.value || null })}>
        <option value="">Any task</option>
        {props.tasks.map((t) => (
          <option key={t.task_id} value={t.task_id}>
            {t.task_id} ({t.events})
          </option>
        ))}
      </select>
      <input
        className="time"
        placeholder="From: 2h, 2026-11-23…"
        aria-label="From"
        value={draft.since ?? ""}
        onChange={(e) => set({ since: e.target.value || null })}
      />
      <input
        className="time"
        placeholder="Until"
        aria-label="Until"
        value={draft.until ?? ""}
        onChange={(e) => set({ until: e.target.value || null })}
      />
      <button type="submit" className="primary">Apply</button>
      <button
        type="button"
        onClick={() => {
          const empty: AuditFilter = { since: null, until: null, task_id: null, actors: [], kinds: [], outcomes: [], text: null };
          setDraft(empty);
          apply(empty);
        }}
      >
        Clear
      </button>
    </form>
  );
}
