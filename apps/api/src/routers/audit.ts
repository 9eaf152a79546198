import { listAuditLog, listAuditLogInputSchema } from "@conveyor/db";
import { adminProcedure, router } from "../trpc";

export const auditRouter = router({
  /**
   * The audit log newest first (admins): token creations and revocations,
   * cancels, retries and bulk retries, each with who did it (owner, role,
   * token), when, and what it acted on; filtered by action or actor, a page at a time.
   */
  list: adminProcedure.input(listAuditLogInputSchema.optional()).query(({ ctx, input }) => listAuditLog(ctx.db.$client, ctx.principal, input ?? {})),
});
