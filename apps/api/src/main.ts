import { migrate } from "@conveyor/db";
import { readEnv } from "./env";
import { jsonLinesToStdout } from "./logger";
import { startApiServer } from "./server";

const env = readEnv();
await migrate(env.DATABASE_URL);
const api = await startApiServer({
  databaseUrl: env.DATABASE_URL,
  port: env.PORT,
  host: env.CONVEYOR_API_HOST,
  maxBodyBytes: env.CONVEYOR_MAX_BODY_BYTES,
  corsOrigins: env.CONVEYOR_CORS_ORIGINS,
  limits: {
    submitRate: env.CONVEYOR_SUBMIT_RATE,
    submitBurst: env.CONVEYOR_SUBMIT_BURST,
    maxSubscriptions: env.CONVEYOR_MAX_SUBSCRIPTIONS,
    maxUnfinishedRuns: env.CONVEYOR_MAX_UNFINISHED_RUNS,
  },
  log: jsonLinesToStdout,
});
jsonLinesToStdout({ level: "info", message: "api listening", url: api.url });

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    api.close().then(
      () => process.exit(0),
      (error: unknown) => {
        jsonLinesToStdout({ level: "error", message: "shutdown failed", error: String(error) });
        process.exit(1);
      },
    );
  });
}
