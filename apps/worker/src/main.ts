import { migrate } from "@conveyor/db";
import { catalog } from "@conveyor/jobs";
import { readEnv } from "./env";
import { handlers } from "./handlers";
import { startWorker } from "./worker";

const env = readEnv();
await migrate(env.DATABASE_URL);
const worker = await startWorker({
  databaseUrl: env.DATABASE_URL,
  catalog,
  handlers,
  concurrency: env.CONVEYOR_WORKER_CONCURRENCY,
  localQueueSize: env.CONVEYOR_WORKER_LOCAL_QUEUE,
  progressIntervalMs: env.CONVEYOR_PROGRESS_INTERVAL_MS,
  shutdownGraceMs: env.CONVEYOR_WORKER_SHUTDOWN_GRACE_MS,
});

// Graceful shutdown: finish or abort the running attempts and write their outcome before exiting.
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    worker.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
await worker.done;
