import type { ReactNode } from "react";

/** What will appear here, and how to make it appear. */
export function EmptyState(props: { title: string; children: ReactNode; command?: string }) {
  return (
    <section className="empty" data-testid="empty-state">
      <h2>{props.title}</h2>
      <div className="empty-body">{props.children}</div>
      {props.command && (
        <pre className="command">
          <code>{props.command}</code>
        </pre>
      )}
    </section>
  );
}
