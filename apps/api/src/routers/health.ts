import { sql } from "drizzle-orm";
import { countLiveWorkers } from "@conveyor/db";
import { publicProcedure } from "../trpc";

/**
 * Is the database reachable, are Conveyor's and graphile-worker's tables in
 * place, and how many workers are alive? No live worker is "degraded": runs
 * are accepted but nothing executes them.
 */
export const healthProcedure = publicProcedure.query(async ({ ctx }) => {
  try {
    const [row] = await ctx.db.execute<{ runs: string | null; jobs: string | null }>(
      sql`select to_regclass('conveyor.runs')::text as runs, to_regclass('graphile_worker.jobs')::text as jobs`,
    );
    const migrations = Boolean(row?.runs && row.jobs);
    const workers = migrations ? await countLiveWorkers(ctx.db) : 0;
    const status = migrations && workers > 0 ? "ok" : "degraded";
    return { status, database: true, migrations, workers } as const;
  } catch {
    return { status: "down", database: false, migrations: false, workers: 0 } as const;
  }
});
