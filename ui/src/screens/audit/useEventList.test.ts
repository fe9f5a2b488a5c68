import { act, renderHook } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { AuditEvent, AuditPage, AuditQuery } from "../../bindings";

// A trail of 10,000 events whose pages are handed out when the test says so.
const pending: { query: AuditQuery; resolve: (p: AuditPage) => void }[] = [];
vi.mock("../../api", () => ({
  api: {
    auditQuery: (query: AuditQuery) => new Promise<AuditPage>((resolve) => pending.push({ query, resolve })),
  },
}));
const { useEventList, PAGE } = await import("./useEventList");

const N = 10_000;
const event = (seq: number): AuditEvent =>
  ({ seq, id: `e${seq}`, ts: "2026-11-23T02:00:00Z", task_id: null, actor: "agent", kind: "egress", action: "GET", resource: "", outcome: null, detail: {}, hash: "" }) as AuditEvent;

const tick = () => new Promise((r) => setTimeout(r, 0));

/** Answers the oldest pending query as the engine would. */
function answer() {
  const { query, resolve } = pending.shift()!;
  const c = query.cursor;
  let [from, to] = [1, Math.min(N, query.limit)];
  if (c.at === "newest") [from, to] = [N - query.limit + 1, N];
  else if (c.at === "before") [from, to] = [c.seq - query.limit, c.seq - 1];
  else if (c.at === "after") [from, to] = [c.seq + 1, Math.min(N, c.seq + query.limit)];
  const events: AuditEvent[] = [];
  for (let s = Math.max(1, from); s <= to; s++) events.push(event(s));
  resolve({ events, has_older: from > 1, has_newer: to < N });
}

describe("useEventList", () => {
  it("drops a page fetched for rows that changed while it was on its way, instead of adding it twice", async () => {
    const filter = { kinds: [], actors: [], outcomes: [] } as never;
    const { result } = renderHook(() => useEventList(filter));
    await act(async () => {
      answer();
      await tick();
    });
    expect(result.current.rows).toHaveLength(PAGE);
    await act(async () => {
      // A load finishes, and another starts before the first has rendered:
      // it sees the rows as they were, and asks for the same older page.
      const first = result.current.loadOlder();
      answer();
      await first;
      void result.current.loadOlder();
    });
    expect(pending).toHaveLength(1);
    await act(async () => {
      answer();
      await tick();
    });
    const seqs = result.current.rows.map((e) => e.seq);
    expect(seqs).toHaveLength(2 * PAGE);
    expect(seqs.every((s, i) => i === 0 || seqs[i - 1] === s + 1)).toBe(true);
  });
});
