import { and, asc, eq, gt, inArray } from "drizzle-orm";
import type { Database } from "../client";
import { runEvents, runs } from "../schema";
import { toRunEvent, type RunEvent } from "../run-view";

const eventColumns = {
  id: runEvents.id,
  runId: runEvents.runId,
  kind: runEvents.kind,
  at: runEvents.at,
  data: runEvents.data,
  type: runs.type,
};

/** A run's events after `afterId` (all of them when it is null), oldest first. */
export async function readRunEvents(db: Database, runId: string, afterId: number | null): Promise<RunEvent[]> {
  const rows = await db
    .select(eventColumns)
    .from(runEvents)
    .innerJoin(runs, eq(runs.id, runEvents.runId))
    .where(and(eq(runEvents.runId, runId), afterId === null ? undefined : gt(runEvents.id, afterId)))
    .orderBy(asc(runEvents.id));
  return rows.map(toRunEvent);
}

/** Events of every run after `afterId`, oldest first, at most `limit`. */
export async function readEventsAfter(db: Database, afterId: number, limit: number): Promise<RunEvent[]> {
  const rows = await db
    .select(eventColumns)
    .from(runEvents)
    .innerJoin(runs, eq(runs.id, runEvents.runId))
    .where(gt(runEvents.id, afterId))
    .orderBy(asc(runEvents.id))
    .limit(limit);
  return rows.map(toRunEvent);
}

/** The events a NOTIFY announced, oldest first. */
export async function readEventsByIds(db: Database, ids: readonly number[]): Promise<RunEvent[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select(eventColumns)
    .from(runEvents)
    .innerJoin(runs, eq(runs.id, runEvents.runId))
    .where(inArray(runEvents.id, [...ids]))
    .orderBy(asc(runEvents.id));
  return rows.map(toRunEvent);
}
