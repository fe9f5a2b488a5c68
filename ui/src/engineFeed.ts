// One subscription to the engine's live updates for the whole window; screens
// add and remove listeners. Started on first use, restarted after a failure.
import type { EngineUpdate } from "./bindings";
import { api } from "./api";

type Listener = (u: EngineUpdate) => void;

const listeners = new Set<Listener>();
let started = false;

function start() {
  if (started) return;
  started = true;
  api
    .engineFollow((u) => {
      if (u.type === "heartbeat") return;
      for (const l of listeners) l(u);
    })
    .catch(() => {
      // The engine is unavailable (the screens show why); try again when a screen next subscribes.
      started = false;
    });
}

/** Calls `listener` for every change until the returned function is called. */
export function onEngineUpdate(listener: Listener): () => void {
  listeners.add(listener);
  start();
  return () => {
    listeners.delete(listener);
  };
}
