import { useState } from "react";

type CopyState = "idle" | "copied" | "failed";

/** The risk-audit prompt for the user's own agent, with a copy button. */
export function AuditPrompt({ prompt, note }: { prompt: string; note: string }) {
  const [copy, setCopy] = useState<CopyState>("idle");

  const doCopy = async () => {
    try {
      if (!navigator.clipboard) throw new Error("no clipboard");
      await navigator.clipboard.writeText(prompt);
      setCopy("copied");
    } catch {
      setCopy("failed");
    }
  };

  return (
    <details className="audit-prompt card-inner" data-testid="audit-prompt">
      <summary>
        <strong>Ask your own agent too</strong>
        <span className="muted"> — a prompt that has it audit this machine without pulling secrets into its context</span>
      </summary>
      <div className="prompt-actions">
        <button onClick={() => void doCopy()} data-action="copy-prompt">
          {copy === "copied" ? "Copied" : "Copy prompt"}
        </button>
        <span role="status" className="muted">
          {copy === "copied" && "The prompt is on your clipboard."}
          {copy === "failed" && "Could not reach the clipboard here: select the text below and copy it by hand."}
        </span>
      </div>
      <pre className="prompt-text" tabIndex={0}>
        {prompt}
      </pre>
      <p className="banner warn prompt-note">{note}</p>
    </details>
  );
}
