import { Link } from "wouter";
import type { RouterOutputs } from "@conveyor/api";

type RunSummary = RouterOutputs["jobs"]["list"]["items"][number];

/** One run in the dead-letter list: what it was, when it failed and why, linking to its page. */
export function FailedRunItem({ run }: { run: RunSummary }) {
  return (
    <li className="ops-failed-run" data-testid="failed-run" data-run-id={run.id}>
      <Link href={`/runs/${run.id}`} className="ops-failed-link">
        <span className="ops-failed-label">{run.label}</span>
        <span className="muted">
          {run.type} · queue {run.queue} · {run.attempts} of {run.maxAttempts} attempts
          {run.finishedAt ? ` · failed ${new Date(run.finishedAt).toLocaleString()}` : ""}
        </span>
        {run.error && <span className="ops-failed-error">{run.error}</span>}
      </Link>
    </li>
  );
}
