import { migrate } from "@conveyor/db";
import { createLogger, startTracingFromEnv } from "@conveyor/observability";
import { readEnv } from "./env";
import type { Log } from "./logger";
import { startApiServer } from "./server";

// Off unless the OTEL_* variables ask for traces.
const stopTracing = await startTracingFromEnv("conveyor-api");
const logger = createLogger({ service: "api" });
const log: Log = ({ level, message, ...fields }) => logger[level](fields, message);
const env = readEnv();
await migrate(env.DATABASE_URL);
const api = await startApiServer({
  databaseUrl: env.DATABASE_URL,
  port: env.PORT,
  host: env.CONVEYOR_API_HOST,
  maxBodyBytes: env.CONVEYOR_MAX_BODY_BYTES,
  dbPoolSize: env.CONVEYOR_API_DB_POOL,
  corsOrigins: env.CONVEYOR_CORS_ORIGINS,
  limits: {
    submitRate: env.CONVEYOR_SUBMIT_RATE,
    submitBurst: env.CONVEYOR_SUBMIT_BURST,
    maxSubscriptions: env.CONVEYOR_MAX_SUBSCRIPTIONS,
    maxUnfinishedRuns: env.CONVEYOR_MAX_UNFINISHED_RUNS,
  },
  log,
});
log({ level: "info", message: "api listening", url: api.url });

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    api.close().then(stopTracing).then(
      () => process.exit(0),
      (error: unknown) => {
        log({ level: "error", message: "shutdown failed", error: String(error) });
        process.exit(1);
      },
    );
  });
}
