import { useId, useState } from "react";
import { trpc } from "../../lib/trpc";
import { plural } from "../../lib/operators/format-stats";
import { FailedRunItem } from "./failed-run-item";
import { Loading, LoadFailed } from "./load-state";
import { RetryAllDialog } from "./retry-all-dialog";

const pageSize = 20;
/** jobs.list's largest page. */
const maxShown = 100;

interface DeadLetterListProps {
  /** The queues the stats know of, for the filter. */
  queues: readonly string[];
  /** Failed runs per queue, from the stats: what "Retry all" would take. */
  failedByQueue: ReadonlyMap<string, number>;
  /** Reload the figures that a retry changes. */
  onRetried: () => void;
}

/** Runs that used all their attempts, newest first, per queue; "Retry all" queues them again. */
export function DeadLetterList({ queues, failedByQueue, onRetried }: DeadLetterListProps) {
  const [queue, setQueue] = useState("");
  // "Show more" asks for a longer first page rather than the next one: a refresh after a run fails
  // or is retried then reloads one query. (tRPC's infinite queries add a `direction` field, which
  // jobs.list's strict input refuses.)
  const [limit, setLimit] = useState(pageSize);
  const [confirming, setConfirming] = useState(false);
  const [outcome, setOutcome] = useState<string | null>(null);
  const filterId = useId();
  const utils = trpc.useUtils();
  const failed = trpc.jobs.list.useQuery(
    { status: "failed", limit, ...(queue ? { queue } : {}) },
    // While a longer list loads, the shorter one stays on screen.
    { placeholderData: (previous) => previous },
  );
  const retry = trpc.jobs.retryFailed.useMutation({
    onSuccess: ({ retried }) => {
      setConfirming(false);
      setOutcome(`Retried ${plural(retried, "failed run")}${queue ? ` in queue ${queue}` : ""}.`);
      void utils.jobs.list.invalidate({ status: "failed" });
      onRetried();
    },
  });
  const count = queue ? (failedByQueue.get(queue) ?? 0) : [...failedByQueue.values()].reduce((sum, value) => sum + value, 0);
  const runs = failed.data?.items ?? [];
  const more = failed.data?.nextCursor != null;

  return (
    <div className="ops-dead-letter">
      <div className="ops-toolbar">
        <label htmlFor={filterId} className="submit-label">
          Queue
        </label>
        <select id={filterId} value={queue} onChange={(event) => {
            setQueue(event.target.value);
            setLimit(pageSize);
          }} data-testid="dead-letter-queue">
          <option value="">All queues</option>
          {queues.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="ops-danger-button"
          disabled={count === 0 && runs.length === 0}
          onClick={() => {
            retry.reset();
            setConfirming(true);
          }}
          data-testid="retry-all-button"
        >
          Retry all
        </button>
      </div>
      {/* Always rendered, so the message appearing does not move the list. */}
      <p className="ops-outcome" role="status" data-testid="retry-outcome">
        {outcome ?? "\u00a0"}
      </p>
      {failed.isPending ? (
        <Loading what="failed runs" />
      ) : failed.error ? (
        <LoadFailed what="failed runs" message={failed.error.message} onRetry={() => void failed.refetch()} />
      ) : runs.length === 0 ? (
        <p className="muted" data-testid="dead-letter-empty">
          No failed runs{queue ? ` in queue ${queue}` : ""}: every run that used all its attempts would be listed here.
        </p>
      ) : (
        <ul className="ops-failed-runs" data-testid="dead-letter-list">
          {runs.map((run) => (
            <FailedRunItem key={run.id} run={run} />
          ))}
        </ul>
      )}
      {more && limit < maxShown && (
        <button type="button" className="secondary-button" onClick={() => setLimit((shown) => Math.min(maxShown, shown + pageSize))} disabled={failed.isFetching}>
          {failed.isFetching ? "Loading…" : "Show more"}
        </button>
      )}
      {more && limit >= maxShown && <p className="muted">The newest {maxShown} are shown; "Retry all" takes every one.</p>}
      <RetryAllDialog
        open={confirming}
        scope={queue ? `in queue ${queue}` : "in every queue"}
        count={Math.max(count, runs.length)}
        pending={retry.isPending}
        error={retry.error?.message ?? null}
        onConfirm={() => retry.mutate(queue ? { queue } : {})}
        onClose={() => setConfirming(false)}
      />
    </div>
  );
}
