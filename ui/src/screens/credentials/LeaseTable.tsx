import { Fragment, useState } from "react";
import type { Lease } from "../../bindings";
import { localTime } from "../audit/format";
import { countdown, expiryText, isLive, providerLabel, relative, stateLabel } from "./format";

/** One table of leases; live ones have a Revoke now button with a confirmation. */
export function LeaseTable(props: {
  leases: Lease[];
  now: number;
  busy: boolean;
  confirming: string | null;
  onAskRevoke: (id: string | null) => void;
  onRevoke: (lease: Lease) => void;
  label: string;
}) {
  const [open, setOpen] = useState<string | null>(null);
  const { leases, now } = props;
  return (
    <table className="lease-table" aria-label={props.label}>
      <colgroup>
        <col style={{ width: "21%" }} />
        <col style={{ width: "13%" }} />
        <col style={{ width: "19%" }} />
        <col style={{ width: "10%" }} />
        <col style={{ width: "11%" }} />
        <col style={{ width: "12%" }} />
        <col style={{ width: "14%" }} />
      </colgroup>
      <thead>
        <tr>
          <th>Provider</th>
          <th>Task</th>
          <th>Scope</th>
          <th>State</th>
          <th>Issued</th>
          <th>Expires</th>
          <th aria-label="Actions" />
        </tr>
      </thead>
      <tbody>
        {leases.map((l) => {
          const left = isLive(l.state) ? countdown(l.expires_at, now) : null;
          const confirming = props.confirming === l.id;
          return (
            <Fragment key={l.id}>
              <tr className={`lease state-${l.state}`} data-lease={l.id} data-state={l.state}>
                <td>
                  <span className="provider">{providerLabel(l)}</span>
                  {l.principal && (
                    <div className="mono small principal" title={l.principal}>
                      {l.principal}
                    </div>
                  )}
                </td>
                <td className="mono task" title={l.task}>
                  {l.task}
                </td>
                <td>
                  <ul className="scope">
                    {l.scope.map((s) => (
                      <li key={s}>
                        <code>{s}</code>
                      </li>
                    ))}
                  </ul>
                </td>
                <td>
                  <span className={`state-pill state-${l.state}`} data-testid="lease-state">
                    {stateLabel(l)}
                  </span>
                  {l.failure && <div className="small muted wrap">{l.failure}</div>}
                  {l.state === "revoking" && l.last_error && (
                    <div className="small warn-text wrap">
                      {l.last_error}
                      {l.next_attempt_at && ` — retrying ${relative(l.next_attempt_at, now)}`}
                    </div>
                  )}
                </td>
                <td title={l.created_at}>
                  {relative(l.created_at, now)}
                  <div className="small muted">{localTime(l.created_at)}</div>
                </td>
                <td title={l.expires_at}>
                  {left ? (
                    <div>
                      <span className="countdown" data-testid="countdown">
                        {left}
                      </span>{" "}
                      <span className="small muted">left</span>
                    </div>
                  ) : (
                    <div>{expiryText(l, now)}</div>
                  )}
                  <div className="small muted">{localTime(l.expires_at)}</div>
                  {l.revoked_at && <div className="small muted">revoked {relative(l.revoked_at, now)}</div>}
                </td>
                <td className="lease-actions">
                  {isLive(l.state) && (
                    <button
                      className="danger"
                      onClick={() => props.onAskRevoke(l.id)}
                      disabled={props.busy || confirming}
                      data-action="revoke"
                    >
                      Revoke now
                    </button>
                  )}
                  <button className="link" onClick={() => setOpen(open === l.id ? null : l.id)} aria-expanded={open === l.id} data-action="history">
                    {open === l.id ? "Hide history" : `History (${l.history.length})`}
                  </button>
                </td>
              </tr>
              {confirming && (
                <tr className="confirm-row">
                  <td colSpan={7}>
                    <div className="confirm" role="alertdialog" aria-label="Confirm revocation" data-testid="confirm-revoke">
                      <p>
                        <strong>Revoke this lease now?</strong> Task <code>{l.task}</code> loses {l.scope.join("; ")}{" "}
                        at once
                        {l.principal ? (
                          <>
                            {" "}
                            and <code>{l.principal}</code> is deleted or denied
                          </>
                        ) : null}
                        . An agent still running will get access-denied errors. This cannot be undone; grant a new lease
                        if the task needs access again.
                      </p>
                      <div className="confirm-actions">
                        <button onClick={() => props.onAskRevoke(null)} data-action="cancel-revoke">
                          Cancel
                        </button>
                        <button className="danger" onClick={() => props.onRevoke(l)} data-action="confirm-revoke">
                          Revoke now
                        </button>
                      </div>
                    </div>
                  </td>
                </tr>
              )}
              {open === l.id && (
                <tr className="history-row">
                  <td colSpan={7}>
                    <ol className="journal" data-testid="lease-history">
                      {l.history.map((h) => (
                        <li key={h.seq} className={`phase-${h.phase}`}>
                          <span className="muted small">{localTime(h.at, true)}</span>
                          <span className="mono">{h.step}</span>
                          <span className="step-phase">{h.phase}</span>
                          <span className="wrap">{h.detail}</span>
                        </li>
                      ))}
                    </ol>
                  </td>
                </tr>
              )}
            </Fragment>
          );
        })}
      </tbody>
    </table>
  );
}
