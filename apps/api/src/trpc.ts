import { initTRPC, TRPCError } from "@trpc/server";
import { DatabaseUnavailableError, TokenRejectedError } from "@conveyor/db";
import type { ApiContext } from "./context";
import { answerFor, formatIssues, issuesOf, toTRPCError } from "./field-errors";
import { retryAfterMsOf } from "./beside-trpc";

const t = initTRPC.context<ApiContext>().create({
  // Never send stack traces (server paths, code) to callers, whatever NODE_ENV says; failures are logged instead.
  isDev: false,
  sse: {
    // Keeps proxies from closing quiet streams; the client reconnects (with lastEventId) after 25 s of silence.
    ping: { enabled: true, intervalMs: 10_000 },
    client: { reconnectAfterInactivityMs: 25_000 },
  },
  errorFormatter({ shape, error, ctx }) {
    const issues = error.code === "BAD_REQUEST" ? issuesOf(error.cause) : undefined;
    const retryAfterMs = retryAfterMsOf(error);
    return {
      ...shape,
      message: issues
        ? // A message that names the field and the rule, rather than a JSON dump of the schema's issues.
          formatIssues(issues)
        : error.code === "INTERNAL_SERVER_ERROR"
          ? // Never the underlying message: a database error can quote the statement and its parameters (secrets included).
            "internal error: the request failed on the server and was logged"
          : error.code === "PAYLOAD_TOO_LARGE"
            ? `the request body is larger than the ${ctx ? `${ctx.maxBodyBytes} bytes` : "size"} this API accepts (CONVEYOR_MAX_BODY_BYTES)`
            : shape.message,
      data: {
        ...shape.data,
        issues: issues ?? null,
        // TOO_MANY_REQUESTS, SERVICE_UNAVAILABLE: when trying again may succeed (also sent as the Retry-After header).
        retryAfterSeconds: retryAfterMs != null ? Math.ceil(retryAfterMs / 1000) : null,
      },
    };
  },
});

/**
 * Turns the data layer's errors into the matching tRPC codes (NOT_FOUND, BAD_REQUEST,
 * TOO_MANY_REQUESTS…), and a lost connection to PostgreSQL into SERVICE_UNAVAILABLE.
 */
const mapDomainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.code === "INTERNAL_SERVER_ERROR") {
    const answer = answerFor(result.error);
    if (answer.code !== "INTERNAL_SERVER_ERROR") throw answer;
  }
  return result;
});

/**
 * Across a network partition PostgreSQL neither answers nor refuses: TCP retransmits for many
 * minutes before it gives up. A query or mutation not answered within `databaseTimeoutMs` is answered
 * SERVICE_UNAVAILABLE, as a refused connection is, instead of hanging the caller. (The API waits on
 * nothing else.) What it sent may still land when the link heals, which is why the answer says that
 * a submit with an idempotency key is safe to repeat. Subscriptions stay open: they resume on their own.
 */
const answerInTime = t.middleware(async ({ ctx, type, next }) => {
  if (type === "subscription") return next();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(toTRPCError(new DatabaseUnavailableError(`no answer within ${ctx.databaseTimeoutMs / 1000} s`))),
      ctx.databaseTimeoutMs,
    );
  });
  try {
    return await Promise.race([next(), deadline]);
  } finally {
    clearTimeout(timer);
  }
});

/** Every procedure but `health` needs a valid token: the caller becomes `ctx.principal`. */
const authenticated = t.middleware(async ({ ctx, next }) => {
  const principal = await ctx.authenticate().catch((error: unknown) => {
    throw error instanceof TokenRejectedError ? toTRPCError(error) : error;
  });
  return next({ ctx: { principal } });
});

/** Every call is counted and timed by procedure and outcome (see /metrics). */
const observed = t.middleware(async ({ ctx, path, type, next }) => {
  const done = ctx.metrics.callStarted(path, type);
  const result = await next();
  done(result.ok ? "OK" : result.error.code);
  return result;
});

export const router = t.router;
/** Open to anyone: only `health`. */
export const publicProcedure = t.procedure.use(observed).use(mapDomainErrors).use(answerInTime);
/** Any valid token; the data layer limits what it reaches to its owner's runs (admins reach all). */
export const protectedProcedure = publicProcedure.use(authenticated);
/** Admin tokens only (managing tokens). */
export const adminProcedure = protectedProcedure.use(async ({ ctx, next }) => {
  if (ctx.principal.role !== "admin") throw new TRPCError({ code: "FORBIDDEN", message: "this needs an admin token" });
  return next();
});
export { TRPCError };
