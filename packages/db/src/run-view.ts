import type {
  Catalog,
  JobOutput,
  JobProgressData,
  JobType,
  ParsedJobInput,
  Priority,
  RunEventKind,
  RunStatus,
} from "@conveyor/jobs";
import type { RunEventData, RunEventRow, RunRow } from "./schema";

interface RunFields {
  id: string;
  /** A short human label from the contract (a document's title, a webhook's URL). */
  label: string;
  queue: string;
  status: RunStatus;
  priority: Priority;
  error: string | null;
  attempts: number;
  maxAttempts: number;
  /** Attempts lost because their worker died; they do not count against maxAttempts. */
  lostAttempts: number;
  /** The run fails when it has lost this many attempts (the contract's maxLostAttempts). */
  maxLostAttempts: number;
  timeoutMs: number;
  ownerId: string;
  /** The run that started this one as a child (flows), if any. */
  parentId: string | null;
  createdAt: Date;
  runAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/**
 * A run as users see it, typed by its job type: narrowing on `type` gives the
 * input, output and progress data of that contract.
 */
export type Run<C extends Catalog> = {
  [K in JobType<C>]: RunFields & {
    type: K;
    input: ParsedJobInput<C[K]>;
    output: JobOutput<C[K]> | null;
    progress: { percent: number; message: string | null; data: JobProgressData<C[K]> | null };
  };
}[JobType<C>];

/** A run as lists show it: everything but the input and output, which may be megabytes. */
export type RunSummary<C extends Catalog> = {
  [K in JobType<C>]: RunFields & {
    type: K;
    progress: { percent: number; message: string | null; data: JobProgressData<C[K]> | null };
  };
}[JobType<C>];

/** A row without the heavy JSON columns, as listRuns reads it. */
export type RunSummaryRow = Omit<RunRow, "input" | "output" | "secrets">;

/** Shape a list row for callers (see `toRun` for the one assertion). */
export function toRunSummary<C extends Catalog>(row: RunSummaryRow): RunSummary<C> {
  const summary = {
    id: row.id,
    type: row.type,
    label: row.label,
    queue: row.queue,
    status: row.status,
    priority: row.priority,
    error: row.error,
    progress: { percent: row.progressPercent, message: row.progressMessage, data: row.progressData ?? null },
    attempts: row.attempts,
    maxAttempts: row.maxAttempts,
    lostAttempts: row.lostAttempts,
    maxLostAttempts: row.maxLostAttempts,
    timeoutMs: row.timeoutMs,
    ownerId: row.ownerId,
    parentId: row.parentId,
    createdAt: row.createdAt,
    runAt: row.runAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
  return summary as RunSummary<C>;
}

/**
 * Shape a row for callers. The JSON columns were validated against the
 * contract when written (input at submit, output and progress in the worker),
 * which is the invariant this one assertion relies on.
 */
export function toRun<C extends Catalog>(row: RunRow): Run<C> {
  const run = { ...toRunSummary<C>(row), input: row.input, output: row.output ?? null };
  return run as Run<C>;
}

/** One event of a run's stream. `data` depends on the kind (see `RunEventData`). */
export interface RunEvent {
  id: number;
  runId: string;
  /** The run's owner: who may receive the event. */
  ownerId: string;
  type: string;
  kind: RunEventKind;
  at: Date;
  data: RunEventData;
}

export function toRunEvent(row: RunEventRow & { type: string; ownerId: string }): RunEvent {
  return { id: row.id, runId: row.runId, ownerId: row.ownerId, type: row.type, kind: row.kind, at: row.at, data: row.data ?? null };
}
