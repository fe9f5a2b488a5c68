import { useEffect, useMemo, useState } from "react";
import type { WireError } from "../../bindings";

/**
 * The edit cycle both settings forms share: load what the backend has, keep
 * an editable draft with its problems found as it is typed, save the draft
 * only when it has none, and adopt what the backend answers (the file as
 * saved). `S` is what the backend sends, `D` the draft.
 */
export function useSettingsForm<S extends { path: string }, D>(opts: {
  load: () => Promise<S>;
  save: (draft: D) => Promise<S>;
  toDraft: (s: S) => D;
  problems: (draft: D) => Record<string, string>;
  /** Called with each settings adopted, e.g. to clear state of the caller's own. */
  onAdopt?: (s: S) => void;
}) {
  const [settings, setSettings] = useState<S | null>(null);
  const [draft, setDraft] = useState<D | null>(null);
  const [dirty, setDirty] = useState(false);
  const [error, setError] = useState<WireError | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const { load, save: send, toDraft, problems: findProblems, onAdopt } = opts;

  const adopt = (s: S) => {
    setSettings(s);
    setDraft(toDraft(s));
    setDirty(false);
    onAdopt?.(s);
  };

  // Load once, on mount.
  useEffect(() => {
    load().then(adopt, setError);
  }, []);

  const problems = useMemo(() => (draft ? findProblems(draft) : {}), [draft, findProblems]);
  const valid = Object.keys(problems).length === 0;

  const edit = (f: (d: D) => D) => {
    setDraft((d) => (d ? f(d) : d));
    setDirty(true);
    setSaved(null);
    setError(null);
  };

  const save = async () => {
    if (!draft || !valid) return;
    setSaving(true);
    setError(null);
    try {
      const s = await send(draft);
      adopt(s);
      setSaved(s.path);
    } catch (e) {
      setError(e as WireError);
    } finally {
      setSaving(false);
    }
  };

  const discard = () => {
    if (settings) adopt(settings);
  };

  return { settings, setSettings, draft, setDraft, dirty, error, saved, saving, problems, valid, edit, save, discard };
}

/** The problem found at `at` in a draft, shown beside its field. */
export function FieldProblem({ at, problems }: { at: string; problems: Record<string, string> }) {
  const p = problems[at];
  return p ? (
    <span className="field-problem" role="alert" data-problem={at}>
      {p}
    </span>
  ) : null;
}
