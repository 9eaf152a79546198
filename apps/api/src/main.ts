import { migrate, secretsKeyring } from "@conveyor/db";
import { createLogger, startTracingFromEnv } from "@conveyor/observability";
import { readEnv } from "./env";
import type { Log } from "./logger";
import { startApiServer } from "./server";

// Off unless the OTEL_* variables ask for traces.
const stopTracing = await startTracingFromEnv("conveyor-api");
const logger = createLogger({ service: "api" });
const log: Log = ({ level, message, ...fields }) => logger[level](fields, message);
const env = readEnv();
// A malformed key stops the process here, with the variable named, rather than at the first sensitive submit.
const keyring = secretsKeyring();
if (!keyring.current) log({ level: "warn", message: "no secrets key: submits with sensitive fields (e.g. a webhook's secret) are refused until CONVEYOR_SECRETS_KEY or CONVEYOR_SECRETS_KEY_FILE is set" });
await migrate(env.DATABASE_URL);
const api = await startApiServer({
  databaseUrl: env.DATABASE_URL,
  port: env.PORT,
  host: env.CONVEYOR_API_HOST,
  maxBodyBytes: env.CONVEYOR_MAX_BODY_BYTES,
  dbPoolSize: env.CONVEYOR_API_DB_POOL,
  databaseTimeoutMs: env.CONVEYOR_API_DATABASE_TIMEOUT_MS,
  corsOrigins: env.CONVEYOR_CORS_ORIGINS,
  limits: {
    submitRate: env.CONVEYOR_SUBMIT_RATE,
    submitBurst: env.CONVEYOR_SUBMIT_BURST,
    maxSubscriptions: env.CONVEYOR_MAX_SUBSCRIPTIONS,
    maxUnfinishedRuns: env.CONVEYOR_MAX_UNFINISHED_RUNS,
  },
  log,
});
log({ level: "info", message: "api listening", url: api.url, secretsKeyId: keyring.current?.id ?? null });

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
