/**
 * Run counts per (owner, queue, type, status), kept by triggers on
 * `conveyor.runs` (see migration 0012), and runs finished per minute (0014):
 * limits and `queues.stats` read these few rows instead of counting runs.
 */
import { sql, type SQL } from "drizzle-orm";
import { unfinishedStatuses } from "@conveyor/jobs";
import type { Database, SqlClient } from "../client";

/**
 * Fold the changes the triggers appended into `run_counts` and
 * `run_minutes`, in one statement. Safe to run from every process at once:
 * each change row is deleted by exactly one caller, and sums are additive.
 * Workers call it with their heartbeat.
 */
export async function compactRunCounts(client: SqlClient): Promise<void> {
  await client`
    with moved as (
      delete from conveyor.run_count_changes returning owner_id, queue, type, status, n
    ), counts as (
      insert into conveyor.run_counts as c (owner_id, queue, type, status, n)
      select owner_id, queue, type, status, sum(n) from moved group by 1, 2, 3, 4
      -- One order for every caller, so two compactions never wait on each other in a circle.
      order by 1, 2, 3, 4
      on conflict (owner_id, queue, type, status) do update set n = c.n + excluded.n
    ), moved_minutes as (
      delete from conveyor.run_minute_changes returning minute, owner_id, queue, type, status, bucket, n, duration_ms
    )
    insert into conveyor.run_minutes as m (minute, owner_id, queue, type, status, bucket, n, duration_ms)
    select minute, owner_id, queue, type, status, bucket, sum(n), sum(duration_ms) from moved_minutes
     -- Minutes the prune may be deleting are not read any more (see expireRunMinutes).
     where minute >= now() - ${`${runMinutesKeptMs} milliseconds`}::interval
     group by 1, 2, 3, 4, 5, 6
     order by 1, 2, 3, 4, 5, 6
    on conflict (minute, owner_id, queue, type, status, bucket)
    do update set n = m.n + excluded.n, duration_ms = m.duration_ms + excluded.duration_ms`;
}

/** How long `run_minutes` keeps a minute: the triggers count runs finished within 2 hours; queues.stats reads 1. */
export const runMinutesKeptMs = 2 * 60 * 60_000;

/** Delete the minutes no one reads any more (the hourly prune calls it). */
export async function expireRunMinutes(client: SqlClient): Promise<void> {
  await client`delete from conveyor.run_minutes where minute < now() - ${`${runMinutesKeptMs} milliseconds`}::interval`;
}

/** Every finished-per-minute figure, folded or not, as rows of run_minutes: sum them per key. */
export const allRunMinutesText = `(select minute, owner_id, queue, type, status, bucket, n, duration_ms from conveyor.run_minutes
   union all
   select minute, owner_id, queue, type, status, bucket, n, duration_ms from conveyor.run_minute_changes)`;

/** Every count, folded or not, as rows of (owner_id, queue, type, status, n): sum them per key. */
export const allRunCountsText = `(select owner_id, queue, type, status, n from conveyor.run_counts
   union all
   select owner_id, queue, type, status, n from conveyor.run_count_changes)`;
const allRunCounts: SQL = sql.raw(allRunCountsText);

/** The unfinished runs (queued, scheduled, running) of the owner named by `ownerId` (an SQL expression). */
export function unfinishedRunsSql(ownerId: SQL): SQL {
  return sql`coalesce((select sum(c.n) from ${allRunCounts} c
     where c.owner_id = ${ownerId} and c.status in (${sql.join(unfinishedStatuses.map((status) => sql`${status}::conveyor.run_status`), sql`, `)})), 0)::int8`;
}

/** Unfinished runs of one owner, read in the caller's transaction or database. */
export async function unfinishedRunsOf(db: Pick<Database, "execute">, ownerId: string): Promise<number> {
  // int8 arrives as a string (postgres.js keeps 64-bit integers exact).
  const [row] = await db.execute<{ open: string }>(sql`select ${unfinishedRunsSql(sql`${ownerId}::text`)} as open`);
  return Number(row?.open ?? 0);
}
