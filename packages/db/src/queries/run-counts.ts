/**
 * Run counts per (owner, queue, type, status), kept by triggers on
 * `conveyor.runs` (see migration 0012): limits and `queues.stats` read these
 * few rows instead of counting runs.
 */
import { sql, type SQL } from "drizzle-orm";
import { unfinishedStatuses } from "@conveyor/jobs";
import type { Database, SqlClient } from "../client";

/**
 * Fold the changes the triggers appended into `run_counts`. Safe to run
 * from every process at once: each change row is deleted by exactly one
 * caller, and sums are additive. Workers call it with their heartbeat.
 */
export async function compactRunCounts(client: SqlClient): Promise<void> {
  await client`
    with moved as (
      delete from conveyor.run_count_changes returning owner_id, queue, type, status, n
    )
    insert into conveyor.run_counts as c (owner_id, queue, type, status, n)
    select owner_id, queue, type, status, sum(n) from moved group by 1, 2, 3, 4
    -- One order for every caller, so two compactions never wait on each other in a circle.
    order by 1, 2, 3, 4
    on conflict (owner_id, queue, type, status) do update set n = c.n + excluded.n`;
}

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
