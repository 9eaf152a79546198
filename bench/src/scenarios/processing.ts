import { Queue, Worker as BullWorker } from "bullmq";
import { Redis } from "ioredis";
import { Logger, run as runGraphile } from "graphile-worker";
import pg from "pg";
import { closeDatabase, createDatabase, insertBatch, prepareBatch } from "@conveyor/db";
import { benchCatalog } from "../catalog";
import { freshDatabase } from "../databases";
import { startChild, workerEntry } from "../processes";
import { until } from "../stats";

export interface ProcessingResult {
  perSecond: number;
  /** Peak RSS of the worker process, when it ran in its own process. */
  workerRssMb?: number;
}

/** Tracked runs: status, events and result written as in production, drained by one worker process. */
export async function conveyorProcessing(serverUrl: string, count: number, concurrency: number, localQueue: number): Promise<ProcessingResult> {
  const database = await freshDatabase(serverUrl, "conveyor", "conveyor");
  const db = createDatabase(database.url, { max: 4 });
  const worker = await startChild(workerEntry, {
    DATABASE_URL: database.url,
    BENCH_CONCURRENCY: String(concurrency),
    BENCH_LOCAL_QUEUE: String(localQueue),
  }, "ready");
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, worker.rssMb())), 100);
  try {
    // One transaction: every run becomes visible to the worker at the same moment.
    await db.transaction(async (tx) => {
      for (let start = 0; start < count; start += 10_000) {
        const items = Array.from({ length: Math.min(10_000, count - start) }, (_, i) => ({ type: "bench.noop", input: { n: start + i } }));
        await insertBatch(tx, prepareBatch(benchCatalog, items));
      }
    });
    const startedAt = performance.now();
    await until("every run to complete", async () => {
      const [row] = await db.$client<{ done: number }[]>`select count(*)::int as done from conveyor.runs where status = 'completed'`;
      return (row?.done ?? 0) >= count;
    }, 600_000, 20);
    const seconds = (performance.now() - startedAt) / 1000;
    return { perSecond: count / seconds, workerRssMb: peakRss };
  } finally {
    clearInterval(sampler);
    await worker.stop();
    await closeDatabase(db);
    await database.drop();
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
  const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await probe.connect();
    await probe.ping();
  } catch {
    return undefined;
  } finally {
    probe.disconnect();
  }
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
