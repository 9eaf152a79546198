/** A Conveyor worker for the bench catalogue, in its own process so its RSS can be measured. */
import { startWorker } from "@conveyor/worker";
import { benchCatalog, benchHandlers } from "./catalog";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error("DATABASE_URL is required");
const worker = await startWorker({
  databaseUrl,
  catalog: benchCatalog,
  handlers: benchHandlers,
  // Unset: the worker's own defaults, as a deployment without settings runs.
  ...(process.env.BENCH_CONCURRENCY ? { concurrency: Number(process.env.BENCH_CONCURRENCY) } : {}),
  ...(process.env.BENCH_LOCAL_QUEUE ? { localQueueSize: Number(process.env.BENCH_LOCAL_QUEUE) } : {}),
  pollIntervalMs: 200,
  quiet: true,
});
process.stdout.write("ready\n");
process.once("SIGTERM", () => void worker.stop().then(() => process.exit(0)));
await worker.done;
