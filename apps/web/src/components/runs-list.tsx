import type { RunSummary } from "../lib/runs/run-types";
import { useNow } from "../lib/runs/use-now";
import { RunRow } from "./runs/run-row";

/**
 * One page of runs as a table (a stacked list on narrow screens). Relative
 * times and running durations share one clock: every second while a run
 * runs, otherwise every 15 s.
 */
export function RunsList({ runs, busy }: { runs: RunSummary[]; busy: boolean }) {
  const running = runs.some((run) => run.status === "running");
  const now = useNow(running ? 1_000 : 15_000);
  return (
    <table className={`runs-table${busy ? " runs-busy" : ""}`} data-testid="runs-list" aria-busy={busy}>
      <caption className="runs-visually-hidden">Runs, newest first</caption>
      <thead>
        <tr>
          <th scope="col" className="runs-col-run">Run</th>
          <th scope="col" className="runs-col-type">Type</th>
          <th scope="col" className="runs-col-queue">Queue</th>
          <th scope="col" className="runs-col-status">Status</th>
          <th scope="col" className="runs-col-progress">Progress</th>
          <th scope="col" className="runs-col-attempts">Attempts</th>
          <th scope="col" className="runs-col-created">Created</th>
          <th scope="col" className="runs-col-duration">Duration</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <RunRow key={run.id} run={run} now={now} />
        ))}
      </tbody>
    </table>
  );
}
