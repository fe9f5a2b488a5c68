import { ScreenHeader } from "../components/ScreenHeader";
import { EmptyState } from "../components/EmptyState";

export function Credentials() {
  return (
    <>
      <ScreenHeader
        title="Credentials"
        lead="Cloud access is leased per task, scoped to what the task needs, and revoked when it ends."
      />
      <EmptyState title="No live leases" command="paddock run --grant 's3:read my-bucket/reports' -- …">
        <p>
          When a task asks for AWS or GCP access, its short-lived lease shows here: the principal, the scope, a
          countdown to expiry and a <em>Revoke now</em> button. Revoked and expired leases move to the history.
        </p>
        <p>Your admin credentials stay in the OS keyring and never reach an agent.</p>
      </EmptyState>
    </>
  );
}
