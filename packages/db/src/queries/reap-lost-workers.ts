import type { Database } from "../client";
import { workerLivenessInterval } from "./worker-heartbeats";

export interface ReapedWorkers {
  /** Workers presumed dead and removed. */
  workers: string[];
  /** Their running runs: scheduled for another attempt, or failed when none is left. */
  runs: string[];
}

/**
 * Whether a run whose current attempt is being lost may try again: the one rule of the lost-attempt
 * budget, for the reaper and for a claim that finds its job came back (run-transitions.ts). SQL on
 * `conveyor.runs r`, as it is before the loss is counted.
 */
export const lostAttemptLeft = "r.lost_attempts + 1 < r.max_lost_attempts";

/** The error a lost attempt is recorded with. */
export const workerLostError = "worker lost: its process stopped heartbeating during the attempt";

/**
 * The error of an attempt whose job came back from a lost worker before its start was written (see
 * `claimRuns`): its handler may have begun, so it is named as lost and the next attempt gets a new number.
 */
export const unrecordedStartLostError = "worker lost: its process stopped heartbeating before the attempt's start was recorded (its handler may have begun)";

/**
 * Take over from workers that stopped heartbeating (killed, crashed, cut
 * off): each run they were executing counts the lost attempt against its
 * lost-attempt budget and is scheduled again at once (or fails when that
 * budget is spent), and the
 * jobs they had locked are released for others, instead of graphile-worker's
 * 4-hour lock timeout. Every live worker calls this periodically; `skip
 * locked` lets exactly one of them handle each dead worker.
 */
export async function reapLostWorkers(db: Database): Promise<ReapedWorkers> {
  return db.$client.begin(async (sql) => {
    const dead = await sql<{ id: string; graphileWorkerIds: string[] }[]>`
      select id, graphile_worker_ids as "graphileWorkerIds" from conveyor.workers
       where heartbeat_at < now() - ${workerLivenessInterval}::interval
       for update skip locked`;
    if (dead.length === 0) return { workers: [], runs: [] };
    const deadIds = dead.map((worker) => worker.id);

    // A lost attempt is given back to max_attempts and retried at once (no backoff: it is not the
    // job's failure), until the run has lost max_lost_attempts of them (a handler that kills every
    // worker it runs on), when the run fails saying so.
    const left = sql.unsafe(lostAttemptLeft);
    const lost = await sql<{ id: string }[]>`
      with lost as (
        update conveyor.runs r
           set status = (case when ${left} then 'scheduled' else 'failed' end)::conveyor.run_status,
               error = case when ${left} then ${workerLostError}
                            else ${workerLostError} || ', ' || (r.lost_attempts + 1) || ' attempts lost (maxLostAttempts ' || r.max_lost_attempts || ')' end,
               lost_attempts = r.lost_attempts + 1,
               max_attempts = r.max_attempts + (${left})::int,
               run_at = now(),
               finished_at = case when ${left} then null else now() end,
               worker_id = null,
               updated_at = now()
         where r.worker_id = any(${deadIds}) and r.status = 'running'
        returning r.id, r.type, r.priority, r.lane, r.attempts, r.status, r.error, r.lost_attempts
      ), events as (
        insert into conveyor.run_events (run_id, kind, data)
        select id,
               (case when status = 'failed' then 'failed' else 'retrying' end)::conveyor.run_event_kind,
               jsonb_strip_nulls(jsonb_build_object(
                 'error', error, 'attempt', attempts, 'lostAttempts', lost_attempts,
                 'nextAttemptAt', case when status = 'scheduled' then now() end))
          from lost
      ), next_attempts as (
        -- Keyed by the run: this retires the job the dead worker held.
        select conveyor.schedule_attempt(id, type, attempts + 1, now(), priority, lane) from lost where status = 'scheduled'
      )
      select id from lost where (select count(*) from next_attempts) >= 0`;

    // Jobs the dead workers had fetched but not started go back to the queue.
    const graphileIds = dead.flatMap((worker) => worker.graphileWorkerIds);
    if (graphileIds.length > 0) await sql`select graphile_worker.force_unlock_workers(${graphileIds}::text[])`;
    await sql`delete from conveyor.workers where id = any(${deadIds})`;
    return { workers: deadIds, runs: lost.map((row) => row.id) };
  });
}

/**
 * Release the job locks of graphile-worker pools that no worker row names: a worker killed between
 * graphile-worker's first fetch and the write of its pool's id (the `pool:create` event's heartbeat
 * races that fetch) leaves jobs locked in a name `reapLostWorkers` never learns, which graphile-worker
 * itself would free only after its 4-hour lock timeout. A lock younger than the liveness window is
 * left alone, since its worker's row may still be on its way. This reads graphile-worker's jobs
 * table without an index on its locks (adding one would cost every fetch an index write), so workers
 * call it once a minute, not at every heartbeat. Returns the pool ids released.
 */
export async function releaseOrphanedJobLocks(db: Database): Promise<string[]> {
  const rows = await db.$client<{ poolId: string }[]>`
    with orphaned as (
      select locked_by from graphile_worker._private_jobs
       where locked_by is not null and locked_at < now() - ${workerLivenessInterval}::interval
      union
      select locked_by from graphile_worker._private_job_queues
       where locked_by is not null and locked_at < now() - ${workerLivenessInterval}::interval
    ), unnamed as (
      select o.locked_by from orphaned o
       where not exists (select 1 from conveyor.workers w where o.locked_by = any(w.graphile_worker_ids))
    ), released as (
      select graphile_worker.force_unlock_workers(array(select locked_by from unnamed))
    )
    select locked_by as "poolId" from unnamed where (select count(*) from released) >= 0`;
  return rows.map((row) => row.poolId);
}
