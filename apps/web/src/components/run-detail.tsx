import { trpc } from "../lib/trpc";
import { AnalysisResult } from "./analysis-result";
import { ProgressBar } from "./progress-bar";
import { StatusBadge } from "./status-badge";

function time(value: string | null): string {
  return value ? new Date(value).toLocaleTimeString() : "—";
}

/** One run: its state, live progress, error or result. */
export function RunDetail({ runId }: { runId: string }) {
  const query = trpc.jobs.get.useQuery({ id: runId });
  if (query.isPending) return <p className="muted">Loading run…</p>;
  if (query.error) return <p className="form-error">{query.error.message}</p>;
  const run = query.data;
  return (
    <article className="card run-detail" data-testid="run-detail">
      <header>
        <h2>{run.label}</h2>
        <StatusBadge status={run.status} />
      </header>
      <ProgressBar percent={run.progress.percent} status={run.status} label="run progress" />
      <p className="muted" data-testid="progress-message">
        {run.progress.message ?? "\u00a0"}
      </p>
      <dl className="meta">
        <div><dt>Type</dt><dd>{run.type}</dd></div>
        <div><dt>Attempts</dt><dd>{run.attempts} of {run.maxAttempts}</dd></div>
        <div><dt>Created</dt><dd>{time(run.createdAt)}</dd></div>
        <div><dt>Started</dt><dd>{time(run.startedAt)}</dd></div>
        <div><dt>Finished</dt><dd>{time(run.finishedAt)}</dd></div>
      </dl>
      {run.error && <p className="form-error" data-testid="run-error">{run.error}</p>}
      {run.type === "document.analyze" && run.output && <AnalysisResult analysis={run.output} />}
      {run.type === "webhook.deliver" && run.output && (
        <pre>{JSON.stringify(run.output, null, 2)}</pre>
      )}
    </article>
  );
}
