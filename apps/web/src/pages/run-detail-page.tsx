import { TRPCClientError } from "@trpc/client";
import { RunDetail } from "../components/run-detail";
import { RunNotFound } from "../components/runs/run-not-found";
import { isUnauthorized } from "../lib/unauthorized";
import { trpc } from "../lib/trpc";

/** NOT_FOUND (not there, or another owner's) and BAD_REQUEST (not a run id) will not change on a retry. */
function isAnswerFinal(error: unknown): boolean {
  return error instanceof TRPCClientError && (error.data?.code === "NOT_FOUND" || error.data?.code === "BAD_REQUEST");
}

/** One run, live; or why it cannot be shown. */
export function RunDetailPage({ runId }: { runId: string }) {
  const run = trpc.jobs.get.useQuery({ id: runId }, { retry: (failures, error) => !isAnswerFinal(error) && !isUnauthorized(error) && failures < 3 });
  // A failed background refetch keeps the run on screen: its live state comes from events anyway.
  if (run.data) return <RunDetail key={runId} run={run.data} />;
  if (run.error) {
    if (isAnswerFinal(run.error)) return <RunNotFound runId={runId} reason={run.error.message} />;
    return (
      <p className="card form-error" role="alert" data-testid="run-load-error">
        Could not load the run: {run.error.message}{" "}
        <button type="button" className="secondary-button" onClick={() => void run.refetch()}>
          Try again
        </button>
      </p>
    );
  }
  return (
    <p className="card muted" role="status" data-testid="run-loading">
      Loading run…
    </p>
  );
}
