/**
 * The BullMQ peer's worker for the latency scenario, in its own process:
 * the jobs its HTTP peer adds (`bullmq-http-peer.ts`, same BENCH_PREFIX) run
 * here, each noting when it started (see `start-log.ts`), at the
 * concurrency of Conveyor's bench worker (20).
 */
import { Worker } from "bullmq";
import { startLog } from "./start-log";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = process.env.BENCH_PREFIX;
if (!prefix) throw new Error("BENCH_PREFIX is required: the HTTP peer's, so that this worker takes its jobs");
const starts = startLog();
const worker = new Worker("submits", async (job) => starts.note(job.id ?? ""), {
  connection: { url: redisUrl, maxRetriesPerRequest: null },
  prefix,
  concurrency: 20,
});
await worker.waitUntilReady();
const url = await starts.serve(Number(process.env.PORT ?? 0));
process.stdout.write(`peer listening ${url}\n`);
process.once("SIGTERM", () => void worker.close().finally(() => process.exit(0)));
