import { z } from "zod";
import { prioritySchema, queueNameSchema } from "./define-job";

/** Where a run is in its life. */
export const runStatuses = ["queued", "scheduled", "running", "completed", "failed", "cancelled"] as const;
export type RunStatus = (typeof runStatuses)[number];
export const runStatusSchema = z.enum(runStatuses);

/** Statuses a run does not leave by itself. */
export const finishedStatuses: readonly RunStatus[] = ["completed", "failed", "cancelled"];
export function isFinished(status: RunStatus): boolean {
  return finishedStatuses.includes(status);
}

/** The kinds of event a run's stream carries. */
export const runEventKinds = ["queued", "started", "progress", "retrying", "completed", "failed", "cancelled"] as const;
export type RunEventKind = (typeof runEventKinds)[number];

/** The last progress a run reported. */
export interface RunProgress {
  percent: number;
  message: string | null;
  data: unknown;
}

/** Per-run overrides of a job type's defaults, accepted by `jobs.submit`. */
export const submitOptionsSchema = z
  .object({
    priority: prioritySchema.optional(),
    /** Start no earlier than this time (ISO 8601). */
    runAt: z.coerce.date().optional(),
    /** A second submit with the same key returns the first run while it is unfinished. */
    idempotencyKey: z.string().min(1).max(200).optional(),
    maxAttempts: z.number().int().min(1).max(100).optional(),
    timeoutMs: z.number().int().min(100).max(7 * 24 * 60 * 60 * 1000).optional(),
    queue: queueNameSchema.optional(),
  })
  .strict();
export type SubmitOptions = z.input<typeof submitOptionsSchema>;

/** Run ids are UUIDs; a malformed id is rejected before it reaches the database. */
export const runIdSchema = z.uuid({ error: "must be a run id (a UUID)" });
