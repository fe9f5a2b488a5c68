import { useState } from "react";
import type { GcpSettings as Settings } from "../../bindings";
import { api } from "../../api";
import { ErrorNote } from "../../components/ErrorNote";
import { GcpKeyStatus } from "../credentials/GcpAdminCard";
import { ADMIN_KINDS, addRole, fromDraft, problems as findProblems, toDraft, type GcpDraft } from "./gcpForm";
import { FieldProblem, useSettingsForm } from "./useSettingsForm";

/**
 * Settings → Google Cloud: the project per-task service accounts are made
 * in, where the admin credentials come from, and which roles a lease may
 * bind. Saved to creds-settings.json, the file `paddock creds` reads.
 */
export function GcpSettings() {
  const [roleProblem, setRoleProblem] = useState<string | null>(null);
  const { settings, draft, setDraft, dirty, error, saved, saving, problems, valid, edit: change, save, discard } =
    useSettingsForm<Settings, GcpDraft>({
      load: api.gcpSettings,
      save: (d) => api.gcpSettingsSave(fromDraft(d)),
      toDraft,
      problems: findProblems,
      onAdopt: () => setRoleProblem(null),
    });
  const edit = (patch: Partial<GcpDraft>) => change((d) => ({ ...d, ...patch }));

  const add = () => {
    if (!draft) return;
    const { draft: next, problem } = addRole(draft);
    setRoleProblem(problem);
    if (next !== draft) edit(next);
  };

  if (!settings || !draft) {
    return (
      <section className="card" data-testid="settings-gcp">
        <h2>Google Cloud</h2>
        {error ? <ErrorNote error={error} /> : <p className="muted">Loading the GCP settings…</p>}
      </section>
    );
  }

  return (
    <section className="card settings-card gcp-settings" data-testid="settings-gcp" data-configured={settings.configured}>
      <div className="settings-card-head">
        <h2>Google Cloud: short-lived service accounts for tasks</h2>
        <p className="muted">
          A task granted GCP access gets its own service account in this project, bound only to the roles its grants
          name, with an IAM condition that ends with the lease, and an access token of at most an hour — never a key.
          Revoking disables and deletes the account. File: <code data-testid="gcp-path">{settings.path}</code>
        </p>
      </div>
      {!settings.configured && (
        <div className="banner info" data-testid="gcp-not-configured">
          <strong>Not set up:</strong> tasks cannot get GCP access until a project is saved here (or with{" "}
          <code>paddock creds settings gcp --project …</code>).
        </div>
      )}

      <h3>Project</h3>
      <div className="field-grid gcp-project">
        <label>
          Project ID
          <input
            value={draft.project}
            onChange={(e) => edit({ project: e.target.value })}
            placeholder="my-project-123"
            spellCheck={false}
            data-field="project"
          />
          <FieldProblem at="project" problems={problems} />
        </label>
      </div>

      <h3>Admin credentials</h3>
      <p className="muted small-print">
        What Paddock itself uses to create, bind, disable and delete the per-task accounts. It never reaches a task.
      </p>
      <div className="choice-list" role="radiogroup" aria-label="Admin credentials">
        {ADMIN_KINDS.map((k) => (
          <label key={k.kind} className={`choice ${draft.admin === k.kind ? "chosen" : ""}`} data-admin-kind={k.kind}>
            <input
              type="radio"
              name="gcp-admin"
              checked={draft.admin === k.kind}
              onChange={() => edit({ admin: k.kind })}
              data-field={`admin-${k.kind}`}
            />
            <span>
              <strong>{k.label}</strong>
              <span className="muted small">{k.hint}</span>
            </span>
          </label>
        ))}
      </div>
      {draft.admin === "keyring" && (
        <div className="admin-detail">
          <div className="field-grid">
            <label>
              Keyring service
              <input value={draft.keyringService} onChange={(e) => edit({ keyringService: e.target.value })} data-field="keyring-service" />
            </label>
            <label>
              Keyring user
              <input value={draft.keyringUser} onChange={(e) => edit({ keyringUser: e.target.value })} data-field="keyring-user" />
            </label>
          </div>
          <FieldProblem at="admin" problems={problems} />
          {draft.keyringService.trim() === settings.admin_key.service && draft.keyringUser.trim() === settings.admin_key.user ? (
            <GcpKeyStatus status={settings.admin_key} />
          ) : (
            <p className="muted small-print">Save to see whether this keyring entry holds a key.</p>
          )}
        </div>
      )}
      {draft.admin === "impersonate" && (
        <div className="admin-detail field-grid">
          <label className="wide">
            Service account
            <input
              value={draft.serviceAccount}
              onChange={(e) => edit({ serviceAccount: e.target.value })}
              placeholder="paddock-admin@my-project-123.iam.gserviceaccount.com"
              spellCheck={false}
              data-field="service-account"
            />
            <FieldProblem at="admin" problems={problems} />
          </label>
        </div>
      )}

      <h3>Roles a lease may bind</h3>
      <p className="muted small-print">
        A grant (<code>gcs:read</code>, <code>gcs:role BUCKET ROLE</code>, <code>project:role ROLE</code>) is refused
        unless its role is listed here. Basic roles (owner, editor) and IAM or Resource Manager administration roles are
        refused whatever this list says.
      </p>
      {draft.roles.length ? (
        <ul className="role-list" data-testid="gcp-roles">
          {draft.roles.map((r, i) => (
            <li key={r} data-role={r}>
              <code>{r}</code>
              {settings.default_roles.includes(r) && <span className="muted small"> default</span>}
              <button className="link" onClick={() => edit({ roles: draft.roles.filter((_, j) => j !== i) })} aria-label={`Remove ${r}`} data-action="remove-role">
                Remove
              </button>
              <FieldProblem at={`roles.${i}`} problems={problems} />
            </li>
          ))}
        </ul>
      ) : (
        <p className="warn-text small-print" data-testid="gcp-no-roles">
          None: every GCP grant is refused.
        </p>
      )}
      <form
        className="role-add"
        onSubmit={(e) => {
          e.preventDefault();
          add();
        }}
      >
        <input
          value={draft.newRole}
          onChange={(e) => {
            setRoleProblem(null);
            setDraft({ ...draft, newRole: e.target.value });
          }}
          placeholder="roles/bigquery.dataViewer"
          aria-label="Role to allow"
          spellCheck={false}
          data-field="new-role"
        />
        <button type="submit" disabled={!draft.newRole.trim()} data-action="add-role">
          Allow role
        </button>
        {roleProblem && (
          <span className="field-problem" role="alert" data-problem="new-role">
            {roleProblem}
          </span>
        )}
      </form>

      <h3>Token lifetime</h3>
      <div className="field-grid">
        <label>
          Longest access token, in seconds
          <input value={draft.lifetime} onChange={(e) => edit({ lifetime: e.target.value })} inputMode="numeric" data-field="lifetime" />
          <FieldProblem at="lifetime" problems={problems} />
        </label>
        <p className="muted small field-note">
          Google caps tokens at 3600 s unless the organization policy{" "}
          <code>iam.allowServiceAccountCredentialLifetimeExtension</code> allows up to 12 h. A longer lease gets a
          shorter token.
        </p>
      </div>

      {error && (
        <div className="save-error">
          <ErrorNote error={error} />
        </div>
      )}
      <div className="save-bar">
        {saved && (
          <span className="ok-text" role="status" data-testid="gcp-saved">
            Saved to <code>{saved}</code>. <code>paddock creds grant</code> uses it for new GCP leases.
          </span>
        )}
        {!valid && <span className="warn-text">Fix the fields marked in red to save.</span>}
        <button onClick={discard} disabled={!dirty || saving} data-action="discard-gcp">
          Discard changes
        </button>
        <button className="primary" onClick={() => void save()} disabled={!dirty || !valid || saving} data-action="save-gcp">
          {saving ? "Saving…" : "Save GCP settings"}
        </button>
      </div>
    </section>
  );
}
