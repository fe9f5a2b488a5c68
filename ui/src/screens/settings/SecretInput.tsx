import { useState } from "react";
import type { SecretPresence, WireError } from "../../bindings";
import { ErrorNote } from "../../components/ErrorNote";

const LABEL: Record<SecretPresence, string> = {
  stored: "Stored in the OS keyring",
  missing: "Not set",
  unknown: "Keyring unavailable",
};

/**
 * A write-only secret field: the value goes to the keyring and the field is
 * emptied; only "stored" or "not set" ever comes back.
 */
export function SecretInput(props: {
  label: string;
  presence: SecretPresence | null;
  store: (value: string) => Promise<SecretPresence>;
  clear: () => Promise<SecretPresence>;
  testid: string;
}) {
  const [value, setValue] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<WireError | null>(null);
  const [presence, setPresence] = useState<SecretPresence | null>(null);
  const shown = presence ?? props.presence;

  const run = async (f: () => Promise<SecretPresence>) => {
    setBusy(true);
    setError(null);
    try {
      setPresence(await f());
      setValue("");
    } catch (e) {
      setError(e as WireError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="secret-input" data-testid={props.testid} data-presence={shown ?? "unknown"}>
      <span className={`badge ${shown === "stored" ? "good" : shown === "unknown" ? "bad" : ""}`}>{shown ? LABEL[shown] : "…"}</span>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (value) void run(() => props.store(value));
        }}
      >
        <input
          type="password"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          aria-label={props.label}
          placeholder={shown === "stored" ? "Paste a new value to replace it" : "Paste the value"}
          autoComplete="off"
          spellCheck={false}
          data-input="secret"
        />
        <button type="submit" disabled={!value || busy} data-action="store-secret">
          {shown === "stored" ? "Replace" : "Store"}
        </button>
        {shown === "stored" && (
          <button type="button" onClick={() => void run(props.clear)} disabled={busy} data-action="clear-secret">
            Remove
          </button>
        )}
      </form>
      {error && <ErrorNote error={error} />}
    </div>
  );
}
