/**
 * A Conveyor worker for the catalogue the API serves (the API accepts only
 * those job types), in its own process, for the scenarios that submit
 * through the API. Its `webhook.deliver` handler delivers nothing: it answers
 * at once with the time it started, which is what the latency scenario reads.
 */
import { catalog, defineHandlers } from "@conveyor/jobs";
import { handlers, startWorker } from "@conveyor/worker";
import { nowMs } from "./catalog";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error("DATABASE_URL is required");
const benchHandlers = defineHandlers(catalog, {
  ...handlers,
  "webhook.deliver": async () => ({ status: 200, durationMs: 0, responseBody: JSON.stringify({ startedAt: nowMs() }) }),
});
const worker = await startWorker({
  databaseUrl,
  catalog,
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
