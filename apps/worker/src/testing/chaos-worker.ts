/**
 * A worker process for the chaos test: its handler records a side effect in
 * a table of the test's own, so the test can count effects against
 * completions after killing workers and restarting PostgreSQL.
 */
import { createDatabase } from "@conveyor/db";
import { defineHandlers } from "@conveyor/jobs";
import { readEnv } from "../env";
import { startWorker } from "../worker";
import { chaosCatalog } from "./chaos-catalog";

const env = readEnv();
const effects = createDatabase(env.DATABASE_URL, { max: 4 }).$client;
const handlers = defineHandlers(chaosCatalog, {
  "chaos.effect": async (input, ctx) => {
    await new Promise((resolve) => setTimeout(resolve, input.workMs));
    const [row] = await effects<{ id: string }[]>`
      insert into public.chaos_effects (run_id, attempt) values (${ctx.runId}, ${ctx.attempt}) returning id::text`;
    return { effectId: Number(row?.id) };
  },
});

const worker = await startWorker({
  databaseUrl: env.DATABASE_URL,
  catalog: chaosCatalog,
  handlers,
  concurrency: env.CONVEYOR_WORKER_CONCURRENCY,
  pollIntervalMs: 200,
});
process.once("SIGTERM", () => void worker.stop().then(() => process.exit(0)));
await worker.done;
