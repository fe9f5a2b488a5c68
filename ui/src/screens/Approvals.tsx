import { ScreenHeader } from "../components/ScreenHeader";
import { EmptyState } from "../components/EmptyState";

export function Approvals() {
  return (
    <>
      <ScreenHeader title="Approvals" lead="Tool calls the gate would not decide alone wait here for a person." />
      <EmptyState title="Nothing is waiting for you">
        <p>
          When the gate answers <strong>ask</strong> for an unattended task, the request appears here with the
          command, the rule that asked, and the task's recent timeline. You can approve, deny, or always allow it
          for that task. If nobody answers before the timeout, the gate denies.
        </p>
      </EmptyState>
    </>
  );
}
