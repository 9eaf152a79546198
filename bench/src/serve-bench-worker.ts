/** What every bench worker process does: start a worker for a catalogue, say "ready", stop on SIGTERM. */
import type { Catalog, JobHandlers } from "@conveyor/jobs";
import { startWorker } from "@conveyor/worker";

export async function serveBenchWorker<C extends Catalog>(catalog: C, handlers: JobHandlers<C>): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error("DATABASE_URL is required");
  const worker = await startWorker({
    databaseUrl,
    catalog,
    handlers,
    // Unset: the worker's own defaults, as a deployment without settings runs.
    ...(process.env.BENCH_CONCURRENCY ? { concurrency: Number(process.env.BENCH_CONCURRENCY) } : {}),
    ...(process.env.BENCH_LOCAL_QUEUE ? { localQueueSize: Number(process.env.BENCH_LOCAL_QUEUE) } : {}),
    pollIntervalMs: 200,
    // Warnings only, unless CONVEYOR_LOG_LEVEL asks for a level (info is production's default: two
    // lines a run, which a drain of 20,000 runs would otherwise pipe into the bench's process).
    quiet: !process.env.CONVEYOR_LOG_LEVEL,
  });
  process.stdout.write("ready\n");
  process.once("SIGTERM", () => void worker.stop().then(() => process.exit(0)));
  await worker.done;
}
