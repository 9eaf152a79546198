import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { auditRouter } from "./routers/audit";
import { healthProcedure } from "./routers/health";
import { jobsRouter } from "./routers/jobs";
import { queuesRouter } from "./routers/queues";
import { schedulesRouter } from "./routers/schedules";
import { tokensRouter } from "./routers/tokens";
import { router } from "./trpc";

export const appRouter = router({
  audit: auditRouter,
  health: healthProcedure,
  jobs: jobsRouter,
  queues: queuesRouter,
  schedules: schedulesRouter,
  tokens: tokensRouter,
});

export type AppRouter = typeof appRouter;
/** Input types of every procedure, e.g. `RouterInputs["jobs"]["submit"]`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Output types of every procedure, e.g. `RouterOutputs["jobs"]["get"]`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
