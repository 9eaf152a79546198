/**
 * What people do to runs: cancel one, run a failed or cancelled one again,
 * or run many failed ones again. Each is one statement: the status change,
 * its event, the graphile-worker job change and the audit log's entry
 * (naming the viewer as the actor) commit together.
 */
import { z } from "zod";
import { instantSchema, queueNameSchema, type RunStatus } from "@conveyor/jobs";
import type { SqlClient } from "../client";
import { RunNotFoundError, RunStateConflictError } from "../errors";
import { ownerFilterOf, type Viewer } from "../access/viewer";
import { recordAudit } from "../access/audit-log";

/** The NOTIFY channel on which workers learn that a run they execute was cancelled. */
export const cancelChannel = "conveyor_cancel";

const cancellable: readonly RunStatus[] = ["queued", "scheduled", "running"];
const retryable: readonly RunStatus[] = ["failed", "cancelled"];

/**
 * Cancel a run and its unfinished children: a waiting run's job is taken
 * away (it never starts); a running run's worker is told at once (its
 * `ctx.signal` aborts) and any result it still produces is discarded.
 */
export async function cancelRun(sql: SqlClient, viewer: Viewer, runId: string): Promise<{ id: string; status: RunStatus }> {
  const owner = ownerFilterOf(viewer);
  const [row] = await sql<{ id: string; previous: RunStatus }[]>`
    with recursive tree as (
      -- The run and every run it started as a child (flows), at any depth.
      select id from conveyor.runs where id = ${runId} and (${owner}::text is null or owner_id = ${owner})
      union
      select c.id from conveyor.runs c join tree t on c.parent_id = t.id
    ), before as (
      select id, status from conveyor.runs where id in (select id from tree) for update
    ), cancelled as (
      update conveyor.runs r
         set status = 'cancelled', finished_at = now(), worker_id = null, updated_at = now()
        from before
       where r.id = before.id and before.status in ('queued', 'scheduled', 'running')
         and exists (select 1 from before root where root.id = ${runId} and root.status in ('queued', 'scheduled', 'running'))
      returning r.id, before.status as previous
    ), events as (
      insert into conveyor.run_events (run_id, kind, data)
      select id, 'cancelled',
             jsonb_build_object('reason', case when id = ${runId} then 'cancelled by request' else 'its parent run was cancelled' end)
        from cancelled
    ), unscheduled as (
      select conveyor.unschedule_run(id) from cancelled
    ), told as (
      -- Whatever its recorded status: a worker may have begun an attempt whose start is not written yet.
      select pg_notify(${cancelChannel}, id::text) from cancelled
    ), audited as (
      ${recordAudit(sql, viewer, "run.cancelled")} (
        select id::text as target_id,
               jsonb_build_object('previousStatus', previous, 'childrenCancelled', (select count(*) from cancelled) - 1) as details
          from cancelled where id = ${runId}) entry
    )
    select id, previous from cancelled
     where id = ${runId} and (select count(*) from unscheduled) >= 0 and (select count(*) from told) >= 0
    union all
    select id, status from before where id = ${runId} and not exists (select 1 from cancelled where id = ${runId})`;
  if (!row) throw new RunNotFoundError(runId);
  if (!cancellable.includes(row.previous)) throw new RunStateConflictError(runId, row.previous, "cancelled", cancellable);
  return { id: row.id, status: "cancelled" };
}

/**
 * Run a failed or cancelled run again, keeping its history: it is queued with
 * a fresh budget of attempts (as many as its submission granted) and a
 * `queued` event.
 */
export async function retryRun(sql: SqlClient, viewer: Viewer, runId: string): Promise<{ id: string; status: RunStatus }> {
  const owner = ownerFilterOf(viewer);
  const [row] = await sql<{ id: string; status: RunStatus; retried: boolean }[]>`
    with before as (
      select id, status from conveyor.runs
       where id = ${runId} and (${owner}::text is null or owner_id = ${owner})
         for update
    ), targets as (
      select id from before where status in ('failed', 'cancelled')
    ), ${requeueSteps(sql)}, audited as (
      ${recordAudit(sql, viewer, "run.retried")} (
        select r.id::text as target_id, jsonb_build_object('previousStatus', b.status) as details
          from requeued r join before b on b.id = r.id) entry
    )
    select id, 'queued'::conveyor.run_status as status, true as retried from requeued
     where (select count(*) from scheduled) >= 0
    union all
    select id, status, false from before where not exists (select 1 from requeued)`;
  if (!row) throw new RunNotFoundError(runId);
  if (!row.retried) throw new RunStateConflictError(runId, row.status, "retried", retryable);
  return { id: row.id, status: "queued" };
}

export const retryFailedInputSchema = z
  .object({
    // PostgreSQL text holds no NUL character: one would fail the query rather than match nothing.
    type: z.string().min(1).max(200).refine((text) => !text.includes("\u0000"), "must not contain a NUL character (\\u0000)").optional(),
    queue: queueNameSchema.optional(),
    /** Only runs that failed at or after this time (ISO 8601 with a time zone, or a Date). */
    since: instantSchema.optional(),
    /** At most this many runs, oldest failure first (default and maximum: 10,000). */
    limit: z.number().int().min(1).max(10_000).default(10_000),
  })
  .strict();
export type RetryFailedInput = z.input<typeof retryFailedInputSchema>;

/** Run again every failed run that matches the filter (the dead-letter list), in one statement. */
export async function retryFailedRuns(
  sql: SqlClient,
  viewer: Viewer,
  rawFilter: RetryFailedInput = {},
): Promise<{ retried: number; ids: string[] }> {
  const filter = retryFailedInputSchema.parse(rawFilter);
  const owner = ownerFilterOf(viewer);
  const rows = await sql<{ id: string }[]>`
    with targets as (
      select id from conveyor.runs
       where status = 'failed'
         ${owner === null ? sql`` : sql`and owner_id = ${owner}`}
         ${filter.type ? sql`and type = ${filter.type}` : sql``}
         ${filter.queue ? sql`and queue = ${filter.queue}` : sql``}
         ${filter.since ? sql`and finished_at >= ${filter.since.toISOString()}::timestamptz` : sql``}
       order by finished_at
       limit ${filter.limit}
       for update skip locked
    ), ${requeueSteps(sql)}, audited as (
      -- One entry for the bulk action: its filter and how many runs it queued again (none: no entry).
      ${recordAudit(sql, viewer, "runs.retried_failed")} (
        select null::text as target_id, jsonb_build_object('filter', ${JSON.stringify(filter)}::jsonb, 'retried', count(*)) as details
          from requeued having count(*) > 0) entry
    )
    select id from requeued where (select count(*) from scheduled) >= 0`;
  return { retried: rows.length, ids: rows.map((row) => row.id) };
}

/**
 * The steps that queue the runs of a `targets` CTE again: status, a fresh
 * attempt budget, a `queued` event and the next attempt's job. They end in
 * `requeued` (the ids) and `scheduled`, which the caller must reference so
 * that Postgres runs it.
 */
function requeueSteps(sql: SqlClient) {
  return sql`
    requeued as (
      update conveyor.runs r
         set status = 'queued', error = null, output = null, finished_at = null, run_at = now(),
             progress_percent = 0, progress_message = null, progress_data = null,
             max_attempts = r.attempts + r.attempt_budget, worker_id = null, updated_at = now()
       where r.id in (select id from targets)
      returning r.id, r.type, r.attempts, r.priority, r.lane
    ), requeued_events as (
      insert into conveyor.run_events (run_id, kind, data)
      select id, 'queued', jsonb_build_object('reason', 'retried by request') from requeued
    ), scheduled as (
      select conveyor.schedule_attempt(id, type, attempts + 1, now(), priority, lane) from requeued
    )`;
}
