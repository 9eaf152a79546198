import { trpc } from "../lib/trpc";
import { runsListInput } from "../lib/use-live-runs";
import { ProgressBar } from "./progress-bar";
import { StatusBadge } from "./status-badge";

/** The newest runs, kept live by the app's one subscription. */
export function RunsList({ selected, onSelect }: { selected: string | null; onSelect: (runId: string) => void }) {
  const runs = trpc.jobs.list.useQuery(runsListInput);
  if (runs.isPending) return <p className="muted">Loading runs…</p>;
  if (runs.error) return <p className="form-error">{runs.error.message}</p>;
  if (runs.data.items.length === 0) return <p className="muted">No runs yet: submit a document.</p>;
  return (
    <ul className="runs" data-testid="runs-list">
      {runs.data.items.map((run) => (
        <li key={run.id}>
          <button
            type="button"
            className={`run-row${run.id === selected ? " selected" : ""}`}
            onClick={() => onSelect(run.id)}
            data-testid="run-row"
            data-run-id={run.id}
          >
            <span className="run-label">{run.label}</span>
            <StatusBadge status={run.status} />
            <ProgressBar percent={run.progress.percent} status={run.status} label={`progress of ${run.label}`} />
            <span className="muted run-meta">
              {run.type} · {new Date(run.createdAt).toLocaleTimeString()}
              {run.progress.message ? ` · ${run.progress.message}` : ""}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}
