import type { RouterOutputs } from "@conveyor/api";
import { formatDuration, formatRate } from "../../lib/operators/format-stats";
import { StatusCounts } from "./status-counts";

export type QueueTypeStats = RouterOutputs["queues"]["stats"]["queues"][number];

/** One job type in one queue: its runs by status, and how the last hour went. */
export function QueueCard({ stats }: { stats: QueueTypeStats }) {
  const duration = stats.durationMs;
  const figures: Array<[string, string, string]> = [
    ["Completed, last hour", stats.completedLastHour.toLocaleString(), "completed-last-hour"],
    ["Failed, last hour", stats.failedLastHour.toLocaleString(), "failed-last-hour"],
    ["Failure rate", formatRate(stats.failureRate), "failure-rate"],
    ["p50", duration ? formatDuration(duration.p50) : "—", "duration-p50"],
    ["p95", duration ? formatDuration(duration.p95) : "—", "duration-p95"],
    ["Average", duration ? formatDuration(duration.average) : "—", "duration-average"],
  ];
  return (
    <article className="ops-queue-card" aria-label={`${stats.type} in queue ${stats.queue}`} data-testid="queue-card" data-queue={stats.queue} data-type={stats.type}>
      <header>
        <h3>{stats.type}</h3>
        <span className="ops-queue-name">queue {stats.queue}</span>
      </header>
      <StatusCounts counts={stats.counts} />
      <dl className="ops-figures">
        {figures.map(([name, value, testId]) => (
          <div key={testId}>
            <dt>{name}</dt>
            <dd data-testid={testId}>{value}</dd>
          </div>
        ))}
      </dl>
    </article>
  );
}
