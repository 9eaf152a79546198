import { Link } from "wouter";
import type { RouterOutputs } from "@conveyor/api";
import { formatAgo } from "../../lib/operators/relative-time";
import { useNow } from "../../lib/operators/use-now";

type Worker = RouterOutputs["queues"]["stats"]["workers"][number];

/**
 * The worker processes: where each runs, whether it is alive, how long since
 * its last heartbeat (ticking in the page), and the runs it executes.
 * The table scrolls within its own box on narrow screens.
 */
export function WorkersTable({ workers }: { workers: readonly Worker[] }) {
  const now = useNow(1000);
  if (workers.length === 0) {
    return <p className="muted">No worker has started yet: runs wait in their queues until one does.</p>;
  }
  return (
    <div className="ops-table-scroll" role="region" aria-label="Workers table" tabIndex={0}>
      <table className="ops-table" data-testid="workers-table">
        <thead>
          <tr>
            <th scope="col">Worker</th>
            <th scope="col">Status</th>
            <th scope="col">Heartbeat</th>
            <th scope="col">Busy</th>
            <th scope="col">Job types</th>
            <th scope="col">Running</th>
          </tr>
        </thead>
        <tbody>
          {workers.map((worker) => (
            <tr key={worker.id} data-testid="worker-row" data-worker-id={worker.id}>
              <th scope="row">
                {worker.hostname} <span className="muted">pid {worker.pid}</span>
              </th>
              <td>
                <span className={`badge ${worker.alive ? "badge-completed" : "badge-failed"}`} data-testid="worker-alive">
                  {worker.alive ? "alive" : "presumed dead"}
                </span>
              </td>
              <td>
                <time dateTime={worker.heartbeatAt} title={new Date(worker.heartbeatAt).toLocaleString()} data-testid="worker-heartbeat">
                  {formatAgo(now - Date.parse(worker.heartbeatAt))}
                </time>
              </td>
              <td className="ops-numeric">
                {worker.runningRunIds.length} of {worker.concurrency}
              </td>
              <td>{worker.jobTypes.join(", ")}</td>
              <td>
                {worker.runningRunIds.length === 0 ? (
                  <span className="muted">idle</span>
                ) : (
                  <ul className="ops-run-links">
                    {worker.runningRunIds.map((runId) => (
                      <li key={runId}>
                        <Link href={`/runs/${runId}`} aria-label={`run ${runId}`}>
                          <code>{runId.slice(0, 8)}</code>
                        </Link>
                      </li>
                    ))}
                  </ul>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
