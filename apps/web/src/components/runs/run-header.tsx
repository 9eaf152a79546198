import type { RunWithData } from "../../lib/runs/run-types";
import { ProgressBar } from "../progress-bar";
import { StatusBadge } from "../status-badge";

/** The run's name, status, live progress bar and latest progress message. */
export function RunHeader({ run }: { run: RunWithData }) {
  return (
    <header className="run-header">
      <h1 className="run-eyebrow">
        Run <code>{run.id}</code>
      </h1>
      <div className="run-title-line">
        <h2 className="run-title">{run.label || run.id}</h2>
        <StatusBadge status={run.status} />
      </div>
      <ProgressBar percent={run.progress.percent} status={run.status} label="run progress" />
      {/* Always present, so a message appearing or going never moves the page. */}
      <p className="muted run-progress-message" data-testid="progress-message" aria-live="polite">
        {run.progress.message ?? "\u00a0"}
      </p>
    </header>
  );
}
