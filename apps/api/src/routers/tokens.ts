import { z } from "zod";
import { createToken, createTokenInputSchema, listTokens, revokeToken } from "@conveyor/db";
import { adminProcedure, protectedProcedure, router, TRPCError } from "../trpc";

export const tokensRouter = router({
  /** Who the calling token stands for, and the limits it works under (null: the API's defaults). */
  whoami: protectedProcedure.query(({ ctx }) => {
    const { tokenId, ownerId, role, limits } = ctx.principal;
    return {
      tokenId,
      ownerId,
      role,
      limits: {
        submitRate: limits.submitRate ?? ctx.limits.submitRate,
        submitBurst: limits.submitBurst ?? ctx.limits.submitBurst,
        maxSubscriptions: limits.maxSubscriptions ?? ctx.limits.maxSubscriptions,
        maxUnfinishedRuns: limits.maxUnfinishedRuns ?? ctx.limits.maxUnfinishedRuns,
      },
    };
  }),

  /** Issue a token (admins). The answer holds the token itself, the only time it is ever shown. */
  create: adminProcedure.input(createTokenInputSchema).mutation(async ({ ctx, input }) => {
    const created = await createToken(ctx.db, input, ctx.principal);
    ctx.log({ level: "info", message: "token created", tokenId: created.info.id, owner: created.info.ownerId, role: created.info.role, by: ctx.principal.ownerId });
    return created;
  }),

  /** Tokens without their secrets: an admin sees every token, a user their own. */
  list: protectedProcedure.query(({ ctx }) => listTokens(ctx.db, ctx.principal)),

  /** Revoke a token at once: an admin any token, a user their own. */
  revoke: protectedProcedure.input(z.object({ id: z.uuid({ error: "must be a token id (a UUID)" }) }).strict()).mutation(async ({ ctx, input }) => {
    const revoked = await revokeToken(ctx.db, ctx.principal, input.id);
    if (!revoked) throw new TRPCError({ code: "NOT_FOUND", message: `token ${input.id} was not found` });
    ctx.log({ level: "info", message: "token revoked", tokenId: revoked.id, owner: revoked.ownerId, by: ctx.principal.ownerId });
    return revoked;
  }),
});
