import type { GcpAdminKeyStatus, GcpSettings } from "../../bindings";

const BADGES = {
  stored: <span className="badge good">In the OS keyring</span>,
  missing: <span className="badge">No key stored</span>,
  unreadable: <span className="badge bad">Cannot be read</span>,
};

/** Whether the GCP admin key's keyring entry holds a service-account key. Never the key. */
export function GcpKeyStatus({ status, badge = true }: { status: GcpAdminKeyStatus; badge?: boolean }) {
  const k = status.key;
  const entry = (
    <code>
      {status.service}/{status.user}
    </code>
  );
  return (
    <div className="gcp-key" data-testid="gcp-admin-key" data-status={k.status}>
      {k.status === "stored" && (
        <p>
          {badge && BADGES.stored} The key of{" "}
          <code data-testid="gcp-admin-email">{k.client_email}</code> is stored as {entry}. To replace it, store a new
          one:
        </p>
      )}
      {k.status === "missing" && (
        <p>
          {badge && BADGES.missing} No service-account key is stored as {entry}. Store the key file of an
          account that may create service accounts and set IAM policies in the project:
        </p>
      )}
      {k.status === "unreadable" && (
        <p>
          {badge && BADGES.unreadable} {k.reason}
        </p>
      )}
      <pre className="command">
        <code>{status.set_command}</code>
      </pre>
      <p className="muted small-print">
        The command reads the key file's JSON from stdin, so it stays out of your shell history; delete the file
        afterwards.
      </p>
    </div>
  );
}

/** The Credentials screen's Google Cloud card: project, admin source, key status. */
export function GcpAdminCard({ gcp }: { gcp: GcpSettings }) {
  const source = gcp.config.admin.source;
  const showKey = source === "keyring" || !gcp.configured;
  return (
    <section className="card admin-key" data-testid="gcp-admin" data-configured={gcp.configured} data-source={source}>
      <div className="admin-key-head">
        <h2>Google Cloud admin</h2>
        {!gcp.configured ? <span className="badge">Not set up</span> : showKey && BADGES[gcp.admin_key.key.status]}
      </div>
      {gcp.configured ? (
        <p>
          Project <code data-testid="gcp-project">{gcp.config.project}</code>; admin credentials:{" "}
          {gcp.admin_description}. Change them in <a href="#/settings/gcp">Settings → Google Cloud</a>.
        </p>
      ) : (
        <p>
          No project is saved, so tasks cannot get GCP access. Set the project, admin credentials and allowed roles in{" "}
          <a href="#/settings/gcp">Settings → Google Cloud</a>.
        </p>
      )}
      {showKey && <GcpKeyStatus status={gcp.admin_key} badge={!gcp.configured} />}
    </section>
  );
}
