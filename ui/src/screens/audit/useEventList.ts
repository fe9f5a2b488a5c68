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
  loadOlder: () => Promise<void>;
  /** Returns how many rows were added at the top. */
  loadNewer: () => Promise<number>;
  reload: () => Promise<void>;
}

export function useEventList(filter: AuditFilter): EventList {
  const [rows, setRows] = useState<AuditEvent[]>([]);
  const [hasOlder, setHasOlder] = useState(false);
  const [hasNewer, setHasNewer] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<WireError | null>(null);
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
      if (gen !== generation.current) return;
      let next = [...state.current.rows, ...[...page.events].reverse()];
      let trimmedTop = false;
      if (next.length > MAX_ROWS) {
        next = next.slice(next.length - MAX_ROWS);
        trimmedTop = true;
      }
      setRows(next);
      setHasOlder(page.has_older);
      if (trimmedTop) setHasNewer(true);
    } catch (e) {
      setError(e as WireError);
    } finally {
      busy.current = false;
    }
  }, [filter]);

  const loadNewer = useCallback(async () => {
    const { rows: cur } = state.current;
    if (busy.current) return 0;
    busy.current = true;
    const gen = generation.current;
    try {
      const cursor = cur.length ? { at: "after" as const, seq: cur[0].seq } : { at: "newest" as const };
      const page = await api.auditQuery({ filter, cursor, limit: PAGE });
      if (gen !== generation.current || page.events.length === 0) {
        if (gen === generation.current) setHasNewer(page.has_newer);
        return 0;
      }
      let next = [...[...page.events].reverse(), ...state.current.rows];
      if (next.length > MAX_ROWS) {
        next = next.slice(0, MAX_ROWS);
        setHasOlder(true);
      }
      setRows(next);
      setHasNewer(page.has_newer);
      return page.events.length;
    } catch (e) {
      setError(e as WireError);
      return 0;
    } finally {
      busy.current = false;
    }
  }, [filter]);

  return { rows, hasOlder, hasNewer, loading, error, loadOlder, loadNewer, reload };
}
