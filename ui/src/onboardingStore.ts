// The wizard's saved state (<data dir>/onboarding.json), shared by the app
// shell (start screen, last screen) and the Onboarding screen. Writes are
// chained so they reach the backend in order, each with the whole state.
import { useSyncExternalStore } from "react";
import type { OnboardingState, WireError } from "./bindings";
import { api } from "./api";
import { FIRST_RUN } from "./screens/onboarding/wizard";

export interface OnboardingSnapshot {
  state: OnboardingState;
  loaded: boolean;
  /** The saved state could not be read: the wizard shows why instead of steps. */
  loadFailed: boolean;
  /** The last load or save failure, shown on the Onboarding screen. */
  error: WireError | null;
}

let snapshot: OnboardingSnapshot = { state: FIRST_RUN, loaded: false, loadFailed: false, error: null };
/** What the backend last accepted: a refused save rolls back to it. */
let saved: OnboardingState = FIRST_RUN;
let loading: Promise<OnboardingState> | null = null;
let writes: Promise<unknown> = Promise.resolve();
const listeners = new Set<() => void>();

function publish(next: OnboardingSnapshot) {
  snapshot = next;
  listeners.forEach((l) => l());
}

export function loadOnboarding(): Promise<OnboardingState> {
  loading ??= api.onboardingState().then(
    (state) => {
      saved = state;
      publish({ state, loaded: true, loadFailed: false, error: null });
      return state;
    },
    (error: WireError) => {
      publish({ ...snapshot, loaded: true, loadFailed: true, error });
      return snapshot.state;
    },
  );
  return loading;
}

/** Applies `change` now (the UI does not wait) and saves the result; when
 * the backend refuses it (a repository path that does not exist), the state
 * goes back to what was last saved and the error is shown. */
export function updateOnboarding(change: (s: OnboardingState) => OnboardingState): Promise<void> {
  const next = change(snapshot.state);
  if (next === snapshot.state) return Promise.resolve();
  publish({ ...snapshot, state: next, error: null });
  const write = writes.then(() =>
    api.onboardingSave(next).then(
      (accepted) => {
        saved = accepted;
      },
      (error: WireError) => publish({ ...snapshot, state: saved, error }),
    ),
  );
  writes = write;
  return write;
}

export function useOnboarding(): OnboardingSnapshot {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => snapshot,
  );
}

/** For tests: forget everything. */
export function resetOnboardingStore() {
  snapshot = { state: FIRST_RUN, loaded: false, loadFailed: false, error: null };
  saved = FIRST_RUN;
  loading = null;
  writes = Promise.resolve();
}
