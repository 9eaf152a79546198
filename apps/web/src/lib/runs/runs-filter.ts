import { runStatuses, type RunStatus, type RunSummary } from "./run-types";

/** What the runs table is narrowed to. Kept in the address's query string, so a view can be shared. */
export interface RunsFilter {
  status?: RunStatus;
  type?: string;
  queue?: string;
  /** A run id, the start of one, or words of the label (as `jobs.list` matches them). */
  search?: string;
}

const filterKeys = ["status", "type", "queue", "search"] as const;

export function isRunStatus(value: string): value is RunStatus {
  return runStatuses.some((status) => status === value);
}

/** The filter a query string describes; unknown statuses and empty values are ignored. */
export function filterFromSearchParams(params: URLSearchParams): RunsFilter {
  const filter: RunsFilter = {};
  const status = params.get("status");
  if (status && isRunStatus(status)) filter.status = status;
  for (const key of ["type", "queue", "search"] as const) {
    const value = params.get(key)?.trim();
    if (value) filter[key] = value;
  }
  return filter;
}

/** The query string of a filter, in a fixed key order so equal filters give equal addresses. */
export function filterToSearchParams(filter: RunsFilter): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of filterKeys) {
    const value = filter[key]?.trim();
    if (value) params.set(key, value);
  }
  return params;
}

export function filterKey(filter: RunsFilter): string {
  return filterToSearchParams(filter).toString();
}

export function isFilterEmpty(filter: RunsFilter): boolean {
  return filterKey(filter) === "";
}

/**
 * Whether a run the cached page does not hold could belong on the first page
 * of this filter, judging by what an event tells (its type and status; the
 * queue and label are not in events). New runs come in with `queued`; with a
 * status filter, a run also enters when it moves into that status.
 */
export function mayEnterFilter(filter: RunsFilter, run: { type: string; status: RunStatus; statusChanged: boolean; queued: boolean }): boolean {
  if (filter.type && filter.type !== run.type) return false;
  // A `queued` event says "queued" for a run that starts later too, which is "scheduled" until then.
  if (filter.status && run.queued && (filter.status === "queued" || filter.status === "scheduled")) return true;
  if (filter.status) return run.statusChanged && run.status === filter.status;
  return run.queued;
}
