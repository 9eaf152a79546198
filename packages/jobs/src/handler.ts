import type { AnyJobDefinition, JobInput, JobOutput, JobProgressData, ParsedJobInput } from "./define-job";
import type { RunStatus } from "./run";
import type { Catalog } from "./catalog";

/** What a handler can do besides computing its result. */
export interface JobContext<J extends AnyJobDefinition = AnyJobDefinition> {
  /** The run being executed. */
  readonly runId: string;
  /** 1 for the first attempt, 2 for the first retry, and so on. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /**
   * Aborts when the run is cancelled, times out, or the worker shuts down.
   * Long work should check it (or pass it on to fetch) and stop promptly.
   */
  readonly signal: AbortSignal;
  /**
   * Report progress. Cheap to call often: reports are coalesced per run and
   * written in batches, so a tight loop does not cause one write per call.
   * `percent` is clamped to 0..100.
   */
  progress(percent: number, message?: string, data?: JobProgressData<J>): void;
  /** A line for the run's log, kept with the run (never put secrets here). */
  log(message: string, fields?: Record<string, unknown>): void;
  /** Child runs: a flow of work this run starts and waits for. */
  readonly children: ChildRuns;
}

/**
 * Start child runs and wait for them. Children are ordinary runs (visible,
 * cancellable, retried by their own contract) linked to this run: cancelling
 * this run cancels them. A retried attempt that submits the same children in
 * the same order gets the existing ones back instead of new ones.
 */
export interface ChildRuns {
  /** Submit a child run of any job type of the worker's catalogue; its input is typed by the contract. */
  submit<J extends AnyJobDefinition>(job: J, input: JobInput<J>): Promise<{ id: string }>;
  /**
   * Wait until every child submitted so far has finished, reporting this
   * run's progress as the children's average meanwhile. The waiting attempt
   * keeps its worker slot. Resolves with each child's outcome, in submit order.
   */
  waitAll(): Promise<ChildOutcome[]>;
}

export interface ChildOutcome {
  id: string;
  type: string;
  status: Extract<RunStatus, "completed" | "failed" | "cancelled">;
  output: unknown;
  error: string | null;
}

/** The function that performs one job type. */
export type JobHandler<J extends AnyJobDefinition> = (
  input: ParsedJobInput<J>,
  ctx: JobContext<J>,
) => Promise<JobOutput<J>>;

/**
 * One handler per job type of the catalogue: a missing, extra or mistyped
 * handler is a compile error.
 */
export type JobHandlers<C extends Catalog> = {
  readonly [K in keyof C]: JobHandler<C[K]>;
};

/**
 * Identity helper that checks a handler map against a catalogue.
 *
 * @example
 * const handlers = defineHandlers(catalog, {
 *   "document.analyze": async (input, ctx) => analyze(input.text, ctx),
 * });
 */
export function defineHandlers<C extends Catalog>(_catalog: C, handlers: JobHandlers<C>): JobHandlers<C> {
  return handlers;
}

/**
 * Throw from a handler to fail the run at once, without further attempts
 * (for input that can never succeed, such as a 404 from a webhook target).
 */
export class PermanentJobError extends Error {
  override readonly name = "PermanentJobError";
}
