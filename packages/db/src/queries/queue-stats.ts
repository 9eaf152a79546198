import type { RunStatus } from "@conveyor/jobs";
import type { SqlClient } from "../client";
import { workerLivenessMs } from "./worker-heartbeats";
import { allRunCountsText } from "./run-counts";
import { ownerFilterOf, type Viewer } from "../access/viewer";

export interface QueueTypeStats {
  queue: string;
  type: string;
  /** Runs per status right now (statuses with none are 0). */
  counts: Record<RunStatus, number>;
  /** Over the last hour: runs finished as completed and as failed. */
  completedLastHour: number;
  failedLastHour: number;
  /** failed / (completed + failed) over the last hour; null when nothing finished. */
  failureRate: number | null;
  /** Start to finish of the runs completed in the last hour, in ms; null when none. */
  durationMs: { average: number; p50: number; p95: number } | null;
}

export interface ThroughputMinute {
  /** Start of the minute (ISO 8601). */
  minute: string;
  completed: number;
  failed: number;
}

export interface WorkerStatus {
  id: string;
  hostname: string;
  pid: number;
  concurrency: number;
  jobTypes: string[];
  startedAt: string;
  heartbeatAt: string;
  alive: boolean;
  /** The runs it is executing now. */
  runningRunIds: string[];
}

export interface QueueStats {
  queues: QueueTypeStats[];
  /** Runs finished per minute over the last hour, oldest first, minutes without any included as zeros. */
  throughput: ThroughputMinute[];
  /** The worker processes (admins only: a user sees an empty list). */
  workers: WorkerStatus[];
}

const emptyCounts = (): Record<RunStatus, number> => ({
  queued: 0,
  scheduled: 0,
  running: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
});

/**
 * What operators watch: per queue and job type, counts, throughput, durations
 * and failure rate; and the workers. A user sees the figures of their own runs.
 */
export async function queueStats(sql: SqlClient, viewer: Viewer): Promise<QueueStats> {
  const owner = ownerFilterOf(viewer);
  const ownRuns = owner === null ? sql`` : sql`and owner_id = ${owner}`;
  const [counts, recent, throughput, workers] = await Promise.all([
    // Counted by the triggers on runs (see run-counts.ts): a few rows, however many runs there are.
    sql<{ queue: string; type: string; status: RunStatus; count: number }[]>`
      select queue, type, status, sum(n)::int as count from ${sql.unsafe(allRunCountsText)} counts
       where true ${ownRuns} group by queue, type, status having sum(n) <> 0`,
    sql<{ queue: string; type: string; completed: number; failed: number; average: number | null; p50: number | null; p95: number | null }[]>`
      select queue, type,
             count(*) filter (where status = 'completed')::int as completed,
             count(*) filter (where status = 'failed')::int as failed,
             (avg(extract(epoch from finished_at - started_at) * 1000) filter (where status = 'completed'))::float8 as average,
             (percentile_cont(0.5) within group (order by extract(epoch from finished_at - started_at) * 1000)
               filter (where status = 'completed'))::float8 as p50,
             (percentile_cont(0.95) within group (order by extract(epoch from finished_at - started_at) * 1000)
               filter (where status = 'completed'))::float8 as p95
        from conveyor.runs
       where finished_at > now() - interval '1 hour' and status in ('completed', 'failed') ${ownRuns}
       group by queue, type`,
    sql<{ minute: string; completed: number; failed: number }[]>`
      select to_char(m.minute at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as minute,
             count(r.id) filter (where r.status = 'completed')::int as completed,
             count(r.id) filter (where r.status = 'failed')::int as failed
        from generate_series(date_trunc('minute', now()) - interval '59 minutes', date_trunc('minute', now()), interval '1 minute') as m(minute)
        left join conveyor.runs r
          on r.finished_at >= m.minute and r.finished_at < m.minute + interval '1 minute'
         and r.status in ('completed', 'failed')
         ${owner === null ? sql`` : sql`and r.owner_id = ${owner}`}
       group by m.minute
       order by m.minute`,
    sql<(Omit<WorkerStatus, "startedAt" | "heartbeatAt"> & { startedAt: string; heartbeatAt: string })[]>`
      select w.id, w.hostname, w.pid, w.concurrency, w.job_types as "jobTypes",
             to_char(w.started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "startedAt",
             to_char(w.heartbeat_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "heartbeatAt",
             w.heartbeat_at > now() - ${`${workerLivenessMs} milliseconds`}::interval as alive,
             coalesce(running.ids, '{}') as "runningRunIds"
        from conveyor.workers w
        -- Running runs are few: found through the status index, not by scanning runs once per worker.
        left join (select worker_id, array_agg(id::text) as ids from conveyor.runs where status = 'running' group by worker_id) running
          on running.worker_id = w.id
       where ${owner}::text is null
       order by w.started_at`,
  ]);

  const byKey = new Map<string, QueueTypeStats>();
  const entry = (queue: string, type: string) => {
    const key = `${queue}\u0000${type}`;
    let stats = byKey.get(key);
    if (!stats) {
      stats = { queue, type, counts: emptyCounts(), completedLastHour: 0, failedLastHour: 0, failureRate: null, durationMs: null };
      byKey.set(key, stats);
    }
    return stats;
  };
  for (const row of counts) entry(row.queue, row.type).counts[row.status] = row.count;
  for (const row of recent) {
    const stats = entry(row.queue, row.type);
    stats.completedLastHour = row.completed;
    stats.failedLastHour = row.failed;
    const finished = row.completed + row.failed;
    stats.failureRate = finished > 0 ? row.failed / finished : null;
    stats.durationMs =
      row.average === null || row.p50 === null || row.p95 === null
        ? null
        : { average: Math.round(row.average), p50: Math.round(row.p50), p95: Math.round(row.p95) };
  }
  const queues = [...byKey.values()].sort((a, b) => a.queue.localeCompare(b.queue) || a.type.localeCompare(b.type));
  return { queues, throughput: [...throughput], workers: [...workers] };
}
