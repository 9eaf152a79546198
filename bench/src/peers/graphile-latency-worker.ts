/**
 * The graphile-worker peer's runner for the latency scenario, in its own
 * process: the jobs its HTTP peer adds (`graphile-http-peer.ts`) run here,
 * each noting when it started (see `start-log.ts`), on the runner the
 * in-process reference uses (`graphile-reference-runner.ts`).
 */
import { startReferenceRunner } from "./graphile-reference-runner";
import { startLog } from "./start-log";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error("DATABASE_URL is required");
const starts = startLog();
const { pool, runner } = await startReferenceRunner(databaseUrl, {
  "webhook.deliver": async (_payload, helpers) => starts.note(String(helpers.job.id)),
});
const url = await starts.serve(Number(process.env.PORT ?? 0));
process.stdout.write(`peer listening ${url}\n`);
process.once("SIGTERM", () => void runner.stop().finally(() => pool.end().finally(() => process.exit(0))));
