/** The BullMQ HTTP submit peer, in its own process: POST → `queue.add` on Redis. */
import { Queue } from "bullmq";
import { serveJsonSubmits } from "./json-endpoint";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = process.env.BENCH_PREFIX ?? `conveyor-bench-peer-${process.pid}`;
const queue = new Queue("submits", { connection: { url: redisUrl, maxRetriesPerRequest: null }, prefix });
await queue.waitUntilReady();
const { url } = await serveJsonSubmits(Number(process.env.PORT ?? 0), async (type, input) => {
  const job = await queue.add(type, input, { removeOnComplete: true });
  return job.id ?? "";
});
process.stdout.write(`peer listening ${url}\n`);
process.once("SIGTERM", () => {
  // Leave Redis as it was: the jobs were only ever submitted, never meant to run.
  void queue.obliterate({ force: true }).finally(() => queue.close().finally(() => process.exit(0)));
});
