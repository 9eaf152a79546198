import { migrate } from "@conveyor/db";
import { catalog } from "@conveyor/jobs";
import { readEnv } from "./env";
import { handlers } from "./handlers";
import { startTracingFromEnv } from "@conveyor/observability";
import { startWorker } from "./worker";

// Off unless the OTEL_* variables ask for traces.
const stopTracing = await startTracingFromEnv("conveyor-worker");
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
  opsPort: env.CONVEYOR_WORKER_OPS_PORT,
  opsHost: env.CONVEYOR_WORKER_OPS_HOST,
});

// Graceful shutdown: finish or abort the running attempts and write their outcome before exiting.
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    worker.stop().then(stopTracing).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
await worker.done;
