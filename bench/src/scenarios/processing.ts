import { Queue, Worker as BullWorker } from "bullmq";
import { Logger, run as runGraphile } from "graphile-worker";
import pg from "pg";
import { sql } from "drizzle-orm";
import { allRunCountsText, closeDatabase, createDatabase, insertBatch, prepareBatch } from "@conveyor/db";
import { benchCatalog } from "../catalog";
import { freshDatabase } from "../databases";
import { machineCpuSeconds, postgresCpuSeconds } from "../probes/proc-cpu";
import { startChild, workerEntry } from "../processes";
import { redisAnswers } from "../redis";
import { until } from "../stats";

export interface ProcessingResult {
  perSecond: number;
  /** Peak RSS of the worker process, when it ran in its own process. */
  workerRssMb?: number;
  /**
   * CPU a run cost during the drain (from /proc), when the worker ran in its own process:
   * PostgreSQL's backends (the bench's poll included), the worker, and the whole machine.
   */
  cpuMicrosPerRun?: { postgres: number; worker: number; machine: number };
}

export interface DrainOptions {
  count: number;
  /** The worker's settings; undefined leaves the worker's own default. */
  concurrency: number | undefined;
  localQueue: number | undefined;
  /** How the worker reaches PostgreSQL, given the database's URL (default: directly; the round-trips scenario passes a delaying proxy). */
  viaPostgres?: (url: string) => string;
  /**
   * Called after the runs are committed and before the worker starts (which
   * then starts the clock): for counting statements (reset pg_stat_statements
   * here), so the seed is not counted and the worker has not begun. Without
   * it the worker starts first and the clock starts at the commit, as before.
   */
  beforeWorker?: () => Promise<void>;
  /** Runs alongside the drain (e.g. the prune in the growth scenario); awaited before returning. */
  alongside?: () => Promise<unknown>;
}

/** Tracked runs: status, events and result written as in production, drained by one worker process, on a fresh database. */
export async function conveyorProcessing(serverUrl: string, count: number, concurrency: number | undefined, localQueue: number | undefined, options: Omit<DrainOptions, "count" | "concurrency" | "localQueue"> = {}): Promise<ProcessingResult> {
  const database = await freshDatabase(serverUrl, "conveyor", "conveyor");
  try {
    return await drainConveyor(database.url, { ...options, count, concurrency, localQueue });
  } finally {
    await database.drop();
  }
}

/**
 * Write `count` no-op runs in one transaction (so they become visible to the
 * worker at the same moment) into an existing Conveyor database, and time a
 * worker process draining them: from the commit to the last `completed`.
 */
export async function drainConveyor(databaseUrl: string, options: DrainOptions): Promise<ProcessingResult> {
  const db = createDatabase(databaseUrl, { max: 4 });
  const via = options.viaPostgres ?? ((url: string) => url);
  const startWorker = () => startChild(workerEntry, {
    DATABASE_URL: via(databaseUrl),
    ...(options.concurrency === undefined ? {} : { BENCH_CONCURRENCY: String(options.concurrency) }),
    ...(options.localQueue === undefined ? {} : { BENCH_LOCAL_QUEUE: String(options.localQueue) }),
  }, "ready");
  let worker = options.beforeWorker ? undefined : await startWorker();
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, worker?.rssMb() ?? 0)), 100);
  try {
    // Only this drain's runs are counted (by creation time), so runs already in the tables cost the poll nothing.
    // created_at keeps milliseconds (rounded to the nearest), so the clock is read truncated to the
    // millisecond: a transaction begun within the same millisecond must not fall before it (one full run
    // counted none of its runs that way and printed 4 million runs/s).
    const [clock] = await db.$client<{ now: string }[]>`select /* bench */ date_trunc('milliseconds', now())::text as now`;
    const since = clock?.now ?? "-infinity";
    await db.transaction(async (tx) => {
      for (let start = 0; start < options.count; start += 10_000) {
        const items = Array.from({ length: Math.min(10_000, options.count - start) }, (_, i) => ({ type: "bench.noop", input: { n: start + i } }));
        await insertBatch(tx, prepareBatch(benchCatalog, items));
      }
    });
    // Had the poll below missed this drain's runs, it would time nothing: say so instead.
    const [seen] = await db.$client<{ runs: number }[]>`select /* bench */ count(*)::int as runs from conveyor.runs where created_at >= ${since}::timestamptz`;
    if (seen?.runs !== options.count) throw new Error(`the drain sees ${seen?.runs ?? 0} of its ${options.count} runs (created since ${since})`);
    if (options.beforeWorker) {
      await options.beforeWorker();
      worker = await startWorker();
    }
    const cpuBefore = { postgres: postgresCpuSeconds(), worker: worker?.cpuSeconds() ?? 0, machine: machineCpuSeconds() };
    const startedAt = performance.now();
    const alongside = options.alongside?.();
    // Polled from the run counts (a few rows), not the runs: counting this drain's runs every 20 ms
    // took PostgreSQL 7 ms each time, a third of a core the runs did not get (the peers count in
    // process). Every bench.noop run is this drain's; the seeded history holds only finished runs.
    await until("every run to finish", async () => {
      const [row] = await db.execute<{ remaining: number }>(sql`
        select /* bench */ coalesce(sum(c.n), 0)::int as remaining from ${sql.raw(allRunCountsText)} c
         where c.type = 'bench.noop' and c.status in ('queued', 'scheduled', 'running')`);
      return row?.remaining === 0;
    }, 600_000, 20);
    const seconds = (performance.now() - startedAt) / 1000;
    // Read before the worker stops: a backend that exits takes its CPU time with it.
    const perRun = (before: number, after: number) => ((after - before) / options.count) * 1e6;
    const cpuMicrosPerRun = {
      postgres: perRun(cpuBefore.postgres, postgresCpuSeconds()),
      worker: perRun(cpuBefore.worker, worker?.cpuSeconds() ?? 0),
      machine: perRun(cpuBefore.machine, machineCpuSeconds()),
    };
    await alongside;
    const [done] = await db.$client<{ completed: number }[]>`
      select /* bench */ count(*)::int as completed from conveyor.runs where created_at >= ${since}::timestamptz and status = 'completed'`;
    if (done?.completed !== options.count) throw new Error(`${done?.completed ?? 0} of the drain's ${options.count} runs completed`);
    return { perSecond: options.count / seconds, workerRssMb: peakRss, cpuMicrosPerRun };
  } finally {
    clearInterval(sampler);
    await worker?.stop();
    await closeDatabase(db);
  }
}

/** The same workload on graphile-worker alone: no run rows, no events, no results. */
export async function graphileProcessing(serverUrl: string, count: number, concurrency: number, localQueue: number): Promise<ProcessingResult> {
  const database = await freshDatabase(serverUrl, "graphile", "graphile");
  // The same pool size as Conveyor's worker gives itself.
  const pool = new pg.Pool({ connectionString: database.url, max: Math.min(concurrency + 2, 20) });
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  let done = 0;
  const runner = await runGraphile({
    pgPool: pool,
    concurrency,
    noHandleSignals: true,
    pollInterval: 200,
    crontab: "",
    logger: new Logger(() => () => {}),
    taskList: { noop: async () => void done++ },
    // With a local queue, the same batching as Conveyor's worker: jobs completed in one statement per tick.
    preset: {
      worker: localQueue > 1 ? { localQueue: { size: localQueue }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } : {},
    },
  });
  try {
    await pool.query(
      `select count(*) from graphile_worker.add_jobs(array(
         select ('noop', json_build_object('n', n), null, null, null, null, null, null)::graphile_worker.job_spec
           from generate_series(1, $1::int) as n))`,
      [count],
    );
    const startedAt = performance.now();
    await until("every job to complete", async () => done >= count, 600_000, 5);
    return { perSecond: count / ((performance.now() - startedAt) / 1000) };
  } finally {
    await runner.stop();
    await pool.end();
    await database.drop();
  }
}

/** The same workload on BullMQ and Redis; undefined when Redis does not answer. */
export async function bullmqProcessing(redisUrl: string, count: number, concurrency: number): Promise<ProcessingResult | undefined> {
  if (!(await redisAnswers(redisUrl))) return undefined;
  const prefix = `conveyor-bench-${process.pid}`;
  const connection = { url: redisUrl, maxRetriesPerRequest: null };
  const queue = new Queue("noop", { connection, prefix });
  let done = 0;
  const worker = new BullWorker("noop", async () => undefined, { connection, prefix, concurrency, autorun: false });
  worker.on("completed", () => void done++);
  try {
    for (let start = 0; start < count; start += 5_000) {
      await queue.addBulk(
        Array.from({ length: Math.min(5_000, count - start) }, (_, i) => ({
          name: "noop",
          data: { n: start + i },
          opts: { removeOnComplete: true },
        })),
      );
    }
    const startedAt = performance.now();
    void worker.run();
    await until("every BullMQ job to complete", async () => done >= count, 600_000, 5);
    return { perSecond: count / ((performance.now() - startedAt) / 1000) };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}
