import type { AdminKeyStatus } from "../../bindings";

const JSON_SHAPE = '{"access_key_id": "AKIA…", "secret_access_key": "…"}';

/** Whether the provisioning key is in the OS keyring. Never the key itself. */
export function AdminKeyCard({ admin }: { admin: AdminKeyStatus }) {
  const k = admin.key;
  return (
    <section className="card admin-key" data-testid="admin-key" data-status={k.status}>
      <div className="admin-key-head">
        <h2>AWS admin key</h2>
        {k.status === "configured" && <span className="badge good">In the OS keyring</span>}
        {k.status === "missing" && <span className="badge">Not set up</span>}
        {k.status === "unreadable" && <span className="badge bad">Cannot be read</span>}
      </div>
      {k.status === "configured" && (
        <p>
          Access key <code data-testid="admin-key-id">{k.key_id}</code> is stored as{" "}
          <code>
            {admin.service}/{admin.user}
          </code>
          . Paddock mints each task's short-lived credentials from it; it never reaches an agent and is never shown
          here. To replace it, store a new one:
        </p>
      )}
      {k.status === "missing" && (
        <p>
          No admin key is stored in the OS keyring as{" "}
          <code>
            {admin.service}/{admin.user}
          </code>
          . Tasks can still get credentials through a named AWS profile (<code>--profile</code>); to use the keyring,
          store a key that may create IAM users and assume the base role:
        </p>
      )}
      {k.status === "unreadable" && (
        <p>
          {k.reason}. Store the key again:
        </p>
      )}
      <pre className="command">
        <code>{admin.set_command}</code>
      </pre>
      <p className="muted small-print">
        The file holds <code>{JSON_SHAPE}</code>; the command reads it from stdin, so the key stays out of your shell
        history. Delete the file afterwards.
      </p>
    </section>
  );
}
