import { listSchedules } from "@conveyor/db";
import { catalog } from "@conveyor/jobs";
import { protectedProcedure, router } from "../trpc";

export const schedulesRouter = router({
  /** Each cron schedule of the catalogue (UTC) with its next firing and its last runs (admins: scheduled runs belong to "system"). */
  list: protectedProcedure.query(({ ctx }) => listSchedules(ctx.db.$client, ctx.principal, catalog)),
});
