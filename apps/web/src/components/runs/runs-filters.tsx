import { useId } from "react";
import { trpc } from "../../lib/trpc";
import { isFilterEmpty, isRunStatus, type RunsFilter } from "../../lib/runs/runs-filter";
import { runStatuses } from "../../lib/runs/run-types";
import { DebouncedTextInput } from "./debounced-text-input";

interface RunsFiltersProps {
  filter: RunsFilter;
  onChange: (change: Partial<RunsFilter>) => void;
  onClear: () => void;
}

/** The job types and their queues, as the API's catalogue lists them. */
function useJobTypes(): { types: string[]; queues: string[] } {
  const types = trpc.jobs.types.useQuery(undefined, { select: (list) => list.map((job) => ({ name: job.name, queue: job.defaults.queue })) });
  const list = types.data ?? [];
  return { types: list.map((job) => job.name), queues: [...new Set(list.map((job) => job.queue))] };
}

/** Status, type, queue and search; each change lands in the address at once (text after a pause). */
export function RunsFilters({ filter, onChange, onClear }: RunsFiltersProps) {
  const { types, queues } = useJobTypes();
  const queueListId = useId();
  // A type in a shared link stays selectable even before (or without) the catalogue listing it.
  const typeOptions = filter.type && !types.includes(filter.type) ? [filter.type, ...types] : types;
  return (
    <form className="runs-filters" role="search" aria-label="Filter runs" onSubmit={(event) => event.preventDefault()}>
      <label className="runs-filter">
        Status
        <select
          value={filter.status ?? ""}
          onChange={(event) => onChange({ status: isRunStatus(event.target.value) ? event.target.value : undefined })}
          data-testid="filter-status"
        >
          <option value="">Any status</option>
          {runStatuses.map((status) => (
            <option key={status} value={status}>
              {status}
            </option>
          ))}
        </select>
      </label>
      <label className="runs-filter">
        Type
        <select value={filter.type ?? ""} onChange={(event) => onChange({ type: event.target.value || undefined })} data-testid="filter-type">
          <option value="">Any type</option>
          {typeOptions.map((type) => (
            <option key={type} value={type}>
              {type}
            </option>
          ))}
        </select>
      </label>
      <DebouncedTextInput
        label="Queue"
        value={filter.queue ?? ""}
        onCommit={(queue) => onChange({ queue: queue || undefined })}
        placeholder="Any queue"
        list={queueListId}
        testId="filter-queue"
      />
      <datalist id={queueListId}>
        {queues.map((queue) => (
          <option key={queue} value={queue} />
        ))}
      </datalist>
      <DebouncedTextInput
        label="Search"
        type="search"
        value={filter.search ?? ""}
        onCommit={(search) => onChange({ search: search || undefined })}
        placeholder="Run id or label"
        testId="filter-search"
      />
      <button type="button" className="secondary-button runs-clear" onClick={onClear} disabled={isFilterEmpty(filter)}>
        Clear filters
      </button>
    </form>
  );
}
