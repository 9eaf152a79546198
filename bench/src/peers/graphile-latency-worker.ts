/**
 * The graphile-worker peer's runner for the latency scenario, in its own
 * process: the jobs its HTTP peer adds (`graphile-http-peer.ts`) run here,
 * each noting when it started (see `start-log.ts`). graphile-worker's
 * defaults but for the concurrency and poll interval, which are Conveyor's
 * bench worker's (20, 200 ms).
 */
import pg from "pg";
import { Logger, run } from "graphile-worker";
import { startLog } from "./start-log";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error("DATABASE_URL is required");
const pool = new pg.Pool({ connectionString: databaseUrl, max: 22 });
pool.on("error", () => {});
pool.on("connect", (client) => client.on("error", () => {}));
const starts = startLog();
const runner = await run({
  pgPool: pool,
  concurrency: 20,
  noHandleSignals: true,
  pollInterval: 200,
  crontab: "",
  logger: new Logger(() => () => {}),
  taskList: { "webhook.deliver": async (_payload, helpers) => starts.note(String(helpers.job.id)) },
});
const url = await starts.serve(Number(process.env.PORT ?? 0));
process.stdout.write(`peer listening ${url}\n`);
process.once("SIGTERM", () => void runner.stop().finally(() => pool.end().finally(() => process.exit(0))));
