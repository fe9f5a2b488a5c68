import { useCallback, useEffect, useState } from "react";
import type { CredsOverview, CredsStep, Lease, SweepDone, WireError } from "../bindings";
import { api } from "../api";
import { useNow } from "../hooks";
import { ScreenHeader } from "../components/ScreenHeader";
import { EmptyState } from "../components/EmptyState";
import { ErrorNote } from "../components/ErrorNote";
import { AdminKeyCard } from "./credentials/AdminKeyCard";
import { GcpAdminCard } from "./credentials/GcpAdminCard";
import { LeaseTable } from "./credentials/LeaseTable";
import { StepLog } from "./credentials/StepLog";
import { splitLeases } from "./credentials/format";

type Work = { kind: "revoke"; lease: Lease } | { kind: "sweep" };

export function Credentials() {
  const now = useNow(1000);
  const [overview, setOverview] = useState<CredsOverview | null>(null);
  const [error, setError] = useState<WireError | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [confirmSweep, setConfirmSweep] = useState(false);
  const [work, setWork] = useState<Work | null>(null);
  const [steps, setSteps] = useState<CredsStep[]>([]);
  const [running, setRunning] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setOverview(await api.credsOverview());
    } catch (e) {
      setError(e as WireError);
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const begin = (w: Work) => {
    setWork(w);
    setSteps([]);
    setRunning(true);
    setError(null);
    setNotice(null);
    setConfirming(null);
    setConfirmSweep(false);
  };
  const onStep = (s: CredsStep) => setSteps((all) => [...all, s]);

  const revoke = async (lease: Lease) => {
    begin({ kind: "revoke", lease });
    try {
      const after = await api.credsRevoke(lease.id, onStep);
      setNotice(
        after.state === "revoked" || after.state === "failed"
          ? `Lease for ${after.task} revoked: nothing of it is usable any more.`
          : `Lease for ${after.task} is still revoking: ${after.last_error ?? "a cloud call must be retried"}. The reaper retries with backoff.`,
      );
    } catch (e) {
      setError(e as WireError);
    } finally {
      setRunning(false);
      await load();
    }
  };

  const sweep = async () => {
    begin({ kind: "sweep" });
    try {
      setNotice(sweepSummary(await api.credsSweep(onStep)));
    } catch (e) {
      setError(e as WireError);
    } finally {
      setRunning(false);
      await load();
    }
  };

  const { live, history } = splitLeases(overview?.leases ?? []);
  const none = overview !== null && overview.leases.length === 0;

  return (
    <div className="credentials-screen">
      <ScreenHeader
        title="Credentials"
        lead="Cloud access is leased per task, scoped to what the task needs, and revoked when it ends — even if Paddock crashes mid-way."
        actions={
          <>
            <button onClick={() => void load()} disabled={running} data-action="refresh">
              Refresh
            </button>
            <button onClick={() => setConfirmSweep(true)} disabled={running || confirmSweep || none} data-action="sweep">
              Reap and sweep
            </button>
          </>
        }
      />
      {error && <ErrorNote error={error} />}
      {notice && (
        <div className="banner info" role="status" data-testid="creds-notice">
          {notice}
        </div>
      )}
      {confirmSweep && (
        <div className="confirm card" role="alertdialog" aria-label="Confirm sweep" data-testid="confirm-sweep">
          <p>
            <strong>Reap and sweep now?</strong> Paddock finishes interrupted work, revokes expired leases, retries
            pending revocations, and then lists every <code>/paddock/</code> IAM user and <code>paddock-</code> policy
            in the AWS accounts, and every <code>paddock-</code> service account and its role bindings in the GCP
            projects, your leases used, and deletes those that belong to no live lease. Objects of live leases are
            never touched. Same as <code>paddock creds reap --sweep</code>.
          </p>
          <div className="confirm-actions">
            <button onClick={() => setConfirmSweep(false)} data-action="cancel-sweep">
              Cancel
            </button>
            <button className="primary" onClick={() => void sweep()} data-action="confirm-sweep">
              Reap and sweep
            </button>
          </div>
        </div>
      )}
      {work && (
        <StepLog
          steps={steps}
          running={running}
          title={work.kind === "sweep" ? "Reap and sweep" : `Revoking the lease for ${work.lease.task}`}
        />
      )}

      {overview && (
        <div className="admin-cards">
          <AdminKeyCard admin={overview.admin} />
          <GcpAdminCard gcp={overview.gcp} />
        </div>
      )}

      {none && (
        <EmptyState
          title="No credential leases yet"
          command="paddock creds grant --task fix-report --grant 's3:read my-bucket/reports' --mode iam-user --ttl 1h"
        >
          <p>
            When a task gets AWS or Google Cloud access, its lease shows here: the principal Paddock created (an IAM
            user or role session, or a service account), what it may do, a
            countdown to its expiry and a <em>Revoke now</em> button. Revoked and failed leases stay below as history,
            with every step Paddock took.
          </p>
          <p>
            Leases are journaled in <code>{overview.store}</code>; grant one from the terminal to try it — for Google
            Cloud, <code>paddock creds grant --task fix-report --grant 'gcs:read my-bucket/reports' --ttl 30m</code>{" "}
            once a project is set in Settings → Google Cloud.
          </p>
        </EmptyState>
      )}

      {overview && !none && (
        <>
          <section className="lease-section" data-testid="live-leases">
            <h2>
              Live <span className="muted">· {live.length}</span>
            </h2>
            {live.length ? (
              <LeaseTable
                label="Live leases"
                leases={live}
                now={now}
                busy={running}
                confirming={confirming}
                onAskRevoke={setConfirming}
                onRevoke={(l) => void revoke(l)}
              />
            ) : (
              <p className="muted">No live leases: nothing Paddock issued is usable right now.</p>
            )}
          </section>
          {history.length > 0 && (
            <section className="lease-section" data-testid="lease-history-table">
              <h2>
                History <span className="muted">· {history.length}</span>
              </h2>
              <LeaseTable
                label="Revoked and failed leases"
                leases={history}
                now={now}
                busy={running}
                confirming={null}
                onAskRevoke={() => {}}
                onRevoke={() => {}}
              />
            </section>
          )}
        </>
      )}

    </div>
  );
}

function sweepSummary(d: SweepDone): string {
  const parts: string[] = [];
  if (d.revoked.length) parts.push(`revoked ${d.revoked.length} expired or interrupted lease${d.revoked.length === 1 ? "" : "s"}`);
  if (d.failed.length) parts.push(`cleaned up ${d.failed.length} failed lease${d.failed.length === 1 ? "" : "s"}`);
  if (d.cleaned.length) parts.push(`removed ${d.cleaned.length} expired revocation polic${d.cleaned.length === 1 ? "y" : "ies"}`);
  if (d.orphans_removed.length)
    parts.push(`removed ${d.orphans_removed.length} orphan${d.orphans_removed.length === 1 ? "" : "s"}: ${d.orphans_removed.map((o) => `${o.kind} ${o.name}`).join(", ")}`);
  const retry = d.retrying.length ? ` ${d.retrying.length} still revoking; the reaper retries: ${d.retrying.map((r) => r.reason).join("; ")}.` : "";
  return (parts.length ? `Done: ${parts.join("; ")}.` : "Done: nothing to revoke and no orphans in your accounts.") + retry;
}
