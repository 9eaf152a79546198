import { useState } from "react";
import { keepPreviousData } from "@tanstack/react-query";
import { trpc } from "../trpc";
import { filterKey, type RunsFilter } from "./runs-filter";

/** Rows per page: one page is all the table ever renders. */
export const runsPageSize = 50;

/**
 * One page of runs for a filter, with keyset pagination: `next` follows the
 * page's cursor, `previous` goes back along the cursors taken so far. A new
 * filter starts again at its first page. While the next page loads, the
 * current one stays on screen.
 */
export function useRunsPage(filter: RunsFilter) {
  const key = filterKey(filter);
  // The cursors of the pages before the current one, for this filter only.
  const [trail, setTrail] = useState<{ key: string; cursors: string[] }>({ key, cursors: [] });
  const cursors = trail.key === key ? trail.cursors : [];
  const cursor = cursors.at(-1);
  const query = trpc.jobs.list.useQuery(
    // No `cursor` key on a first page: the live updates recognise first pages by it.
    { ...filter, limit: runsPageSize, ...(cursor ? { cursor } : {}) },
    { placeholderData: keepPreviousData },
  );
  const nextCursor = query.data?.nextCursor ?? null;
  return {
    query,
    /** 1 for the first page. */
    pageNumber: cursors.length + 1,
    hasPrevious: cursors.length > 0,
    hasNext: nextCursor !== null && !query.isPlaceholderData,
    next() {
      if (nextCursor) setTrail({ key, cursors: [...cursors, nextCursor] });
    },
    previous() {
      setTrail({ key, cursors: cursors.slice(0, -1) });
    },
  };
}
