import { and, asc, eq, gt } from "drizzle-orm";
import { z } from "zod";
import { runEventKinds, type RunEventKind, type RunStatus } from "@conveyor/jobs";
import type { Database } from "../client";
import { runEvents, runs, type RunEventData } from "../schema";
import { toRunEvent, type RunEvent } from "../run-view";
import { ownerFilterOf, visibleRuns, type Viewer } from "../access/viewer";

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
  return (await readRunHistory(db, viewer, runId, afterId))?.events ?? [];
}

/** A run's status and its events after some id, read together (one snapshot). */
export interface RunHistory {
  status: RunStatus;
  events: RunEvent[];
}

/**
 * A run's status and its events after `afterId` (all of them when it is
 * null), oldest first, in ONE statement; null when the run does not exist or
 * the viewer may not see it. Every stream of one run opens with this: as a
 * run read and an events read built by the query builder, it was two round
 * trips and about a sixth of the API's CPU with 200 dashboard users opening
 * 150 streams a second. Status and events come from the same snapshot, so a
 * stream never sees a finished status without the event that finished it.
 */
export async function readRunHistory(db: Database, viewer: Viewer, runId: string, afterId: number | null): Promise<RunHistory | null> {
  // Drizzle's postgres.js setup leaves timestamps as text; ids are bigint, read as text.
  const rows = await db.$client<{ status: RunStatus; ownerId: string; type: string; id: string | null; kind: RunEventKind | null; at: string | null; data: RunEventData }[]>`
    select r.status, r.owner_id as "ownerId", r.type, e.id::text as id, e.kind, e.at, e.data
      from conveyor.runs r
      left join conveyor.run_events e on e.run_id = r.id and e.id > ${afterId ?? 0}
     where r.id = ${runId} and (${ownerFilterOf(viewer)}::text is null or r.owner_id = ${ownerFilterOf(viewer)})
     order by e.id`;
  const [first] = rows;
  if (!first) return null;
  const events: RunEvent[] = [];
  for (const row of rows) {
    if (row.id === null || row.kind === null || row.at === null) continue;
    events.push({ id: Number(row.id), runId, ownerId: row.ownerId, type: row.type, kind: row.kind, at: new Date(row.at), data: row.data ?? null });
  }
  return { status: first.status, events };
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

/** What an event's `data` may hold (`RunEventData`), as the announcement trigger writes it. */
const announcedData = z
  .object({
    attempt: z.number().optional(),
    workerId: z.string().optional(),
    percent: z.number().optional(),
    message: z.string().nullable().optional(),
    data: z.unknown().optional(),
    level: z.enum(["info", "warn"]).optional(),
    fields: z.record(z.string(), z.unknown()).nullable().optional(),
    error: z.string().optional(),
    nextAttemptAt: z.string().optional(),
    runAt: z.string().optional(),
    reason: z.string().optional(),
  })
  // A field added to RunEventData later travels through rather than being dropped here.
  .loose()
  .nullable();

const announcedEvent = z.object({
  id: z.number().int(),
  runId: z.string(),
  ownerId: z.string(),
  type: z.string(),
  kind: z.enum(runEventKinds),
  at: z.string().transform((at) => new Date(at)),
  data: announcedData,
});

/** An announcement: events in the order they were written; an id stands for an event too large to travel in it. */
const announcement = z.array(z.union([z.number().int(), announcedEvent]));

/**
 * The events a `conveyor_events` notification carries (see migration
 * 0015): each as a `RunEvent`, or its id when it was too large to travel
 * in the notification and must be read with `readEventsByIds`. A payload of
 * comma-separated ids is what the trigger sent before that migration.
 */
export function parseAnnouncement(payload: string): (RunEvent | number)[] {
  if (!payload.startsWith("[")) return payload.split(",").map(Number);
  return announcement.parse(JSON.parse(payload));
}
