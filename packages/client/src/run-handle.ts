import type { TRPCClient } from "@trpc/client";
import type { AppRouter, RouterOutputs } from "@conveyor/api";
import type { Catalog, ConveyorCatalog, JobOutput, JobType, RunStatus } from "@conveyor/jobs";
import { RunCancelledError, RunFailedError } from "./errors";
import { runEvents, type RunEventsOptions } from "./run-events";
import type { Run, RunEvent, WireRunEvent } from "./types";

/** A run to watch, wait for or cancel, typed by its job type. */
export interface RunRef<K extends JobType<C>, C extends Catalog = ConveyorCatalog> {
  readonly id: string;
  /**
   * The output, once the run completes (at once if it already has). Rejects
   * with `RunFailedError` (error, attempts) when it fails for good, with
   * `RunCancelledError` when it is cancelled, or with the signal's reason.
   */
  result(options?: { signal?: AbortSignal }): Promise<JobOutput<C[K]>>;
  /**
   * The run's events, history first, ending after the event that finishes
   * it. Survives dropped connections without losing or repeating an event.
   * Leaving the loop early unsubscribes.
   */
  events(options?: RunEventsOptions): AsyncGenerator<RunEvent<K, C>, void, undefined>;
  /** Cancel the run: a waiting run never starts; a running one's signal aborts. A finished run answers CONFLICT. */
  cancel(): Promise<RouterOutputs["jobs"]["cancel"]>;
  /** The run as it is now (`jobs.get`). */
  get(): Promise<Run<K, C>>;
}

/** A run just submitted. */
export interface RunHandle<K extends JobType<C>, C extends Catalog = ConveyorCatalog> extends RunRef<K, C> {
  /** The status it was submitted with: `queued`, or `scheduled` with `runAt`. */
  readonly status: RunStatus;
  /** True when an `idempotencyKey` returned an existing run instead of a new one. */
  readonly deduplicated: boolean;
}

export function createRunRef<K extends JobType<C>, C extends Catalog>(raw: TRPCClient<AppRouter>, id: string): RunRef<K, C> {
  const get = () => raw.jobs.get.query({ id }) as Promise<unknown> as Promise<Run<K, C>>;
  return {
    id,
    get,
    events: (options) => runEvents(raw, id, options) as AsyncGenerator<WireRunEvent, void, undefined> as AsyncGenerator<RunEvent<K, C>, void, undefined>,
    cancel: () => raw.jobs.cancel.mutate({ id }),
    async result({ signal } = {}) {
      let outcome: WireRunEvent | undefined;
      for await (const event of runEvents(raw, id, { signal })) {
        if (event.kind === "completed" || event.kind === "failed" || event.kind === "cancelled") outcome = event;
      }
      const run = await raw.jobs.get.query({ id }, { signal });
      if (!outcome) throw new Error(`the events of run ${id} ended without its outcome (status: ${run.status})`);
      if (outcome.kind === "completed") return run.output as JobOutput<C[K]>;
      if (outcome.kind === "cancelled") throw new RunCancelledError(id, run.type);
      throw new RunFailedError(id, run.type, outcome.error ?? run.error ?? "unknown error", outcome.attempt ?? run.attempts);
    },
  };
}
