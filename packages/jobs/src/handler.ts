import type { AnyJobDefinition, JobOutput, JobProgressData, ParsedJobInput } from "./define-job";
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
