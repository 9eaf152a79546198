import { Link } from "wouter";
import type { RunsPageData } from "../../lib/runs/run-types";
import { RunsList } from "../runs-list";

interface RunsPageBodyProps {
  data: RunsPageData | undefined;
  error: { message: string } | null;
  /** Another page or filter is loading while the previous rows stay on screen. */
  busy: boolean;
  filtered: boolean;
  onRetry: () => void;
  onClearFilters: () => void;
}

/** The table, or what stands in for it: loading, an error, or no runs. */
export function RunsPageBody({ data, error, busy, filtered, onRetry, onClearFilters }: RunsPageBodyProps) {
  if (error && !data) {
    return (
      <div className="form-error runs-state" role="alert" data-testid="runs-error">
        Could not load the runs: {error.message}{" "}
        <button type="button" className="secondary-button" onClick={onRetry}>
          Try again
        </button>
      </div>
    );
  }
  if (!data) {
    return (
      <p className="muted runs-state" role="status" data-testid="runs-loading">
        Loading runs…
      </p>
    );
  }
  if (data.items.length === 0) {
    return filtered ? (
      <p className="runs-state" role="status" data-testid="runs-empty">
        No runs match these filters.{" "}
        <button type="button" className="secondary-button" onClick={onClearFilters}>
          Clear filters
        </button>
      </p>
    ) : (
      <p className="runs-state" role="status" data-testid="runs-empty">
        No runs yet. <Link href="/submit">Submit one</Link>.
      </p>
    );
  }
  return (
    <>
      {error && (
        <p className="form-error" role="alert" data-testid="runs-error">
          Could not load the runs: {error.message}
        </p>
      )}
      <RunsList runs={data.items} busy={busy} />
    </>
  );
}
