import { claimRuns, loadRunsToStart, type AttemptJob, type ClaimedJob, type SqlClient, type StartedRun, type WaitingRun } from "@conveyor/db";

type Callback<T> = (run: T | undefined, error?: unknown) => void;

/**
 * Collects the jobs graphile-worker hands out in one turn of the event loop
 * (with its local queue that is many) and answers them with one statement
 * per kind: `read` only reads them (the worker then starts the handlers and
 * has the starts written by its state writer; see `loadRunsToStart`),
 * `claim` starts them durably first (see `claimRuns`).
 * Either resolves with undefined for a run that must not run any more
 * (finished, cancelled, deleted, or a job that outlived its attempt).
 */
export class RunStarter {
  private readonly claims = new Batch<ClaimedJob, StartedRun>((jobs) => claimRuns(this.sql, jobs, { workerId: this.workerId, startedAt: new Date().toISOString() }));
  private readonly reads = new Batch<AttemptJob, WaitingRun>((jobs) => loadRunsToStart(this.sql, jobs));

  constructor(
    private readonly sql: SqlClient,
    private readonly workerId: string,
  ) {}

  /** Start the job's run in this worker's name (durably, with its `started` event). */
  claim(job: ClaimedJob): Promise<StartedRun | undefined> {
    return this.claims.add(job);
  }

  /** Read the job's run as it would start, without starting it. */
  read(job: AttemptJob): Promise<WaitingRun | undefined> {
    return this.reads.add(job);
  }
}

/** Jobs waiting for the next statement of one kind, sent on the next turn of the event loop. */
class Batch<J extends AttemptJob, T extends StartedRun> {
  private waiting = new Map<string, { job: J; callbacks: Callback<T>[] }>();
  private scheduled = false;

  constructor(private readonly run: (jobs: J[]) => Promise<T[]>) {}

  add(job: J): Promise<T | undefined> {
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
      const started = await this.run([...batch.values()].map((entry) => entry.job));
      const byId = new Map(started.map((run) => [run.id, run]));
      for (const [runId, { callbacks }] of batch) for (const callback of callbacks) callback(byId.get(runId));
    } catch (error) {
      for (const { callbacks } of batch.values()) for (const callback of callbacks) callback(undefined, error);
    }
  }
}
