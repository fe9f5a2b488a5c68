// The one doorway to the Rust side. Every command goes through `call` or
// `stream`, and every failure comes out as a WireError `{code, message}`.
//
// In the desktop app the transport is Tauri's IPC. In a plain browser (the
// web build under Playwright) a test may install `window.__PADDOCK_IPC__`;
// without it, calls fail with `unavailable` rather than pretending.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { ErrorCode, WireError } from "./bindings";

export interface BrowserBackend {
  invoke(cmd: string, args: Record<string, unknown>): Promise<unknown>;
  stream(cmd: string, args: Record<string, unknown>, onEvent: (e: unknown) => void): Promise<unknown>;
}

declare global {
  interface Window {
    __TAURI_INTERNALS__?: unknown;
    __PADDOCK_IPC__?: BrowserBackend;
  }
}

const CODES: ReadonlySet<string> = new Set<ErrorCode>([
  "invalid_input",
  "not_found",
  "permission_denied",
  "unavailable",
  "conflict",
  "internal",
]);

export function isWireError(e: unknown): e is WireError {
  if (typeof e !== "object" || e === null) return false;
  const r = e as Record<string, unknown>;
  return typeof r.code === "string" && CODES.has(r.code) && typeof r.message === "string";
}

/** Anything thrown across the boundary, as a WireError. */
export function toWireError(e: unknown): WireError {
  if (isWireError(e)) return e;
  const message = e instanceof Error ? e.message : typeof e === "string" ? e : JSON.stringify(e);
  return { code: "internal", message };
}

function backend(): BrowserBackend | null {
  if (typeof window === "undefined") return null;
  if (window.__TAURI_INTERNALS__) return null;
  return window.__PADDOCK_IPC__ ?? null;
}

const UNAVAILABLE: WireError = {
  code: "unavailable",
  message: "Paddock's engine is not reachable from this page. Open the Paddock desktop app.",
};

export function inDesktopApp(): boolean {
  return typeof window !== "undefined" && !!window.__TAURI_INTERNALS__;
}

export async function call<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
  try {
    if (inDesktopApp()) return await invoke<T>(cmd, args);
    const b = backend();
    if (!b) throw UNAVAILABLE;
    return (await b.invoke(cmd, args)) as T;
  } catch (e) {
    throw toWireError(e);
  }
}

/** Runs a long command whose progress arrives as events on a channel. */
export async function stream<E, T = void>(
  cmd: string,
  args: Record<string, unknown>,
  onEvent: (event: E) => void,
): Promise<T> {
  try {
    if (inDesktopApp()) {
      const channel = new Channel<E>();
      channel.onmessage = onEvent;
      return await invoke<T>(cmd, { ...args, onEvent: channel });
    }
    const b = backend();
    if (!b) throw UNAVAILABLE;
    return (await b.stream(cmd, args, (e) => onEvent(e as E))) as T;
  } catch (e) {
    throw toWireError(e);
  }
}
