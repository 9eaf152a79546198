import { useCallback, useMemo } from "react";
import { useSearchParams } from "wouter";
import { filterFromSearchParams, filterToSearchParams, type RunsFilter } from "./runs-filter";

export interface RunsFilterControls {
  /** Change some fields; the others keep their current value in the address. */
  update(change: Partial<RunsFilter>): void;
  clear(): void;
}

/**
 * The runs table's filter, read from and written to the address's query
 * string (`/?status=failed&search=report`), so a filtered view survives a
 * reload and can be shared. Changes replace the history entry: typing in
 * the search box should not leave one entry per pause.
 */
export function useRunsFilter(): [RunsFilter, RunsFilterControls] {
  const [params, setParams] = useSearchParams();
  const query = params.toString();
  const filter = useMemo(() => filterFromSearchParams(new URLSearchParams(query)), [query]);
  // Built from the address as it is when called, so two quick changes (a select, then a debounced search) both land.
  const update = useCallback(
    (change: Partial<RunsFilter>) => setParams((current) => filterToSearchParams({ ...filterFromSearchParams(current), ...change }), { replace: true }),
    [setParams],
  );
  const clear = useCallback(() => setParams(new URLSearchParams(), { replace: true }), [setParams]);
  return [filter, useMemo(() => ({ update, clear }), [update, clear])];
}
