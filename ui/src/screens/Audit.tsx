import { ScreenHeader } from "../components/ScreenHeader";
import { EmptyState } from "../components/EmptyState";

export function Audit() {
  return (
    <>
      <ScreenHeader
        title="Audit"
        lead="An append-only, tamper-evident record of every tool call, gate decision, request and credential."
      />
      <EmptyState title="No events recorded yet" command="paddock audit list">
        <p>
          Every gate decision, sandbox launch, network request, credential lease and approval is written here,
          hash-chained and signed, so nobody — the agent included — can rewrite it quietly. Events appear as soon
          as a task runs.
        </p>
      </EmptyState>
    </>
  );
}
