import { ScreenHeader } from "../components/ScreenHeader";
import { EmptyState } from "../components/EmptyState";

export function Tasks() {
  return (
    <>
      <ScreenHeader title="Tasks" lead="Each task runs one agent in its own git worktree, inside a sandbox, behind the gate." />
      <EmptyState
        title="No tasks yet"
        command={'paddock run --agent claude --repo ~/code/my-project -- "fix the flaky test"'}
      >
        <p>
          A task appears here with its state, its live output, the gate's decisions, its network requests and,
          when it ends, the diff Paddock committed on branch <code>paddock/&lt;task&gt;</code>.
        </p>
        <p>Start one from the command line:</p>
      </EmptyState>
    </>
  );
}
