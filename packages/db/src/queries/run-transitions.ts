/**
 * The statements that move runs between states in the worker. Each takes a
 * batch of runs and is ONE statement (so one round trip and one atomic
 * write); each also inserts the matching events, whose insert trigger
 * announces them with NOTIFY. Each update is guarded by the status it
 * expects, so a late write (a result after a cancel) changes nothing.
 */
import type { SqlClient } from "../client";

/** What a worker needs to execute a run it has just marked running. */
export interface StartedRun {
  id: string;
  type: string;
  input: unknown;
  attempts: number;
  maxAttempts: number;
  timeoutMs: number;
}

/**
 * Mark runs running and count the attempt. A run that is no longer waiting
 * (finished or cancelled) is left alone and absent from the result; a run
 * already "running" is taken again, because graphile-worker hands a job out
 * again only when the worker that had it died.
 */
export async function startRuns(sql: SqlClient, runIds: readonly string[]): Promise<StartedRun[]> {
  return sql<StartedRun[]>`
    with started as (
      update conveyor.runs
         set status = 'running', attempts = attempts + 1, started_at = now(), updated_at = now()
       where id = any(${runIds}::uuid[])
         and status in ('queued', 'scheduled', 'running')
      returning id, type, input, attempts, max_attempts, timeout_ms
    ), events as (
      insert into conveyor.run_events (run_id, kind, data)
      select id, 'started', jsonb_build_object('attempt', attempts) from started
    )
    select id, type, input, attempts, max_attempts as "maxAttempts", timeout_ms as "timeoutMs" from started`;
}

export interface ProgressUpdate {
  id: string;
  percent: number;
  message: string | null;
  data: unknown;
}

/** Store the latest progress of each run and record it as a `progress` event. */
export async function writeProgress(sql: SqlClient, updates: readonly ProgressUpdate[]): Promise<void> {
  if (updates.length === 0) return;
  await sql`
    with v as (
      select * from jsonb_to_recordset(${JSON.stringify(updates)}::jsonb)
        as x(id uuid, percent real, message text, data jsonb)
    ), updated as (
      update conveyor.runs r
         set progress_percent = v.percent, progress_message = v.message, progress_data = v.data, updated_at = now()
        from v
       where r.id = v.id and r.status = 'running'
      returning r.id, v.percent, v.message, v.data
    )
    insert into conveyor.run_events (run_id, kind, data)
    select id, 'progress', jsonb_build_object('percent', percent, 'message', message, 'data', data) from updated`;
}

export interface Completion {
  id: string;
  output: unknown;
}

/** Store results and mark the runs completed. Returns the ids that were still running. */
export async function completeRuns(sql: SqlClient, completions: readonly Completion[]): Promise<Set<string>> {
  if (completions.length === 0) return new Set();
  const rows = await sql<{ id: string }[]>`
    with v as (
      select * from jsonb_to_recordset(${JSON.stringify(completions)}::jsonb) as x(id uuid, output jsonb)
    ), updated as (
      update conveyor.runs r
         set status = 'completed', output = v.output, error = null, progress_percent = 100,
             finished_at = now(), updated_at = now()
        from v
       where r.id = v.id and r.status = 'running'
      returning r.id
    ), events as (
      insert into conveyor.run_events (run_id, kind, data) select id, 'completed', null from updated
    )
    select id from updated`;
  return new Set(rows.map((row) => row.id));
}

export interface Failure {
  id: string;
  error: string;
  /** When the next attempt may start, or null when the run has failed for good. */
  nextAttemptAt: string | null;
}

/**
 * Record failed attempts: a run with attempts left becomes `scheduled` with a
 * `retrying` event; one without becomes `failed`. Returns the ids that were
 * still running.
 */
export async function failRuns(sql: SqlClient, failures: readonly Failure[]): Promise<Set<string>> {
  if (failures.length === 0) return new Set();
  const rows = await sql<{ id: string }[]>`
    with v as (
      select * from jsonb_to_recordset(${JSON.stringify(failures)}::jsonb)
        as x(id uuid, error text, "nextAttemptAt" timestamptz)
    ), updated as (
      update conveyor.runs r
         set status = (case when v."nextAttemptAt" is null then 'failed' else 'scheduled' end)::conveyor.run_status,
             error = v.error,
             run_at = coalesce(v."nextAttemptAt", r.run_at),
             finished_at = case when v."nextAttemptAt" is null then now() end,
             updated_at = now()
        from v
       where r.id = v.id and r.status = 'running'
      returning r.id, r.attempts, v.error, v."nextAttemptAt"
    ), events as (
      insert into conveyor.run_events (run_id, kind, data)
      select id,
             (case when "nextAttemptAt" is null then 'failed' else 'retrying' end)::conveyor.run_event_kind,
             jsonb_strip_nulls(jsonb_build_object('error', error, 'attempt', attempts, 'nextAttemptAt', "nextAttemptAt"))
        from updated
    )
    select id from updated`;
  return new Set(rows.map((row) => row.id));
}
