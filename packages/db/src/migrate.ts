import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { connectPostgres } from "./client";
import type postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate as applyDrizzleMigrations } from "drizzle-orm/postgres-js/migrator";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { Logger, runMigrations as applyGraphileMigrations } from "graphile-worker";

/**
 * The committed migrations: `packages/db/migrations`, one level above this file in the sources;
 * in a production bundle (scripts/build-node-app.ts) this module is inlined into `dist/<entry>.js`
 * and the build copies the folder beside it, to `dist/migrations`.
 */
const migrationsFolder =
  [new URL("./migrations", import.meta.url), new URL("../migrations", import.meta.url)]
    .map((url) => fileURLToPath(url))
    .find((path) => existsSync(path)) ?? fileURLToPath(new URL("../migrations", import.meta.url));

/** Any fixed number: it names the advisory lock that serialises concurrent migrators. */
const migrationLockKey = 7_305_118_422;

/**
 * Bring a database up to date: graphile-worker's schema, then Conveyor's
 * tables (whose functions call graphile-worker's).
 * Safe to call from several processes at once (the API and the worker both
 * migrate on start): an advisory lock lets one migrate while the others wait.
 */
export async function migrate(databaseUrl: string): Promise<void> {
  const client = connectPostgres(databaseUrl, { max: 1 });
  try {
    await client`select pg_advisory_lock(${migrationLockKey})`;
    try {
      await applyGraphileMigrations({ connectionString: databaseUrl, logger: quietLogger });
      await applyDrizzleMigrations(drizzle(client), {
        migrationsFolder,
        // Our own bookkeeping table, so an application's Drizzle migrations in the same database never collide.
        migrationsTable: "__conveyor_migrations",
      });
      await planAddJobsAfresh(client);
    } finally {
      await client`select pg_advisory_unlock(${migrationLockKey})`;
    }
  } finally {
    await client.end({ timeout: 5 });
  }
}

/**
 * Have PostgreSQL plan the statements inside graphile-worker's `add_job` and
 * `add_jobs` for each call, with the jobs table as it is then. PL/pgSQL keeps
 * a session's plans, and one made while `_private_jobs` was nearly empty (a
 * fresh or drained queue) finds a job by its key with a sequential scan; the
 * API's connections live for the process, so each submit then read the whole
 * backlog, slower with every job queued until an ANALYZE happened to replan it
 * (pgbench, one session adding jobs: 0.99 → 1.58 ms per call over 14,000
 * jobs; planned per call: a flat 0.8 ms; BENCHMARKS.md, "submit"). Set on
 * every migrate, since graphile-worker's own migrations may replace the
 * functions; found by name, so a new signature is covered too.
 */
async function planAddJobsAfresh(client: postgres.Sql): Promise<void> {
  await client`
    do $$
    declare fn regprocedure;
    begin
      for fn in
        select p.oid::regprocedure from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname = 'graphile_worker' and p.proname in ('add_job', 'add_jobs')
           and not coalesce('plan_cache_mode=force_custom_plan' = any(p.proconfig), false)
      loop
        execute format('alter function %s set plan_cache_mode = force_custom_plan', fn);
      end loop;
    end $$`;
}

/**
 * Conveyor's migrations this code has that the database has not applied
 * (0 when up to date). Throws when the database cannot be reached. Readiness
 * probes use it: a process whose database lags behind its code is not ready.
 */
export async function pendingMigrations(sql: postgres.Sql): Promise<number> {
  const files = readMigrationFiles({ migrationsFolder, migrationsTable: "__conveyor_migrations" });
  const [row] = await sql<{ applied: string | null; graphile: string | null }[]>`
    select (select max(created_at)::text from drizzle.__conveyor_migrations) as applied,
           to_regclass('graphile_worker.jobs')::text as graphile`.catch(async (error: unknown) => {
    // The bookkeeping table does not exist yet: nothing is applied.
    if (error instanceof Error && "code" in error && error.code === "42P01") return [{ applied: null, graphile: null }];
    throw error;
  });
  const applied = row?.applied ? Number(row.applied) : 0;
  return files.filter((file) => file.folderMillis > applied).length + (row?.graphile ? 0 : 1);
}

/** graphile-worker logs every migration step at info level; keep only what needs attention. */
const quietLogger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.warn(`[graphile-worker] ${message}`);
});
