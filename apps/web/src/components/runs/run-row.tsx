import { memo } from "react";
import { Link } from "wouter";
import { formatDateTime, formatDuration, formatRelative, runDurationMs } from "../../lib/runs/format-time";
import type { RunSummary } from "../../lib/runs/run-types";
import { ProgressBar } from "../progress-bar";
import { StatusBadge } from "../status-badge";

/**
 * One run in the table. Memoised: a live update replaces only the patched
 * run's object, so only its row renders again. Each cell names its column
 * (`data-label`) for the stacked layout on narrow screens.
 */
export const RunRow = memo(function RunRow({ run, now }: { run: RunSummary; now: number }) {
  const label = run.label || run.id;
  const duration = runDurationMs(run, now);
  return (
    <tr className="runs-row" data-testid="run-row" data-run-id={run.id} data-status={run.status}>
      <td className="runs-cell-run" data-label="Run">
        <Link href={`/runs/${run.id}`} className="run-label">
          {label}
        </Link>
        <span className="runs-sub muted" title={run.error ?? run.progress.message ?? undefined}>
          <code>{run.id.slice(0, 8)}</code> {run.error ?? run.progress.message ?? ""}
        </span>
      </td>
      <td data-label="Type">
        <span>{run.type}</span>
      </td>
      <td data-label="Queue">
        <span>{run.queue}</span>
      </td>
      <td data-label="Status">
        <StatusBadge status={run.status} />
      </td>
      <td className="runs-cell-progress" data-label="Progress">
        <ProgressBar percent={run.progress.percent} status={run.status} label={`progress of ${label}`} />
      </td>
      <td className="runs-num" data-label="Attempts">
        <span>
          {run.attempts}/{run.maxAttempts}
        </span>
      </td>
      <td className="runs-num" data-label="Created">
        <time dateTime={run.createdAt} title={formatDateTime(run.createdAt)}>
          {formatRelative(run.createdAt, now)}
        </time>
      </td>
      <td className="runs-num" data-label="Duration">
        <span>{duration === null ? "—" : formatDuration(duration)}</span>
      </td>
    </tr>
  );
});
