import type { WireError } from "../bindings";

const TITLES: Record<WireError["code"], string> = {
  invalid_input: "That input was not accepted",
  not_found: "Not found",
  permission_denied: "Refused by policy",
  unavailable: "Not available",
  conflict: "Changed underneath you",
  internal: "Something went wrong",
};

export function ErrorNote({ error }: { error: WireError }) {
  return (
    <div className="banner warn" role="alert" data-error-code={error.code}>
      <strong>{TITLES[error.code]}.</strong> {error.message}
    </div>
  );
}
