import { tracked } from "@trpc/server";
import { toJSONSchema, z } from "zod";
import {
  cancelRun,
  getRun,
  insertBatch,
  insertPrepared,
  listRunsInputSchema,
  listRuns,
  readEventsAfter,
  readRunEvents,
  retryFailedInputSchema,
  retryFailedRuns,
  retryRun,
  type RunEvent,
} from "@conveyor/db";
import { catalog, isFinished, runIdSchema, runStatusSchema, type ConveyorCatalog, type RunEventKind } from "@conveyor/jobs";
import { ConveyorError } from "@conveyor/db";
import { publicProcedure, router } from "../trpc";
import { toTRPCError } from "../field-errors";
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
  error?: string;
  attempt?: number;
  nextAttemptAt?: string;
}

const statusAfter: Record<RunEventKind, z.infer<typeof runStatusSchema>> = {
  queued: "queued",
  started: "running",
  progress: "running",
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
    status: statusAfter[event.kind],
    ...(event.kind === "progress"
      ? { progress: { percent: data.percent ?? 0, message: data.message ?? null, data: data.data ?? null } }
      : {}),
    ...(data.error !== undefined ? { error: data.error } : {}),
    ...(data.attempt !== undefined ? { attempt: data.attempt } : {}),
    ...(data.nextAttemptAt !== undefined ? { nextAttemptAt: data.nextAttemptAt } : {}),
  };
}

/** Events the stream missed after `afterId`: the run's, or every run's. */
function readMissed(ctx: ApiContext, runId: string | undefined, afterId: number): Promise<RunEvent[]> {
  return runId ? readRunEvents(ctx.db, runId, afterId) : readEventsAfter(ctx.db, afterId, maxReplay);
}

export const jobsRouter = router({
  /** The job types with their JSON Schemas and defaults, for forms and docs. */
  types: publicProcedure.query(() =>
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
  submit: publicProcedure.input(submitInputParser(catalog)).mutation(async ({ ctx, input }) => {
    const submitted = await ctx.db.transaction((tx) => insertPrepared(tx, input));
    return { id: submitted.id, status: submitted.status, deduplicated: submitted.deduplicated };
  }),

  /** Validate and enqueue up to 10,000 runs in one transaction; one invalid item refuses the batch. */
  submitMany: publicProcedure.input(submitManyInputParser(catalog)).mutation(async ({ ctx, input }) => {
    const submitted = await ctx.db.transaction((tx) => insertBatch(tx, input));
    return submitted.map(({ id, status, deduplicated }) => ({ id, status, deduplicated }));
  }),

  get: publicProcedure
    .input(z.object({ id: runIdSchema }).strict())
    .query(({ ctx, input }) => getRun<ConveyorCatalog>(ctx.db, input.id)),

  /** Cancel a run: a waiting run never starts; a running run's signal aborts and its result is discarded. */
  cancel: publicProcedure
    .input(z.object({ id: runIdSchema }).strict())
    .mutation(({ ctx, input }) => cancelRun(ctx.db.$client, input.id)),

  /** Run a failed or cancelled run again, with a fresh budget of attempts, keeping its history. */
  retry: publicProcedure
    .input(z.object({ id: runIdSchema }).strict())
    .mutation(({ ctx, input }) => retryRun(ctx.db.$client, input.id)),

  /** Run again every failed run matching the filter (type, queue, failed since), at most 10,000 per call. */
  retryFailed: publicProcedure
    .input(retryFailedInputSchema)
    .mutation(({ ctx, input }) => retryFailedRuns(ctx.db.$client, input)),

  /** Runs newest first, filtered by status, type or queue, a page at a time. */
  list: publicProcedure
    .input(listRunsInputSchema.optional())
    .query(({ ctx, input }) => listRuns<ConveyorCatalog>(ctx.db, input ?? {})),

  /**
   * A live stream of events: of one run (its whole history first, unless
   * resuming) or of every run (from now on, unless resuming). A client that
   * reconnects with `lastEventId` gets what it missed, once, then live events.
   * The stream of one run ends after the run finishes.
   */
  events: publicProcedure.input(eventsInputSchema.optional()).subscription(async function* ({ ctx, input, signal }) {
    const runId = input?.id;
    const abort = signal ?? new AbortController().signal;
    // Listen first, then read the backlog, so nothing falls between the two.
    const live = ctx.events.subscribe(runId ?? null, abort);
    try {
      let finished = false;
      if (runId) {
        // Thrown as a tRPC error here: a subscription's errors do not pass through middleware.
        const run = await getRun(ctx.db, runId).catch((error: unknown) => {
          throw error instanceof ConveyorError ? toTRPCError(error) : error;
        });
        finished = isFinished(run.status);
      }
      const resumeAfter = input?.lastEventId ? Number(input.lastEventId) : runId ? 0 : null;
      let lastSent = resumeAfter ?? 0;
      const sent = new Set<number>();

      const send = function* (event: RunEvent) {
        // Per run, ids grow in commit order; across runs, only the set of ids already sent is trusted.
        if (sent.has(event.id) || (runId && event.id <= lastSent)) return;
        sent.add(event.id);
        if (sent.size > 20_000) sent.clear();
        lastSent = Math.max(lastSent, event.id);
        if (runId && isFinished(statusAfter[event.kind])) finished = true;
        yield tracked(String(event.id), toMessage(event));
      };

      if (resumeAfter !== null) for (const event of await readMissed(ctx, runId, resumeAfter)) yield* send(event);
      if (runId && finished) return;

      for (let item = await live.next(); item; item = await live.next()) {
        if (item.kind === "resync") {
          for (const event of await readMissed(ctx, runId, lastSent)) yield* send(event);
        } else {
          yield* send(item.event);
        }
        if (runId && finished) return;
      }
    } finally {
      live.close();
    }
  }),
});
