import type { RunStatus } from "@conveyor/jobs";

/** Every status, always in this order, so the badges never move when a count changes. */
const statuses: readonly RunStatus[] = ["queued", "scheduled", "running", "completed", "failed", "cancelled"];

/** How many runs are in each status right now. */
export function StatusCounts({ counts }: { counts: Record<RunStatus, number> }) {
  return (
    <dl className="ops-counts">
      {statuses.map((status) => (
        <div key={status} className={counts[status] === 0 ? "ops-count-zero" : undefined}>
          <dt>
            <span className={`badge badge-${status}`}>{status}</span>
          </dt>
          <dd data-testid={`count-${status}`}>{counts[status].toLocaleString()}</dd>
        </div>
      ))}
    </dl>
  );
}
