import { queueStats } from "@conveyor/db";
import { protectedProcedure, router } from "../trpc";

export const queuesRouter = router({
  /**
   * Per queue and job type: counts per status, runs finished in the last hour,
   * failure rate and durations; runs finished per minute over the last hour;
   * the workers with their heartbeats and the runs they execute. A user's
   * figures cover their own runs; only admins see the workers.
   */
  stats: protectedProcedure.query(({ ctx }) => queueStats(ctx.db.$client, ctx.principal)),
});
