import { parseCronItem, type ParsedCronItem } from "graphile-worker";
import type { Catalog, RunStatus, Schedule } from "@conveyor/jobs";
import type { SqlClient } from "../client";
import { ownerFilterOf, type Viewer } from "../access/viewer";

/** The graphile-worker task that turns a schedule's firing into a run. */
export const scheduleTask = "conveyor.schedule";

/** What a schedule's firing carries (graphile-worker adds `_cron`). */
export interface ScheduleFiring {
  schedule: string;
  type: string;
}

/** The idempotency key of a firing: one run per schedule and slot, however many workers fire it. */
export function scheduleRunKey(scheduleName: string, slot: string): string {
  return `schedule:${scheduleName}:${slot}`;
}

/** Every schedule of a catalogue as graphile-worker cron items (UTC; graphile-worker fires each slot once). */
export function cronItemsOf(catalog: Catalog): ParsedCronItem[] {
  return Object.values(catalog).flatMap((job) =>
    job.schedules.map((schedule) =>
      parseCronItem({
        task: scheduleTask,
        match: schedule.cron,
        identifier: `conveyor:${schedule.name}`,
        options: { backfillPeriod: schedule.backfillMs, maxAttempts: 5 },
        payload: { schedule: schedule.name, type: job.name } satisfies ScheduleFiring,
      }),
    ),
  );
}

/** The schedule a firing names, with its job type. */
export function findSchedule(catalog: Catalog, name: string): { type: string; schedule: Schedule } | undefined {
  for (const job of Object.values(catalog)) {
    const schedule = job.schedules.find((candidate) => candidate.name === name);
    if (schedule) return { type: job.name, schedule };
  }
  return undefined;
}

/** The next `count` firings of a cron expression after `from` (UTC, to the minute). */
export function nextFirings(cron: string, from: Date, count = 1): Date[] {
  const { match } = parseCronItem({ task: scheduleTask, match: cron, identifier: "next-firings" });
  const firings: Date[] = [];
  const at = new Date(from);
  at.setUTCSeconds(0, 0);
  // At most a leap year of minutes: every valid expression matches within one.
  for (let minutes = 0; minutes < 366 * 24 * 60 && firings.length < count; minutes++) {
    at.setUTCMinutes(at.getUTCMinutes() + 1);
    const digest = { min: at.getUTCMinutes(), hour: at.getUTCHours(), date: at.getUTCDate(), month: at.getUTCMonth() + 1, dow: at.getUTCDay() };
    if (match(digest)) firings.push(new Date(at));
  }
  return firings;
}

export interface ScheduleView {
  name: string;
  type: string;
  cron: string;
  backfillMs: number;
  /** ISO 8601, UTC. */
  nextFiring: string | null;
  /** The latest runs it started, newest first. */
  lastRuns: Array<{ id: string; status: RunStatus; createdAt: string }>;
}

/** Each schedule of the catalogue with its next firing and its last runs (those the viewer may see). */
export async function listSchedules(sql: SqlClient, viewer: Viewer, catalog: Catalog, now = new Date()): Promise<ScheduleView[]> {
  const owner = ownerFilterOf(viewer);
  const schedules = Object.values(catalog).flatMap((job) => job.schedules.map((schedule) => ({ type: job.name, schedule })));
  return Promise.all(
    schedules.map(async ({ type, schedule }) => {
      const lastRuns = await sql<{ id: string; status: RunStatus; createdAt: string }[]>`
        select id, status, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "createdAt"
          from conveyor.runs
         where type = ${type} and (${owner}::text is null or owner_id = ${owner})
           and left(idempotency_key, ${scheduleRunKey(schedule.name, "").length}) = ${scheduleRunKey(schedule.name, "")}
         order by created_at desc
         limit 5`;
      const [next] = nextFirings(schedule.cron, now);
      return {
        name: schedule.name,
        type,
        cron: schedule.cron,
        backfillMs: schedule.backfillMs,
        nextFiring: next?.toISOString() ?? null,
        lastRuns: [...lastRuns],
      };
    }),
  );
}
