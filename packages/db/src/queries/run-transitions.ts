/**
 * The statements that move runs between states in the worker. Each takes a
 * batch of runs and is ONE statement (so one round trip and one atomic
 * write); each also inserts the matching events, whose insert trigger
 * announces them with NOTIFY. Each update is guarded by the status it
 * expects, so a late write (a result after a cancel) changes nothing.
 */
import type { SqlClient } from "../client";

/** What a worker needs to execute a run it is about to start. */
export interface StartedRun {
  id: string;
  type: string;
  /** Who the run belongs to (for logs). */
  ownerId: string;
  /** The input without its sensitive fields, which are in `secrets` (see `mergeSensitive`). */
  input: unknown;
  secrets: Record<string, unknown> | null;
  /** The submitter's trace context (W3C traceparent), when it was traced. */
  traceParent: string | null;
  /** The number of the attempt being started (1 for the first). */
  attempts: number;
  maxAttempts: number;
  timeoutMs: number;
}

/** A graphile-worker job as handed out: the run and the attempt the job was created for. */
export interface AttemptJob {
  runId: string;
  attempt: number;
}

/**
 * Load the runs graphile-worker has just handed out, in one read. A job
 * starts its run only when the run still waits for exactly that attempt: a
 * finished or cancelled run, or a job that outlived its attempt, is absent
 * from the result. A run found "running" was lost with its worker (its job
 * was released) and the new attempt counts; when none is left, the reaper
 * fails it instead.
 * Nothing is written here: the start is recorded by `recordStarts`, or
 * together with the result when the run finishes before that write goes out.
 */
export async function loadRunsToStart(sql: SqlClient, jobs: readonly AttemptJob[]): Promise<StartedRun[]> {
  if (jobs.length === 0) return [];
  return sql<StartedRun[]>`
    with j as (
      select * from jsonb_to_recordset(${JSON.stringify(jobs)}::jsonb) as x("runId" uuid, attempt int)
    )
    select r.id, r.type, r.owner_id as "ownerId", r.input, r.secrets, r.trace_parent as "traceParent", r.attempts + 1 as attempts, r.max_attempts as "maxAttempts", r.timeout_ms as "timeoutMs"
      from conveyor.runs r
      join j on j."runId" = r.id
     where r.id = any(array(select "runId" from j))
       and ((r.status in ('queued', 'scheduled') and r.attempts = j.attempt - 1)
            or (r.status = 'running' and r.attempts < r.max_attempts))`;
}

/** An attempt that has begun, as the worker saw it. */
export interface StartRecord {
  id: string;
  attempt: number;
  /** The worker process running the attempt (see `workers`). */
  workerId: string;
  /** ISO time on the worker's clock, so a run's durations use one clock. */
  startedAt: string;
}

/**
 * Mark runs running with their attempt number and record `started` events.
 * Returns the ids that were started by this call (not finished, cancelled
 * or already started for that attempt).
 */
export async function recordStarts(sql: SqlClient, starts: readonly StartRecord[]): Promise<Set<string>> {
  if (starts.length === 0) return new Set();
  const rows = await sql<{ id: string }[]>`
    with v as (
      select * from jsonb_to_recordset(${JSON.stringify(starts)}::jsonb)
        as x(id uuid, attempt int, "workerId" text, "startedAt" timestamptz)
    ), started as (
      update conveyor.runs r
         set status = 'running', attempts = v.attempt, worker_id = v."workerId", started_at = v."startedAt", updated_at = now()
        from v
       where r.id = v.id and r.status in ('queued', 'scheduled', 'running')
         and r.attempts < v.attempt -- the same start written twice changes nothing
      returning r.id, v.attempt, v."startedAt", v."workerId"
    ), events as (
      -- The worker is named in the event: the run's worker_id is cleared when it finishes.
      insert into conveyor.run_events (run_id, kind, at, data)
      select id, 'started', "startedAt", jsonb_build_object('attempt', attempt, 'workerId', "workerId") from started
    )
    select id from started`;
  return new Set(rows.map((row) => row.id));
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

/** A line a handler wrote with `ctx.log`, kept as a `log` event of its run. */
export interface LogLine {
  id: string;
  attempt: number;
  level: "info" | "warn";
  message: string;
  fields: Record<string, unknown> | null;
  /** ISO time on the worker's clock. */
  at: string;
}

/** Store log lines as `log` events of their (unfinished) runs, in the order given. */
export async function writeLogs(sql: SqlClient, lines: readonly LogLine[]): Promise<void> {
  if (lines.length === 0) return;
  await sql`
    with v as (
      select * from rows from (
        jsonb_to_recordset(${JSON.stringify(lines)}::jsonb)
          as (id uuid, attempt int, level text, message text, fields jsonb, at timestamptz)
      ) with ordinality as x(id, attempt, level, message, fields, at, n)
    )
    insert into conveyor.run_events (run_id, kind, at, data)
    select v.id, 'log', v.at,
           jsonb_build_object('attempt', v.attempt, 'level', v.level, 'message', v.message, 'fields', v.fields)
      from v join conveyor.runs r on r.id = v.id
     where r.status in ('queued', 'scheduled', 'running')
     order by v.n`;
}

export interface Completion {
  id: string;
  /** The attempt that produced the result: a late result of an earlier attempt is discarded. */
  attempt: number;
  output: unknown;
  /** ISO time on the worker's clock. */
  finishedAt: string;
  /** Present when the start of this attempt may not be written yet: it is written with the result unless it was. */
  start?: StartRecord;
}

/**
 * Store results and mark the runs completed. A completion that carries its
 * start also records the attempt and its `started` event, so a short run
 * costs one row update instead of two. Returns the ids that were still running
 * (or, for those carrying their start, still waiting).
 */
export async function completeRuns(sql: SqlClient, completions: readonly Completion[]): Promise<Set<string>> {
  if (completions.length === 0) return new Set();
  const rows = await sql<{ id: string }[]>`
    with v as (
      select x.id, x.attempt as "resultOf", x.output, x."finishedAt",
             x.start->>'attempt' as attempt, x.start->>'startedAt' as "startedAt", x.start->>'workerId' as "workerId"
        from jsonb_to_recordset(${JSON.stringify(completions)}::jsonb)
          as x(id uuid, attempt int, output jsonb, "finishedAt" timestamptz, start jsonb)
    ), before as (
      -- The rows as they were: they tell whether this attempt's start is already written.
      -- (= any(array) keeps this an index lookup; a plain join to v is planned as a full scan.)
      select id, attempts from conveyor.runs where id = any(array(select id from v))
    ), updated as (
      update conveyor.runs r
         set status = 'completed', output = v.output, error = null, progress_percent = 100,
             attempts = greatest(r.attempts, coalesce(v.attempt::int, r.attempts)),
             started_at = case when v.attempt::int > r.attempts then v."startedAt"::timestamptz else r.started_at end,
             finished_at = v."finishedAt", worker_id = null, updated_at = now()
        from v
        join before on before.id = v.id
       where r.id = v.id
         and (r.status = 'running' or (v.attempt is not null and r.status in ('queued', 'scheduled')))
         and greatest(r.attempts, coalesce(v.attempt::int, 0)) = v."resultOf"
      returning r.id, v.attempt::int > before.attempts as "startUnwritten", v.attempt::int as attempt,
                v."startedAt"::timestamptz as "startedAt", v."workerId", v."finishedAt"
    ), events as (
      -- Started before completed: identity ids follow the order rows are produced.
      insert into conveyor.run_events (run_id, kind, at, data)
      select id, kind::conveyor.run_event_kind, at, data from (
        select id, 'started' as kind, "startedAt" as at, jsonb_build_object('attempt', attempt, 'workerId', "workerId") as data, 0 as step
          from updated where "startUnwritten"
        union all
        select id, 'completed', "finishedAt", null, 1 from updated
      ) e
      order by step
    )
    select id from updated`;
  return new Set(rows.map((row) => row.id));
}

export interface Failure {
  id: string;
  /** The attempt that failed: a late failure of an earlier attempt is discarded. */
  attempt: number;
  error: string;
  /** When the next attempt may start, or null when the run has failed for good. */
  nextAttemptAt: string | null;
  /** The attempt's start, kept by the writer until the outcome is written (not used by this statement). */
  start?: StartRecord;
  /** The attempt was cut short by its worker stopping: the run gets one more attempt for it. */
  release?: boolean;
}

/**
 * Record failed attempts: a run with attempts left becomes `scheduled` with a
 * `retrying` event, and its next attempt's job is added for `nextAttemptAt`
 * in the same statement (so a crash cannot lose it); one without becomes
 * `failed`. Each attempt's error stays in its event. Returns the ids that
 * were still running that attempt.
 */
export async function failRuns(sql: SqlClient, failures: readonly Failure[]): Promise<Set<string>> {
  if (failures.length === 0) return new Set();
  const rows = await sql<{ id: string }[]>`
    with v as (
      select * from jsonb_to_recordset(${JSON.stringify(failures)}::jsonb)
        as x(id uuid, attempt int, error text, "nextAttemptAt" timestamptz, release boolean)
    ), updated as (
      update conveyor.runs r
         set status = (case when v."nextAttemptAt" is null then 'failed' else 'scheduled' end)::conveyor.run_status,
             error = v.error,
             max_attempts = case when v.release then greatest(r.max_attempts, r.attempts + 1) else r.max_attempts end,
             run_at = coalesce(v."nextAttemptAt", r.run_at),
             finished_at = case when v."nextAttemptAt" is null then now() end,
             worker_id = null,
             updated_at = now()
        from v
       where r.id = v.id and r.status = 'running' and r.attempts = v.attempt
      returning r.id, r.type, r.priority, r.lane, r.attempts, v.error, v."nextAttemptAt"
    ), events as (
      insert into conveyor.run_events (run_id, kind, data)
      select id,
             (case when "nextAttemptAt" is null then 'failed' else 'retrying' end)::conveyor.run_event_kind,
             jsonb_strip_nulls(jsonb_build_object('error', error, 'attempt', attempts, 'nextAttemptAt', "nextAttemptAt"))
        from updated
    ), next_attempts as (
      select conveyor.schedule_attempt(id, type, attempts + 1, "nextAttemptAt", priority, lane)
        from updated where "nextAttemptAt" is not null
    )
    -- Referencing next_attempts makes Postgres run it.
    select id from updated where (select count(*) from next_attempts) >= 0`;
  return new Set(rows.map((row) => row.id));
}
