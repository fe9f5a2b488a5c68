// Keyset paging in both directions over the audit trail, for a virtualized
// table shown newest first. Only a window of rows is kept in memory; rows
// that scroll far out of view are dropped and fetched again on the way back.
import { useCallback, useEffect, useRef, useState } from "react";
import type { AuditEvent, AuditFilter, WireError } from "../../bindings";
import { api } from "../../api";

export const PAGE = 200;
export const MAX_ROWS = 3000;

export interface EventList {
  /** Newest first. */
  rows: AuditEvent[];
  hasOlder: boolean;
  hasNewer: boolean;
  loading: boolean;
  error: WireError | null;
  /** Rows added (+) or dropped (-) above the reader by the last load, to be
   *  made up in the scroll position in the same commit (a new object each time). */
  shift: { rows: number } | null;
  loadOlder: () => Promise<void>;
  /** Fetches newer rows; with `keepPlace`, they come in above the reader as a `shift`. */
  loadNewer: (keepPlace: boolean) => Promise<void>;
  reload: () => Promise<void>;
}

export function useEventList(filter: AuditFilter): EventList {
  const [rows, setRows] = useState<AuditEvent[]>([]);
  const [hasOlder, setHasOlder] = useState(false);
  const [hasNewer, setHasNewer] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<WireError | null>(null);
  const [shift, setShift] = useState<{ rows: number } | null>(null);
  const busy = useRef(false);
  // The latest state, for callbacks that must not go stale between renders.
  const state = useRef({ rows, hasOlder, hasNewer });
  state.current = { rows, hasOlder, hasNewer };
  const generation = useRef(0);

  const reload = useCallback(async () => {
    const gen = ++generation.current;
    setLoading(true);
    try {
      const page = await api.auditQuery({ filter, cursor: { at: "newest" }, limit: PAGE });
      if (gen !== generation.current) return;
      setRows([...page.events].reverse());
      setShift(null);
      setHasOlder(page.has_older);
      setHasNewer(false);
      setError(null);
    } catch (e) {
      if (gen === generation.current) {
        setRows([]);
        setError(e as WireError);
      }
    } finally {
      if (gen === generation.current) setLoading(false);
    }
  }, [filter]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const loadOlder = useCallback(async () => {
    const { rows: cur, hasOlder: more } = state.current;
    if (busy.current || !more || cur.length === 0) return;
    busy.current = true;
    const gen = generation.current;
    try {
      const oldest = cur[cur.length - 1].seq;
      const page = await api.auditQuery({ filter, cursor: { at: "before", seq: oldest }, limit: PAGE });
      // The rows may have changed while the page was on its way (a load that
      // finished just before this one started has rendered since): a page
      // fetched for an older state would be appended twice.
      const now = state.current.rows;
      if (gen !== generation.current || now.length === 0 || now[now.length - 1].seq !== oldest) return;
      let next = [...now, ...[...page.events].reverse()];
      const dropped = Math.max(0, next.length - MAX_ROWS);
      if (dropped > 0) {
        next = next.slice(dropped);
        setHasNewer(true);
        setShift({ rows: -dropped });
      }
      setRows(next);
      setHasOlder(page.has_older);
    } catch (e) {
      setError(e as WireError);
    } finally {
      busy.current = false;
    }
  }, [filter]);

  const loadNewer = useCallback(async (keepPlace: boolean) => {
    const { rows: cur } = state.current;
    if (busy.current) return;
    busy.current = true;
    const gen = generation.current;
    try {
      const newest = cur.length ? cur[0].seq : null;
      const cursor = newest !== null ? { at: "after" as const, seq: newest } : { at: "newest" as const };
      const page = await api.auditQuery({ filter, cursor, limit: PAGE });
      const now = state.current.rows;
      // As in loadOlder: a page for rows that have changed since is dropped.
      if (gen !== generation.current || (now.length ? now[0].seq : null) !== newest) return;
      if (page.events.length === 0) {
        setHasNewer(page.has_newer);
        return;
      }
      let next = [...[...page.events].reverse(), ...now];
      if (next.length > MAX_ROWS) {
        next = next.slice(0, MAX_ROWS);
        setHasOlder(true);
      }
      setRows(next);
      if (keepPlace) setShift({ rows: page.events.length });
      setHasNewer(page.has_newer);
    } catch (e) {
      setError(e as WireError);
    } finally {
      busy.current = false;
    }
  }, [filter]);

  return { rows, hasOlder, hasNewer, loading, error, shift, loadOlder, loadNewer, reload };
}
