/**
 * The statements that move runs between states in the worker. Each takes a
 * batch of runs and is ONE statement (so one round trip and one atomic
 * write); each also inserts the matching events, whose insert trigger
 * announces them with NOTIFY. Each update is guarded by the status it
 * expects, so a late write (a result after a cancel) changes nothing.
 */
import type { SqlClient } from "../client";
import { secretsKeyring, type SecretsKeyring } from "../secrets-at-rest";
import { lostAttemptLeft, unrecordedStartLostError, workerLostError } from "./reap-lost-workers";

/** What a worker needs to execute a run it is about to start. */
export interface StartedRun {
  id: string;
  type: string;
  /** Who the run belongs to (for logs). */
  ownerId: string;
  /** The input without its sensitive fields, which `openRunSecrets` gives (see `mergeSensitive`). */
  input: unknown;
  /** The sensitive fields, sealed (see secrets-at-rest.ts), and the id of the key that sealed them. */
  sealedSecrets: Buffer | null;
  secretsKeyId: string | null;
  /** Sensitive fields of a run submitted before they were sealed (migration 0017). */
  plaintextSecrets: Record<string, unknown> | null;
  /** The submitter's trace context (W3C traceparent), when it was traced. */
  traceParent: string | null;
  /** The number of the attempt being started (1 for the first). */
  attempts: number;
  maxAttempts: number;
  timeoutMs: number;
}

/** A started run's columns that carry its secrets, as `StartedRun` names them. */
function secretColumns(table: string): string {
  return `${table}sealed_secrets as "sealedSecrets", ${table}secrets_key_id as "secretsKeyId", ${table}secrets as "plaintextSecrets"`;
}

/**
 * The run's sensitive fields, opened (null when it has none). Throws a
 * `SecretsKeyError` saying which key is missing when this process cannot open them.
 */
export function openRunSecrets(run: StartedRun, keyring?: SecretsKeyring): Record<string, unknown> | null {
  // The keyring is looked up only for a run with sealed fields: the lookup reads three environment
  // variables, which cost 0.8% of the worker's CPU when done for every run.
  if (run.sealedSecrets !== null && run.secretsKeyId !== null) {
    return (keyring ?? secretsKeyring()).open({ keyId: run.secretsKeyId, sealed: run.sealedSecrets }, run.id);
  }
  return run.plaintextSecrets;
}

/** A graphile-worker job as handed out: the run and the attempt it was created for. */
export interface AttemptJob {
  runId: string;
  attempt: number;
}

/**
 * The runs a job may start: a run still waiting for exactly the job's
 * attempt, or one found "running" that attempt whose job came back (its
 * worker was lost, or its start was written but the answer never arrived):
 * that attempt counts as lost (given back to max_attempts, see
 * reapLostWorkers), and when the run has no lost attempt left the reaper
 * fails it instead. A finished or cancelled run, or a job that outlived its
 * attempt, is not among them.
 */
const startable = `((r.status in ('queued', 'scheduled') and r.attempts = j.attempt - 1)
                     or (r.status = 'running' and r.attempts = j.attempt and ${lostAttemptLeft}))`;

/** A job to claim: graphile-worker's job for the run's attempt, and whether it was handed out before. */
export interface ClaimedJob extends AttemptJob {
  /**
   * graphile-worker handed this job out before (its `attempts` > 1) and it came back unfinished: the
   * worker it went to was lost. If the run is still waiting for the job's attempt, that worker may
   * have begun it without its start being written (a worker writes a start after its handler has
   * begun; see `startRuns`), or only held the job in its local queue: nothing tells the two apart.
   */
  redelivered?: boolean;
}

/**
 * Claiming the job loses the attempt of a run found running it (counted against the run's
 * lost-attempt budget, as the reaper counts it) or, for a redelivered job, the attempt that may
 * have begun unrecorded (not counted: most such jobs never reached a handler, and a handler that
 * kills its worker is still stopped by the budget, since the claim's start is written before the
 * handler runs again). Either way the next attempt begins and the lost one is given back to
 * max_attempts. SQL on `r` as it was and `j`.
 */
const lostRunning = `(r.status = 'running')`;
const lostOnClaim = `(${lostRunning} or coalesce(j.redelivered, false))`;

/** A run as it would start, read without starting it (see `loadRunsToStart`). */
export interface WaitingRun extends StartedRun {
  /** It was found running the job's attempt: the job came back, so that attempt was lost and only `claimRuns` may start it again. */
  foundRunning: boolean;
}

/**
 * Read the runs graphile-worker has just handed out, in one read, without
 * starting them. The worker starts a run's handler on this read and has the
 * start written by its state writer (`startRuns`, or with the outcome in
 * `completeRuns`); job types whose rate limit must be checked on the input
 * before the attempt begins, and jobs that came back, are started by
 * `claimRuns` instead.
 */
export async function loadRunsToStart(sql: SqlClient, jobs: readonly AttemptJob[]): Promise<WaitingRun[]> {
  if (jobs.length === 0) return [];
  return sql<WaitingRun[]>`
    with j as (
      select * from jsonb_to_recordset(${JSON.stringify(jobs)}::jsonb) as x("runId" uuid, attempt int)
    )
    select r.id, r.type, r.owner_id as "ownerId", r.input, ${sql.unsafe(secretColumns("r."))}, r.trace_parent as "traceParent",
           r.attempts + 1 as attempts, r.max_attempts as "maxAttempts", r.timeout_ms as "timeoutMs",
           r.status = 'running' as "foundRunning"
      from conveyor.runs r
      join j on j."runId" = r.id
     where r.id = any(array(select "runId" from j))
       and ${sql.unsafe(startable)}`;
}

/**
 * Start the runs graphile-worker has just handed out, in ONE statement: each
 * startable run becomes `running` with its next attempt, in this worker's
 * name, with a `started` event, and is returned for execution. Because the
 * start is durable before the handler runs, a worker that dies at any later
 * moment leaves a run its successor finds by `worker_id` (see
 * reapLostWorkers), so the worker may free the attempt's slot as soon as
 * the handler returns and write the outcome afterwards. The worker claims
 * this way the runs of rate-limited job types (after taking their start from
 * the limit) and jobs that came back (a lost attempt is counted here); the
 * others start on `loadRunsToStart`'s read.
 */
export async function claimRuns(
  sql: SqlClient,
  jobs: readonly ClaimedJob[],
  claim: { workerId: string; /** ISO time on the worker's clock, which also times the finish: one clock per duration. */ startedAt: string },
): Promise<StartedRun[]> {
  const { workerId, startedAt } = claim;
  if (jobs.length === 0) return [];
  return sql<StartedRun[]>`
    with j as (
      select * from jsonb_to_recordset(${JSON.stringify(jobs)}::jsonb) as x("runId" uuid, attempt int, redelivered boolean)
    ), claimed as (
      update conveyor.runs r
         set status = 'running', worker_id = ${workerId}, started_at = ${startedAt}::timestamptz, updated_at = now(),
             -- The job's attempt is lost when the job came back: for a run found running it (see startable),
             -- or for a run still waiting for it, whose handler may have begun before its start was written.
             -- The lost attempt is given back to max_attempts, as the reaper does, and the next one begins.
             attempts = j.attempt + (${sql.unsafe(lostOnClaim)})::int,
             lost_attempts = r.lost_attempts + (${sql.unsafe(lostRunning)})::int,
             max_attempts = r.max_attempts + (${sql.unsafe(lostOnClaim)})::int,
             -- The lost attempt's error, as the reaper records it; kept as it was otherwise.
             error = case when ${sql.unsafe(lostRunning)} then ${workerLostError}
                          when coalesce(j.redelivered, false) then ${unrecordedStartLostError}
                          else r.error end
        from j
       where r.id = j."runId"
         -- (= any(array) keeps this an index lookup; the join alone is planned as a full scan.)
         and r.id = any(array(select "runId" from j))
         and ${sql.unsafe(startable)}
      returning r.id, r.type, r.owner_id, r.input, r.sealed_secrets, r.secrets_key_id, r.secrets, r.trace_parent, r.attempts, r.max_attempts, r.timeout_ms, r.started_at,
                r.lost_attempts, r.error, r.attempts > j.attempt as lost
    ), events as (
      -- A lost attempt is recorded as the reaper records it, before the start of the next one (in that order).
      -- The worker is named in the started event: the run's worker_id is cleared when it finishes.
      insert into conveyor.run_events (run_id, kind, at, data)
      select id, kind, started_at, data from (
        select id, 1 as "order", 'retrying'::conveyor.run_event_kind as kind, started_at,
               jsonb_build_object('error', error, 'attempt', attempts - 1, 'lostAttempts', lost_attempts, 'nextAttemptAt', started_at) as data
          from claimed where lost
        union all
        select id, 2, 'started', started_at, jsonb_build_object('attempt', attempts, 'workerId', ${workerId}::text) from claimed
      ) e
      order by id, "order"
    )
    select id, type, owner_id as "ownerId", input, ${sql.unsafe(secretColumns(""))}, trace_parent as "traceParent", attempts, max_attempts as "maxAttempts", timeout_ms as "timeoutMs"
      from claimed`;
}

/** The start of an attempt whose handler is already running, as the worker's state writer records it. */
export interface RunStart {
  id: string;
  /** The attempt begun: the run must still be waiting for it (queued or scheduled, one attempt fewer). */
  attempt: number;
  workerId: string;
  /** ISO time on the worker's clock, which also times the finish: one clock per duration. */
  startedAt: string;
}

/**
 * Record the starts of attempts whose handlers run already (read by
 * `loadRunsToStart`): each run still waiting for that attempt becomes
 * `running` in the worker's name, with its `started` event, as `claimRuns`
 * would have made it. Returns the ids started; a run missing from them was
 * cancelled (or otherwise moved on) meanwhile, and its attempt must stop.
 * The worker holds the attempt's graphile-worker job until this (or the
 * outcome carrying the start) is written, so a crash before it leaves the
 * job to come back, and a crash after it leaves a run the reaper finds.
 */
export async function startRuns(sql: SqlClient, starts: readonly RunStart[]): Promise<Set<string>> {
  if (starts.length === 0) return new Set();
  const rows = await sql<{ id: string }[]>`
    with v as (
      select * from jsonb_to_recordset(${JSON.stringify(starts)}::jsonb) as x(id uuid, attempt int, "workerId" text, "startedAt" timestamptz)
    ), started as (
      update conveyor.runs r
         set status = 'running', attempts = v.attempt, worker_id = v."workerId", started_at = v."startedAt", updated_at = now()
        from v
       where r.id = v.id and r.id = any(array(select id from v))
         and r.status in ('queued', 'scheduled') and r.attempts = v.attempt - 1
      returning r.id, v.attempt, v."workerId", v."startedAt"
    ), events as (
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
  /**
   * The attempt's start, when it is written with the result (a handler that
   * finished before its start was written): the run then goes from waiting
   * to completed in this one write, with both events.
   */
  start?: Pick<RunStart, "workerId" | "startedAt">;
}

/**
 * Store results and mark the runs completed. Returns the ids that were still
 * running that attempt (not cancelled, not taken over meanwhile), or, for a
 * completion carrying its start, still waiting for it.
 */
export async function completeRuns(sql: SqlClient, completions: readonly Completion[]): Promise<Set<string>> {
  if (completions.length === 0) return new Set();
  const rows = completions.map(({ start, ...completion }) => ({ ...completion, startedAt: start?.startedAt ?? null, workerId: start?.workerId ?? null }));
  const completed = await sql<{ id: string }[]>`
    with v as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as x(id uuid, attempt int, output jsonb, "finishedAt" timestamptz, "startedAt" timestamptz, "workerId" text)
    ), updated as (
      update conveyor.runs r
         set status = 'completed', output = v.output, error = null, progress_percent = 100,
             attempts = v.attempt, started_at = coalesce(v."startedAt", r.started_at),
             finished_at = v."finishedAt", worker_id = null, updated_at = now()
        from v
       where r.id = v.id and r.id = any(array(select id from v))
         and (case when v."startedAt" is null then r.status = 'running' and r.attempts = v.attempt
                   else r.status in ('queued', 'scheduled') and r.attempts = v.attempt - 1 end)
      returning r.id, v.attempt, v."finishedAt", v."startedAt", v."workerId"
    ), events as (
      -- A start written with its result gets its started event first, so the run's history reads in order.
      insert into conveyor.run_events (run_id, kind, at, data)
      select id, kind, at, data from (
        select id, 'started'::conveyor.run_event_kind as kind, "startedAt" as at,
               jsonb_build_object('attempt', attempt, 'workerId', "workerId") as data, 0 as n
          from updated where "startedAt" is not null
        union all
        select id, 'completed', "finishedAt", null, 1 from updated
      ) e order by id, n
    )
    select id from updated`;
  return new Set(completed.map((row) => row.id));
}

export interface Failure {
  id: string;
  /** The attempt that failed: a late failure of an earlier attempt is discarded. */
  attempt: number;
  error: string;
  /** When the next attempt may start, or null when the run has failed for good. */
  nextAttemptAt: string | null;
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
       where r.id = v.id and r.id = any(array(select id from v)) and r.status = 'running' and r.attempts = v.attempt
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
