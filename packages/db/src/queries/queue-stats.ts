import type { RunStatus } from "@conveyor/jobs";
import type { SqlClient } from "../client";
import { workerLivenessInterval } from "./worker-heartbeats";
import { allRunCountsText, allRunMinutesText } from "./run-counts";
import { ownerFilterOf, type Viewer } from "../access/viewer";

export interface QueueTypeStats {
  queue: string;
  type: string;
  /** Runs per status right now (statuses with none are 0). */
  counts: Record<RunStatus, number>;
  /** Over the last hour (this minute and the 59 before): runs finished as completed and as failed. */
  completedLastHour: number;
  failedLastHour: number;
  /** failed / (completed + failed) over the last hour; null when nothing finished. */
  failureRate: number | null;
  /**
   * Start to finish of the runs completed in the last hour, in ms; null when none. The average is
   * exact; p50 and p95 are read from 10%-wide buckets of duration, so within 5% of the true figure.
   */
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
  // "The last hour": the current minute and the 59 before it, as the throughput chart shows them.
  const lastHour = sql`date_trunc('minute', now()) - interval '59 minutes'`;
  const [counts, recent, throughput, workers] = await Promise.all([
    // Counted by the triggers on runs (see run-counts.ts): a few rows, however many runs there are.
    sql<{ queue: string; type: string; status: RunStatus; count: number }[]>`
      select queue, type, status, sum(n)::int as count from ${sql.unsafe(allRunCountsText)} counts
       where true ${ownRuns} group by queue, type, status having sum(n) <> 0`,
    // The last hour's finishes, from the per-minute rollups (see run-counts.ts): per bucket of duration.
    sql<{ queue: string; type: string; status: "completed" | "failed"; bucket: number; count: number; durationMs: number }[]>`
      select queue, type, status, bucket, sum(n)::int as count, sum(duration_ms)::float8 as "durationMs"
        from ${sql.unsafe(allRunMinutesText)} minutes
       where minute >= ${lastHour} ${ownRuns}
       group by queue, type, status, bucket having sum(n) <> 0`,
    sql<{ minute: string; completed: number; failed: number }[]>`
      select to_char(m.minute at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as minute,
             coalesce(sum(f.n) filter (where f.status = 'completed'), 0)::int as completed,
             coalesce(sum(f.n) filter (where f.status = 'failed'), 0)::int as failed
        from generate_series(${lastHour}, date_trunc('minute', now()), interval '1 minute') as m(minute)
        left join ${sql.unsafe(allRunMinutesText)} f
          on f.minute = m.minute ${owner === null ? sql`` : sql`and f.owner_id = ${owner}`}
       group by m.minute
       order by m.minute`,
    sql<(Omit<WorkerStatus, "startedAt" | "heartbeatAt"> & { startedAt: string; heartbeatAt: string })[]>`
      select w.id, w.hostname, w.pid, w.concurrency, w.job_types as "jobTypes",
             to_char(w.started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "startedAt",
             to_char(w.heartbeat_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "heartbeatAt",
             w.heartbeat_at > now() - ${workerLivenessInterval}::interval as alive,
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
  // Per queue and type: the summed durations (for the average) and the histogram of them.
  const durations = new Map<QueueTypeStats, { totalMs: number; histogram: { bucket: number; count: number }[] }>();
  for (const row of recent) {
    const stats = entry(row.queue, row.type);
    if (row.status === "failed") {
      stats.failedLastHour += row.count;
      continue;
    }
    stats.completedLastHour += row.count;
    const completed = durations.get(stats) ?? { totalMs: 0, histogram: [] };
    completed.totalMs += row.durationMs;
    completed.histogram.push({ bucket: row.bucket, count: row.count });
    durations.set(stats, completed);
  }
  for (const stats of byKey.values()) {
    const finished = stats.completedLastHour + stats.failedLastHour;
    stats.failureRate = finished > 0 ? stats.failedLastHour / finished : null;
    const completed = durations.get(stats);
    if (completed && stats.completedLastHour > 0) {
      stats.durationMs = {
        average: Math.round(completed.totalMs / stats.completedLastHour),
        p50: Math.round(percentileOf(completed.histogram, 0.5)),
        p95: Math.round(percentileOf(completed.histogram, 0.95)),
      };
    }
  }
  const queues = [...byKey.values()].sort((a, b) => a.queue.localeCompare(b.queue) || a.type.localeCompare(b.type));
  return { queues, throughput: [...throughput], workers: [...workers] };
}

/**
 * The duration at percentile `p` (0..1) of a histogram of `conveyor.duration_bucket`s: the
 * geometric middle of the bucket holding the run of that rank (nearest rank), within 5% of it.
 */
export function percentileOf(histogram: readonly { bucket: number; count: number }[], p: number): number {
  const sorted = [...histogram].sort((a, b) => a.bucket - b.bucket);
  const total = sorted.reduce((sum, entry) => sum + entry.count, 0);
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const entry of sorted) {
    seen += entry.count;
    if (seen >= rank) return Math.max(0, 1.1 ** (entry.bucket + 0.5) - 1);
  }
  return 0;
}
