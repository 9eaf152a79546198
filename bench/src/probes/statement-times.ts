/**
 * Where PostgreSQL's time goes in one drain: pg_stat_statements' total time per statement (an
 * embedded PostgreSQL 18, fsync off), for a drain of PROBE_RUNS runs at PROBE_CONCURRENCY, local queue 500.
 * `pnpm --filter @conveyor/bench probe:statements` (PROBE_RUNS, PROBE_CONCURRENCY).
 */
import postgres from "postgres";
import { z } from "zod";
import { freshDatabase } from "../databases";
import { drainConveyor } from "../scenarios/processing";
import { databaseName, startStatementServer } from "../statement-counts";

const { PROBE_RUNS: count, PROBE_CONCURRENCY: concurrency } = z
  .object({
    PROBE_RUNS: z.coerce.number().int().min(1_000).default(20_000),
    PROBE_CONCURRENCY: z.coerce.number().int().min(1).default(100),
  })
  .parse(process.env);
const server = await startStatementServer();
try {
  const database = await freshDatabase(server.url, "conveyor", "conveyor");
  const admin = postgres(server.url, { max: 1, onnotice: () => {} });
  try {
    const result = await drainConveyor(database.url, { count, concurrency, localQueue: 500, beforeWorker: () => server.reset() });
    console.log(`${count} runs at c${concurrency}: ${Math.round(result.perSecond)} runs/s`);
    const rows = await admin<{ query: string; calls: number; ms: number; rows: number }[]>`
      select query, calls::int, round(total_exec_time::numeric, 1)::float as ms, rows::int from pg_stat_statements
       where dbid = (select oid from pg_database where datname = ${databaseName(database.url)})
       order by total_exec_time desc limit 12`;
    for (const row of rows) console.log(`${String(row.ms).padStart(9)} ms ${String(row.calls).padStart(6)} calls ${String(Math.round((row.ms * 1000) / count)).padStart(5)} µs/run  ${row.query.replace(/\s+/g, " ").slice(0, 150)}`);
  } finally {
    await admin.end();
    await database.drop();
  }
} finally {
  await server.stop();
}
