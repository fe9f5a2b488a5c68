import { useCallback, useEffect, useState } from "react";
import type { TaskSummary, WireError } from "../bindings";
import { api } from "../api";
import { EmptyState } from "../components/EmptyState";
import { ErrorNote } from "../components/ErrorNote";
import { ScreenHeader } from "../components/ScreenHeader";
import { onEngineUpdate } from "../engineFeed";
import { LaunchDialog } from "./tasks/LaunchDialog";
import { TaskPage } from "./tasks/TaskPage";
import { ago, stateTone } from "./tasks/format";

export function Tasks() {
  const [tasks, setTasks] = useState<TaskSummary[] | null>(null);
  const [error, setError] = useState<WireError | null>(null);
  const [launching, setLaunching] = useState(false);
  const [open, setOpen] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setTasks(await api.tasksList());
      setError(null);
    } catch (e) {
      setError(e as WireError);
    }
  }, []);

  useEffect(() => {
    void load();
    return onEngineUpdate((u) => {
      if (u.type !== "task") return;
      setTasks((list) => {
        if (!list) return list;
        const rest = list.filter((t) => t.id !== u.task.id);
        return [u.task, ...rest].sort((a, b) => b.created_at.localeCompare(a.created_at));
      });
    });
  }, [load]);

  const header = (
    <ScreenHeader
      title="Tasks"
      lead="Each task runs one agent in its own git worktree, inside a sandbox, behind the gate."
      actions={<button type="button" className="primary" onClick={() => setLaunching(true)} disabled={launching}>New task</button>}
    />
  );
  return (
    <>
      {header}
      {error && <ErrorNote error={error} />}
      {launching && (
        <LaunchDialog
          onCancel={() => setLaunching(false)}
          onLaunched={(t) => {
            setLaunching(false);
            setTasks((list) => [t, ...(list ?? []).filter((x) => x.id !== t.id)]);
            setOpen(t.id);
          }}
        />
      )}
      {open && <TaskPage id={open} onClose={() => setOpen(null)} />}
      {tasks && tasks.length === 0 && !launching && (
        <EmptyState title="No tasks yet" command={'paddock run --agent claude --repo ~/code/my-project -- "fix the flaky test"'}>
          <p>
            A task appears here with its state, its live output, the gate's decisions, its network requests and,
            when it ends, the diff Paddock committed on branch <code>paddock/&lt;task&gt;</code>.
          </p>
          <p>Start one with <strong>New task</strong>, or from the command line:</p>
        </EmptyState>
      )}
      {tasks && tasks.length > 0 && (
        <table className="task-table" data-testid="task-list">
          <thead>
            <tr><th>State</th><th>Task</th><th>Agent</th><th>Repository</th><th>Started</th><th>Commit</th></tr>
          </thead>
          <tbody>
            {tasks.map((t) => (
              <tr key={t.id} className={t.id === open ? "selected" : undefined} onClick={() => setOpen(t.id)} data-task-id={t.id}>
                <td><span className={`chip state-${stateTone(t.state)}`}>{t.state}</span></td>
                <td className="ellipsis" title={t.prompt}><button type="button" className="link">{t.prompt}</button></td>
                <td>{t.agent}{t.bypass ? <span className="badge bad small">bypass</span> : null}</td>
                <td className="mono ellipsis" title={t.repo}>{t.repo}</td>
                <td title={t.created_at}>{ago(t.started_at ?? t.created_at)}</td>
                <td className="mono">{t.commit ? t.commit.slice(0, 10) : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
