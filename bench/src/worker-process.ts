/** A Conveyor worker for the bench catalogue, in its own process so its RSS can be measured. */
import { startWorker } from "@conveyor/worker";
import { benchCatalog, benchHandlers } from "./catalog";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error("DATABASE_URL is required");
const worker = await startWorker({
  databaseUrl,
  catalog: benchCatalog,
  handlers: benchHandlers,
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 10),
  localQueueSize: Number(process.env.BENCH_LOCAL_QUEUE ?? 0),
  pollIntervalMs: 200,
  quiet: true,
});
process.stdout.write("ready\n");
process.once("SIGTERM", () => void worker.stop().then(() => process.exit(0)));
await worker.done;
