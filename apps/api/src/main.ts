import { migrate } from "@conveyor/db";
import { readEnv } from "./env";
import { startApiServer } from "./server";

const env = readEnv();
await migrate(env.DATABASE_URL);
const api = await startApiServer({
  databaseUrl: env.DATABASE_URL,
  port: env.PORT,
  host: env.CONVEYOR_API_HOST,
  maxBodyBytes: env.CONVEYOR_MAX_BODY_BYTES,
  corsOrigins: env.CONVEYOR_CORS_ORIGINS,
});
console.log(JSON.stringify({ time: new Date().toISOString(), level: "info", message: "api listening", url: api.url }));

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    api.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
