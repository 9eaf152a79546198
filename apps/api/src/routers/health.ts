import { sql } from "drizzle-orm";
import { publicProcedure } from "../trpc";

/** Is the database reachable, and are Conveyor's and graphile-worker's tables in place? */
export const healthProcedure = publicProcedure.query(async ({ ctx }) => {
  try {
    const [row] = await ctx.db.execute<{ runs: string | null; jobs: string | null }>(
      sql`select to_regclass('conveyor.runs')::text as runs, to_regclass('graphile_worker.jobs')::text as jobs`,
    );
    const migrations = Boolean(row?.runs && row.jobs);
    return { status: migrations ? ("ok" as const) : ("degraded" as const), database: true, migrations };
  } catch {
    return { status: "down" as const, database: false, migrations: false };
  }
});
