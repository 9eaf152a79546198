import type { SqlClient } from "../client";

export type RateDecision = { granted: true } | { granted: false; retryAt: Date };

/**
 * Take one start from a bucket's current fixed window (`perMs` long), if
 * fewer than `max` were taken: one atomic statement, so the limit holds
 * across every worker. Denied: when the next window opens.
 */
export async function takeRateSlot(sql: SqlClient, bucket: string, max: number, perMs: number, now = Date.now()): Promise<RateDecision> {
  const windowStart = Math.floor(now / perMs) * perMs;
  const rows = await sql<{ used: number }[]>`
    insert into conveyor.rate_windows (bucket, window_start, used)
    values (${bucket}, ${new Date(windowStart).toISOString()}::timestamptz, 1)
    on conflict (bucket, window_start) do update set used = rate_windows.used + 1
     where rate_windows.used < ${max}
    returning used`;
  return rows.length > 0 ? { granted: true } : { granted: false, retryAt: new Date(windowStart + perMs) };
}

/**
 * Put a run that was held back by its rate limit back to `scheduled` until
 * `retryAt`, without counting an attempt: the job for the same attempt is
 * added again for that time (retiring the one being executed).
 */
export async function deferRun(sql: SqlClient, runId: string, attempt: number, retryAt: Date): Promise<boolean> {
  const rows = await sql<{ id: string }[]>`
    with deferred as (
      update conveyor.runs r set status = 'scheduled', run_at = ${retryAt.toISOString()}::timestamptz, updated_at = now()
       where r.id = ${runId} and r.status in ('queued', 'scheduled') and r.attempts = ${attempt - 1}
      returning r.id, r.type, r.priority, r.lane
    ), rescheduled as (
      select conveyor.schedule_attempt(id, type, ${attempt}, ${retryAt.toISOString()}::timestamptz, priority, lane) from deferred
    )
    select id from deferred where (select count(*) from rescheduled) >= 0`;
  return rows.length > 0;
}

/** Forget windows that closed long ago (the prune job calls this). */
export async function pruneRateWindows(sql: SqlClient, olderThanMs = 24 * 60 * 60 * 1000): Promise<number> {
  const rows = await sql`
    delete from conveyor.rate_windows where window_start < now() - ${`${olderThanMs} milliseconds`}::interval returning 1`;
  return rows.length;
}
