import { loadRunsToStart, type AttemptJob, type SqlClient, type StartedRun } from "@conveyor/db";

/**
 * Loads runs about to start in batches: every run that graphile-worker hands
 * out in the same turn of the event loop (with its local queue that is many)
 * is read with one query, which also tells which must not run any more.
 * Marking them running is the state writer's job (see `RunStateWriter.recordStart`).
 */
export class RunStarter {
  private waiting = new Map<string, { job: AttemptJob; callbacks: Array<(run: StartedRun | undefined, error?: unknown) => void> }>();
  private scheduled = false;

  constructor(private readonly sql: SqlClient) {}

  /** Resolves with the run, or undefined when it must not run (finished, cancelled or deleted). */
  start(job: AttemptJob): Promise<StartedRun | undefined> {
    return new Promise((resolve, reject) => {
      const entry = this.waiting.get(job.runId) ?? { job, callbacks: [] };
      entry.callbacks.push((run, error) => (error === undefined ? resolve(run) : reject(error)));
      this.waiting.set(job.runId, entry);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.waiting;
    this.waiting = new Map();
    try {
      const started = await loadRunsToStart(this.sql, [...batch.values()].map((entry) => entry.job));
      const byId = new Map(started.map((run) => [run.id, run]));
      for (const [runId, { callbacks }] of batch) for (const callback of callbacks) callback(byId.get(runId));
    } catch (error) {
      for (const { callbacks } of batch.values()) for (const callback of callbacks) callback(undefined, error);
    }
  }
}
