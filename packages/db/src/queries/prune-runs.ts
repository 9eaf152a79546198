import type { Catalog, Retention } from "@conveyor/jobs";
import type { SqlClient } from "../client";
import { pruneRateWindows } from "./rate-limits";
import { expireRunMinutes } from "./run-counts";

/** Rows deleted per statement, so pruning a large backlog never holds long locks. */
const batchSize = 2_000;
/**
 * After each full batch the prune rests twice as long as the batch took, so it uses at most a
 * third of the time of one connection and the database's hot path (submits, starts, completions)
 * keeps most of its speed while a day's runs are deleted: unpaced, a prune of 120,000 runs beside a
 * drain slowed it by a quarter (BENCHMARKS.md, growth). Retention is hourly; a slower prune costs nothing.
 */
const restPerBatchTime = 2;

export interface PruneResult {
  /** Runs deleted (their events go with them), per job type. */
  deleted: Record<string, number>;
}

/**
 * Delete finished runs older than their contract's retention: completed,
 * failed and cancelled each after their own period, and beyond `keepAtMost`
 * finished runs of the type when set. Unfinished runs are never touched,
 * however old. Runs of types no longer in the catalogue are
 * kept (their retention is unknown).
 */
export async function pruneRuns(sql: SqlClient, catalog: Catalog): Promise<PruneResult> {
  const deleted: Record<string, number> = {};
  for (const job of Object.values(catalog)) {
    deleted[job.name] = await pruneType(sql, job.name, job.defaults.retention);
  }
  await pruneRateWindows(sql);
  await expireRunMinutes(sql);
  return { deleted };
}

async function pruneType(sql: SqlClient, type: string, retention: Retention): Promise<number> {
  const interval = (ms: number) => sql`now() - ${`${ms} milliseconds`}::interval`;
  const byAge = await deleteInBatches(sql, () => sql`
    select id from conveyor.runs
     where type = ${type}
       and ((status = 'completed' and finished_at < ${interval(retention.completedMs)})
         or (status = 'failed' and finished_at < ${interval(retention.failedMs)})
         or (status = 'cancelled' and finished_at < ${interval(retention.cancelledMs)}))
     limit ${batchSize}`);
  const keep = retention.keepAtMost;
  if (!keep) return byAge;
  // Finished runs of the type beyond the newest `keepAtMost`.
  const byCount = await deleteInBatches(sql, () => sql`
    select id from conveyor.runs
     where type = ${type} and status in ('completed', 'failed', 'cancelled')
     order by finished_at desc, id desc
     offset ${keep}
     limit ${batchSize}`);
  return byAge + byCount;
}

/** Delete the runs `doomed` selects (at most `batchSize` at a time) until it selects fewer. */
async function deleteInBatches(sql: SqlClient, doomed: () => ReturnType<SqlClient>): Promise<number> {
  let total = 0;
  for (;;) {
    const startedAt = performance.now();
    const [row] = await sql<{ deleted: number }[]>`
      with doomed as (${doomed()}), gone as (
        delete from conveyor.runs where id in (select id from doomed) returning id
      )
      select count(*)::int as deleted from gone`;
    const deleted = row?.deleted ?? 0;
    total += deleted;
    if (deleted < batchSize) return total;
    await new Promise((resolve) => setTimeout(resolve, (performance.now() - startedAt) * restPerBatchTime));
  }
}
