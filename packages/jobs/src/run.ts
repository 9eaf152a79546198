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
/** Statuses of runs still to run or running: what counts against an owner's cap. */
export const unfinishedStatuses: readonly RunStatus[] = runStatuses.filter((status) => !finishedStatuses.includes(status));

/** The kinds of event a run's stream carries. */
/** What the audit log records: changes to tokens, and what people do to runs (see @conveyor/db's audit-log.ts). */
export const auditActions = ["token.created", "token.revoked", "run.cancelled", "run.retried", "runs.retried_failed"] as const;
export type AuditAction = (typeof auditActions)[number];

export const runEventKinds = ["queued", "started", "progress", "log", "retrying", "completed", "failed", "cancelled"] as const;
export type RunEventKind = (typeof runEventKinds)[number];

/** The last progress a run reported. */
export interface RunProgress {
  percent: number;
  message: string | null;
  data: unknown;
}

const isoDateTime = z.iso.datetime({ offset: true });

/**
 * A point in time: a Date, or an ISO 8601 date-time with its time zone
 * ("2030-01-01T09:00:00Z", "2030-01-01T10:00:00+01:00"). Anything else is
 * refused rather than guessed at: a local time, "12/31/2030", a number, `true`.
 */
export const instantSchema = z
  .custom<Date | string>(
    (value) => (value instanceof Date ? !Number.isNaN(value.getTime()) : typeof value === "string" && isoDateTime.safeParse(value).success),
    "must be an ISO 8601 date-time with a time zone, e.g. 2030-01-01T09:00:00Z",
  )
  .transform((value) => new Date(value));

/** Per-run overrides of a job type's defaults, accepted by `jobs.submit`. */
export const submitOptionsSchema = z
  .object({
    priority: prioritySchema.optional(),
    /** Start no earlier than this time (ISO 8601 with a time zone, or a Date). */
    runAt: instantSchema.optional(),
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
