import { tracked } from "@trpc/server";
import { toJSONSchema, z } from "zod";
import {
  cancelRun,
  getRun,
  insertBatch,
  listRunsInputSchema,
  listRuns,
  readEventsAfter,
  readRunEvents,
  readRunHistory,
  RunNotFoundError,
  retryFailedInputSchema,
  retryFailedRuns,
  retryRun,
  takeSubmissionAllowance,
  type PreparedSubmission,
  type Principal,
  type RunEvent,
  type Viewer,
} from "@conveyor/db";
import { catalog, isFinished, runIdSchema, runStatusSchema, type ConveyorCatalog, type RunEventKind } from "@conveyor/jobs";
import { SpanKind } from "@opentelemetry/api";
import { conveyorTracer, currentTraceParent, recordFailure } from "@conveyor/observability";
import { protectedProcedure, router, TRPCError } from "../trpc";
import { answerFor } from "../field-errors";
import { submitInputParser, submitManyInputParser } from "../submit-input";
import type { ApiContext } from "../context";

/** How many missed events one resumed stream of all runs replays at most. */
const maxReplay = 10_000;

const eventsInputSchema = z
  .object({
    /** Watch one run; without it, every run. */
    id: runIdSchema.optional(),
    /** Resume after this event id (sent by the client itself when it reconnects). */
    lastEventId: z
      .string()
      .regex(/^\d{1,15}$/, "must be an event id")
      .nullish(),
  })
  .strict();

/** What a subscriber receives for each event. */
export interface RunEventMessage {
  id: string;
  runId: string;
  type: string;
  kind: RunEventKind;
  at: string;
  status: z.infer<typeof runStatusSchema>;
  progress?: { percent: number; message: string | null; data: unknown };
  /** A line the handler wrote with `ctx.log` (secrets scrubbed). */
  log?: { level: "info" | "warn"; message: string; fields: Record<string, unknown> | null };
  error?: string;
  attempt?: number;
  nextAttemptAt?: string;
}

const statusAfter: Record<RunEventKind, z.infer<typeof runStatusSchema>> = {
  queued: "queued",
  started: "running",
  progress: "running",
  log: "running",
  retrying: "scheduled",
  completed: "completed",
  failed: "failed",
  cancelled: "cancelled",
};

/** Each event is turned into a message once, however many subscribers receive it. */
const messages = new WeakMap<RunEvent, RunEventMessage>();

function toMessage(event: RunEvent): RunEventMessage {
  let message = messages.get(event);
  if (!message) {
    message = buildMessage(event);
    messages.set(event, message);
  }
  return message;
}

function buildMessage(event: RunEvent): RunEventMessage {
  const data = event.data ?? {};
  return {
    id: String(event.id),
    runId: event.runId,
    type: event.type,
    kind: event.kind,
    at: event.at.toISOString(),
    status: event.kind === "queued" && data.runAt ? "scheduled" : statusAfter[event.kind],
    ...(event.kind === "progress"
      ? { progress: { percent: data.percent ?? 0, message: data.message ?? null, data: data.data ?? null } }
      : {}),
    ...(event.kind === "log" ? { log: { level: data.level ?? "info", message: data.message ?? "", fields: data.fields ?? null } } : {}),
    ...(data.error !== undefined ? { error: data.error } : {}),
    ...(data.attempt !== undefined ? { attempt: data.attempt } : {}),
    ...(data.nextAttemptAt !== undefined ? { nextAttemptAt: data.nextAttemptAt } : {}),
  };
}

/** Events the stream missed after `afterId`: the run's, or every run's the viewer may see. */
function readMissed(ctx: ApiContext, viewer: Viewer, runId: string | undefined, afterId: number): Promise<RunEvent[]> {
  return runId ? readRunEvents(ctx.db, viewer, runId, afterId) : readEventsAfter(ctx.db, viewer, afterId, maxReplay);
}

/**
 * Write submissions as the caller's runs, within the caller's limits: the
 * allowance is taken by the statement (or transaction) that writes the runs,
 * so a refused submission writes nothing and a failed write spends nothing.
 * Submissions without idempotency keys share statements with concurrent ones
 * (`ctx.submits`); a key needs its own transaction, which looks up the run
 * already holding it.
 */
function submitAs(ctx: ApiContext, principal: Principal, prepared: readonly PreparedSubmission[]) {
  // The span of the submit; its context travels with each run, so the worker's attempt spans join this trace.
  return conveyorTracer().startActiveSpan("conveyor.submit", { kind: SpanKind.PRODUCER, attributes: { "conveyor.runs": prepared.length } }, async (span) => {
    const traceParent = currentTraceParent();
    const owned = prepared.map((item) => ({ ...item, row: { ...item.row, ownerId: principal.ownerId, traceParent } }));
    try {
      const keyed = owned.some((item) => item.row.idempotencyKey);
      const submitted = keyed
        ? await ctx.db.transaction(async (tx) => {
            await takeSubmissionAllowance(tx, principal, owned.length, ctx.limits);
            return insertBatch(tx, owned);
          })
        : await ctx.submits.submit(principal, owned);
      if (submitted.length === 1 && submitted[0]) {
        span.setAttribute("conveyor.run_id", submitted[0].id);
        span.setAttribute("conveyor.job_type", owned[0]?.row.type ?? "");
      }
      return submitted;
    } catch (error) {
      recordFailure(span, error instanceof Error ? error.name : "submit failed");
      throw error;
    } finally {
      span.end();
    }
  });
}

export const jobsRouter = router({
  /** The job types with their JSON Schemas and defaults, for forms and docs. */
  types: protectedProcedure.query(() =>
    Object.values(catalog).map((job) => ({
      name: job.name,
      description: job.description,
      defaults: job.defaults,
      inputSchema: toJSONSchema(job.input, { io: "input", unrepresentable: "any" }),
      outputSchema: toJSONSchema(job.output, { unrepresentable: "any" }),
      progressSchema: toJSONSchema(job.progress, { unrepresentable: "any" }),
    })),
  ),

  /** Validate and enqueue one run; returns at once with its id. */
  submit: protectedProcedure.input(submitInputParser(catalog)).mutation(async ({ ctx, input }) => {
    const [submitted] = await submitAs(ctx, ctx.principal, [input]);
    if (!submitted) throw new Error("insertBatch returned nothing for one submission");
    ctx.log({ level: "info", message: "run submitted", runId: submitted.id, owner: ctx.principal.ownerId, type: input.row.type, deduplicated: submitted.deduplicated });
    return { id: submitted.id, status: submitted.status, deduplicated: submitted.deduplicated };
  }),

  /** Validate and enqueue up to 10,000 runs in one transaction; one invalid item refuses the batch. */
  submitMany: protectedProcedure.input(submitManyInputParser(catalog)).mutation(async ({ ctx, input }) => {
    const submitted = await submitAs(ctx, ctx.principal, input);
    ctx.log({ level: "info", message: "runs submitted", count: submitted.length, owner: ctx.principal.ownerId });
    return submitted.map(({ id, status, deduplicated }) => ({ id, status, deduplicated }));
  }),

  get: protectedProcedure
    .input(z.object({ id: runIdSchema }).strict())
    .query(({ ctx, input }) => getRun<ConveyorCatalog>(ctx.db, ctx.principal, input.id)),

  /** Cancel a run: a waiting run never starts; a running run's signal aborts and its result is discarded. */
  cancel: protectedProcedure.input(z.object({ id: runIdSchema }).strict()).mutation(async ({ ctx, input }) => {
    const cancelled = await cancelRun(ctx.db.$client, ctx.principal, input.id);
    ctx.log({ level: "info", message: "run cancelled", runId: input.id, owner: ctx.principal.ownerId });
    return cancelled;
  }),

  /** Run a failed or cancelled run again, with a fresh budget of attempts, keeping its history. */
  retry: protectedProcedure.input(z.object({ id: runIdSchema }).strict()).mutation(async ({ ctx, input }) => {
    const retried = await retryRun(ctx.db.$client, ctx.principal, input.id);
    ctx.log({ level: "info", message: "run retried", runId: input.id, owner: ctx.principal.ownerId });
    return retried;
  }),

  /** Run again every failed run matching the filter (type, queue, failed since), at most 10,000 per call. */
  retryFailed: protectedProcedure.input(retryFailedInputSchema).mutation(async ({ ctx, input }) => {
    const retried = await retryFailedRuns(ctx.db.$client, ctx.principal, input);
    ctx.log({ level: "info", message: "failed runs retried", count: retried.retried, owner: ctx.principal.ownerId });
    return retried;
  }),

  /** Runs newest first, filtered by status, type or queue, a page at a time. */
  list: protectedProcedure
    .input(listRunsInputSchema.optional())
    .query(({ ctx, input }) => listRuns<ConveyorCatalog>(ctx.db, ctx.principal, input ?? {})),

  /**
   * A live stream of events: of one run (its whole history first, unless
   * resuming) or of every run (from now on, unless resuming). A client that
   * reconnects with `lastEventId` gets what it missed, once, then live events.
   * The stream of one run ends after the run finishes. A user's stream of
   * every run carries only their own runs. Each open stream counts against
   * the token's cap, and ends when the token is revoked.
   */
  events: protectedProcedure.input(eventsInputSchema.optional()).subscription(async function* ({ ctx, input, signal }) {
    const runId = input?.id;
    const viewer = ctx.principal;
    const seesAll = viewer.role === "admin";
    // Thrown as tRPC errors here: a subscription's errors do not pass through middleware.
    const lease = await ctx.leases.acquire(ctx.principal).catch(rethrowAsTRPCError);
    const stop = AbortSignal.any([signal ?? new AbortController().signal, lease.revoked]);
    // Listen first, then read the backlog, so nothing falls between the two.
    const live = ctx.events.subscribe(runId ?? null, stop);
    ctx.onListening?.();
    try {
      const resumeAfter = input?.lastEventId ? Number(input.lastEventId) : runId ? 0 : null;
      // One run: its status and the events to replay, in one statement.
      const history = runId ? await readRunHistory(ctx.db, viewer, runId, resumeAfter).catch(rethrowAsTRPCError) : null;
      if (runId && !history) rethrowAsTRPCError(new RunNotFoundError(runId));
      let finished = history ? isFinished(history.status) : false;
      let lastSent = resumeAfter ?? 0;
      const sent = new Set<number>();

      const send = function* (event: RunEvent) {
        if (!seesAll && event.ownerId !== viewer.ownerId) return;
        // Per run, ids grow in commit order; across runs, only the set of ids already sent is trusted.
        if (sent.has(event.id) || (runId && event.id <= lastSent)) return;
        sent.add(event.id);
        if (sent.size > 20_000) sent.clear();
        lastSent = Math.max(lastSent, event.id);
        ctx.metrics.eventDelivered(event.kind);
        // The latest lifecycle event decides: a retried run replays its old `failed`, then `queued` again.
        if (runId && isFinished(statusAfter[event.kind])) finished = true;
        else if (runId && (event.kind === "queued" || event.kind === "started" || event.kind === "retrying")) finished = false;
        yield tracked(String(event.id), toMessage(event));
      };

      if (history) for (const event of history.events) yield* send(event);
      else if (resumeAfter !== null) for (const event of await readMissed(ctx, viewer, runId, resumeAfter)) yield* send(event);
      if (runId && finished) return;

      for (let item = await live.next(); item; item = await live.next()) {
        if (item.kind === "resync") {
          for (const event of await readMissed(ctx, viewer, runId, lastSent)) yield* send(event);
        } else {
          yield* send(item.event);
        }
        if (runId && finished) return;
      }
      if (lease.revoked.aborted) throw new TRPCError({ code: "UNAUTHORIZED", message: "the token was revoked or has expired" });
    } finally {
      live.close();
      lease.release();
    }
  }),
});

function rethrowAsTRPCError(error: unknown): never {
  throw answerFor(error);
}
