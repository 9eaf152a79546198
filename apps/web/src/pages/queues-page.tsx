import { useMemo } from "react";
import { trpc } from "../lib/trpc";
import { formatAgo } from "../lib/operators/relative-time";
import { useNow } from "../lib/operators/use-now";
import { useRefreshOnRunEvents } from "../lib/operators/use-refresh-on-run-events";
import { DeadLetterList } from "../components/operators/dead-letter-list";
import { Loading, LoadFailed } from "../components/operators/load-state";
import { QueueCards } from "../components/operators/queue-cards";
import { ThroughputChart } from "../components/operators/throughput-chart";
import { WorkersTable } from "../components/operators/workers-table";

/**
 * What operators watch (admins): each queue's runs by status and last hour,
 * throughput, the workers, and the dead-letter list. The figures reload when
 * run events arrive (at most every 2 s), never on a timer.
 */
export function QueuesPage() {
  const utils = trpc.useUtils();
  const stats = trpc.queues.stats.useQuery();
  useRefreshOnRunEvents(() => {
    void utils.queues.stats.invalidate();
    void utils.jobs.list.invalidate({ status: "failed" });
  });
  const queues = stats.data?.queues;
  const failedByQueue = useMemo(() => {
    const byQueue = new Map<string, number>();
    for (const row of queues ?? []) byQueue.set(row.queue, (byQueue.get(row.queue) ?? 0) + row.counts.failed);
    return byQueue;
  }, [queues]);

  return (
    <>
      <section className="card ops-section" aria-labelledby="queues-title">
        <header className="ops-header">
          <h1 id="queues-title">Queues</h1>
          <UpdatedAt at={stats.dataUpdatedAt} refreshing={stats.isFetching} onRefresh={() => void stats.refetch()} />
        </header>
        {stats.isPending ? (
          <Loading what="queue figures" />
        ) : stats.error ? (
          <LoadFailed what="queue figures" message={stats.error.message} onRetry={() => void stats.refetch()} />
        ) : (
          <QueueCards queues={stats.data.queues} />
        )}
      </section>
      <section className="card ops-section" aria-labelledby="throughput-title">
        <h2 id="throughput-title">Throughput</h2>
        {stats.data ? <ThroughputChart minutes={stats.data.throughput} /> : <div className="ops-chart-placeholder" />}
      </section>
      <section className="card ops-section" aria-labelledby="workers-title">
        <h2 id="workers-title">Workers</h2>
        {stats.data && <WorkersTable workers={stats.data.workers} />}
        <p className="muted">Workers beat every 5 s; one silent for 15 s is presumed dead and its runs move to another.</p>
      </section>
      <section className="card ops-section" aria-labelledby="dead-letter-title">
        <h2 id="dead-letter-title">Failed runs</h2>
        <DeadLetterList
          queues={[...failedByQueue.keys()]}
          failedByQueue={failedByQueue}
          onRetried={() => void utils.queues.stats.invalidate()}
        />
      </section>
    </>
  );
}

/** When the figures were loaded (ticking), and a way to load them now. */
function UpdatedAt({ at, refreshing, onRefresh }: { at: number; refreshing: boolean; onRefresh: () => void }) {
  const now = useNow(1000);
  return (
    <div className="ops-updated">
      <span className="muted" aria-live="off">
        {at ? `Updated ${formatAgo(now - at)}` : "\u00a0"}
      </span>
      <button type="button" className="secondary-button" onClick={onRefresh} disabled={refreshing}>
        Refresh
      </button>
    </div>
  );
}
