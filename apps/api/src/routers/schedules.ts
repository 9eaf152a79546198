import { listSchedules } from "@conveyor/db";
import { catalog } from "@conveyor/jobs";
import { publicProcedure, router } from "../trpc";

export const schedulesRouter = router({
  /** Each cron schedule of the catalogue (UTC) with its next firing and its last runs. */
  list: publicProcedure.query(({ ctx }) => listSchedules(ctx.db.$client, catalog)),
});
