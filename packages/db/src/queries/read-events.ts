import { and, asc, eq, gt } from "drizzle-orm";
import type { Database } from "../client";
import { runEvents, runs } from "../schema";
import { toRunEvent, type RunEvent } from "../run-view";
import { visibleRuns, type Viewer } from "../access/viewer";

const eventColumns = {
  id: runEvents.id,
  runId: runEvents.runId,
  kind: runEvents.kind,
  at: runEvents.at,
  data: runEvents.data,
  type: runs.type,
  ownerId: runs.ownerId,
};

/** A run's events after `afterId` (all of them when it is null), oldest first; none when the viewer may not see the run. */
export async function readRunEvents(db: Database, viewer: Viewer, runId: string, afterId: number | null): Promise<RunEvent[]> {
  const rows = await db
    .select(eventColumns)
    .from(runEvents)
    .innerJoin(runs, eq(runs.id, runEvents.runId))
    .where(and(eq(runEvents.runId, runId), visibleRuns(viewer), afterId === null ? undefined : gt(runEvents.id, afterId)))
    .orderBy(asc(runEvents.id));
  return rows.map(toRunEvent);
}

/** Events of every run the viewer may see after `afterId`, oldest first, at most `limit`. */
export async function readEventsAfter(db: Database, viewer: Viewer, afterId: number, limit: number): Promise<RunEvent[]> {
  const rows = await db
    .select(eventColumns)
    .from(runEvents)
    .innerJoin(runs, eq(runs.id, runEvents.runId))
    .where(and(gt(runEvents.id, afterId), visibleRuns(viewer)))
    .orderBy(asc(runEvents.id))
    .limit(limit);
  return rows.map(toRunEvent);
}

/**
 * The events a NOTIFY announced, oldest first. This runs for every batch of
 * announcements, so it is written in SQL with the ids as ONE array
 * parameter (a query builder makes one parameter per id and costs more than
 * the query itself at a thousand events a second).
 */
export async function readEventsByIds(db: Database, ids: readonly number[]): Promise<RunEvent[]> {
  if (ids.length === 0) return [];
  // Drizzle's postgres.js setup leaves timestamps as text; ids are bigint, read as text.
  const rows = await db.$client<(Omit<RunEvent, "id" | "at"> & { id: string; at: string })[]>`
    select e.id::text as id, e.run_id as "runId", r.owner_id as "ownerId", r.type, e.kind, e.at, e.data
      from conveyor.run_events e
      join conveyor.runs r on r.id = e.run_id
     where e.id = any(${ids.map(String)}::bigint[])
     order by e.id`;
  return rows.map((row) => ({ ...row, id: Number(row.id), at: new Date(row.at), data: row.data ?? null }));
}
