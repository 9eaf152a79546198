import { initTRPC, TRPCError } from "@trpc/server";
import { ConveyorError } from "@conveyor/db";
import type { ApiContext } from "./context";
import { formatIssues, issuesOf, toTRPCError } from "./field-errors";

const t = initTRPC.context<ApiContext>().create({
  sse: {
    // Keeps proxies from closing quiet streams; the client reconnects (with lastEventId) after 25 s of silence.
    ping: { enabled: true, intervalMs: 10_000 },
    client: { reconnectAfterInactivityMs: 25_000 },
  },
  errorFormatter({ shape, error }) {
    const issues = error.code === "BAD_REQUEST" ? issuesOf(error.cause) : undefined;
    return {
      ...shape,
      // A message that names the field and the rule, rather than a JSON dump of the schema's issues.
      message: issues ? formatIssues(issues) : shape.message,
      data: { ...shape.data, issues: issues ?? null },
    };
  },
});

/** Turns the data layer's errors into the matching tRPC codes (NOT_FOUND, BAD_REQUEST). */
const mapDomainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof ConveyorError) throw toTRPCError(result.error.cause);
  return result;
});

export const router = t.router;
export const publicProcedure = t.procedure.use(mapDomainErrors);
export { TRPCError };
