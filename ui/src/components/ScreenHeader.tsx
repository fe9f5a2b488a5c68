import type { ReactNode } from "react";

export function ScreenHeader(props: { title: string; lead: string; actions?: ReactNode }) {
  return (
    <header className="screen-header">
      <div>
        <h1>{props.title}</h1>
        <p className="lead">{props.lead}</p>
      </div>
      {props.actions && <div className="actions">{props.actions}</div>}
    </header>
  );
}
