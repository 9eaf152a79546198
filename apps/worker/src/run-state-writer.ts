import {
  completeRuns,
  failRuns,
  recordStarts,
  writeLogs,
  writeProgress,
  type Completion,
  type Failure,
  type LogLine,
  type ProgressUpdate,
  type SqlClient,
  type StartRecord,
} from "@conveyor/db";

export interface RunStateWriterOptions {
  /** Shortest time between two progress writes of one run (default: 100 ms). */
  progressIntervalMs?: number;
  /** Called when a batch could not be written (progress is then dropped; completions reject). */
  onError?: (error: unknown) => void;
}

interface Pending<T> {
  item: T;
  /** Writes of this outcome that failed so far (the database was unreachable, say). */
  failures: number;
  resolve: (stillRunning: boolean) => void;
  reject: (error: unknown) => void;
}

interface ProgressThrottle {
  lastWriteAt: number;
  waiting?: ProgressUpdate;
  timer?: NodeJS.Timeout;
}

/** Batches sent before the first answers; more only queue up in the connection. */
const maxBatchesInFlight = 4;
/** Failed writes of one outcome before its attempt gives up (about 1 minute of pauses). */
const maxWriteFailures = 20;

/** A completion as the executor reports it; the writer adds the start when that is still unwritten. */
export type Result = Omit<Completion, "start" | "finishedAt">;

/**
 * Collects the state changes of every run executing in this process and
 * writes each kind as ONE statement per batch: starts, progress, completions,
 * then failures. It must be given a client with ONE connection: batches are
 * pipelined on it (a few in flight, sent without waiting for answers), and
 * the connection runs them in the order sent, which keeps each run's writes
 * in order. Whatever arrives while the pipeline is full forms the next batch,
 * so batches grow with the load instead of the number of round trips. A run that completes before its start was written has both
 * written by one row update (under load, that is most short runs). Progress
 * is coalesced per run: at most one write per `progressIntervalMs`, always
 * keeping the latest report, and a run's last report is written before its
 * completion.
 */
export class RunStateWriter {
  private readonly progressIntervalMs: number;
  private readonly onError: (error: unknown) => void;
  private readonly readyProgress = new Map<string, ProgressUpdate>();
  private readonly throttles = new Map<string, ProgressThrottle>();
  /** Starts not yet written; `sent` ones are in the batch in flight, or failed to write and travel with the result. */
  private readonly unwrittenStarts = new Map<string, { record: StartRecord; sent: boolean }>();
  private logs: LogLine[] = [];
  private completions: Pending<Completion>[] = [];
  private failures: Pending<Failure>[] = [];
  private flushScheduled = false;
  /** Batches sent and not yet answered; on one connection they are pipelined and run in order. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Outcomes waiting to be written again after a failed write. */
  private retrying = 0;

  constructor(
    private readonly sql: SqlClient,
    options: RunStateWriterOptions = {},
  ) {
    this.progressIntervalMs = options.progressIntervalMs ?? 100;
    this.onError = options.onError ?? ((error) => console.error("[conveyor] state write failed", error));
  }

  /** Record that an attempt began. Not awaited: it is written with the next batch, or with the run's result. */
  recordStart(record: StartRecord): void {
    this.unwrittenStarts.set(record.id, { record, sent: false });
    this.scheduleFlush();
  }

  /** Remember a run's progress; it is written soon, coalesced with later reports. */
  reportProgress(update: ProgressUpdate): void {
    if (this.readyProgress.has(update.id)) {
      this.readyProgress.set(update.id, update);
      return;
    }
    const throttle = this.throttles.get(update.id) ?? { lastWriteAt: 0 };
    this.throttles.set(update.id, throttle);
    const dueIn = throttle.lastWriteAt + this.progressIntervalMs - Date.now();
    if (dueIn <= 0 && !throttle.timer) {
      throttle.lastWriteAt = Date.now();
      this.readyProgress.set(update.id, update);
      this.scheduleFlush();
      return;
    }
    throttle.waiting = update;
    throttle.timer ??= setTimeout(() => this.releaseWaitingProgress(update.id), Math.max(dueIn, 0));
  }

  /** Keep a line the handler logged, as a `log` event of its run (written with the next batch; dropped if that fails). */
  log(line: LogLine): void {
    this.logs.push(line);
    this.scheduleFlush();
  }

  /** Store a result. Resolves once written: true when the run was still running (not cancelled meanwhile). */
  complete(result: Result): Promise<boolean> {
    this.releaseWaitingProgress(result.id, { forget: true });
    return this.enqueue(this.completions, { ...result, finishedAt: new Date().toISOString() });
  }

  /** Record a failed attempt (see `failRuns`). Resolves once written. */
  fail(failure: Failure): Promise<boolean> {
    this.releaseWaitingProgress(failure.id, { forget: true });
    return this.enqueue(this.failures, failure);
  }

  /** Drop what is kept for a run whose attempt ended without an outcome to write (it was cancelled). */
  forget(runId: string): void {
    this.releaseWaitingProgress(runId, { forget: true });
  }

  /** Write everything still pending (used on shutdown). */
  async drain(): Promise<void> {
    for (const runId of [...this.throttles.keys()]) this.releaseWaitingProgress(runId, { forget: true });
    while (this.inFlight.size > 0 || this.flushScheduled || this.hasWork() || this.retrying > 0) {
      if (this.inFlight.size > 0) await Promise.all(this.inFlight);
      else if (this.retrying > 0 && !this.hasWork()) await new Promise((resolve) => setTimeout(resolve, 50));
      else this.flush();
    }
  }

  private releaseWaitingProgress(runId: string, options: { forget?: boolean } = {}): void {
    const throttle = this.throttles.get(runId);
    if (!throttle) return;
    if (throttle.timer) clearTimeout(throttle.timer);
    throttle.timer = undefined;
    if (throttle.waiting) {
      this.readyProgress.set(runId, throttle.waiting);
      throttle.waiting = undefined;
      throttle.lastWriteAt = Date.now();
      this.scheduleFlush();
    }
    if (options.forget) this.throttles.delete(runId);
  }

  private enqueue<T>(list: Pending<T>[], item: T): Promise<boolean> {
    return new Promise((resolve, reject) => {
      list.push({ item, failures: 0, resolve, reject });
      this.scheduleFlush();
    });
  }

  private hasWork(): boolean {
    return (
      this.readyProgress.size > 0 ||
      this.logs.length > 0 ||
      this.completions.length > 0 ||
      this.failures.length > 0 ||
      [...this.unwrittenStarts.values()].some((start) => !start.sent)
    );
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.inFlight.size >= maxBatchesInFlight) return;
    this.flushScheduled = true;
    // setImmediate: everything reported in this turn of the event loop joins the batch.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    // A full pipeline: whatever waits joins the batch sent when one returns.
    if (this.inFlight.size >= maxBatchesInFlight) return;
    const progress = [...this.readyProgress.values()];
    this.readyProgress.clear();
    const logs = this.logs;
    this.logs = [];
    const completions = this.completions;
    const failures = this.failures;
    this.completions = [];
    this.failures = [];

    // A run finishing in this batch takes its start with it until the outcome is written: a
    // completion writes it in the same row update (harmless when the start was written meanwhile),
    // and an outcome retried after a failed batch still has it. Writing a start twice changes nothing.
    const withProgress = new Set(progress.map((update) => update.id));
    const starts: StartRecord[] = [];
    const takeStart = (id: string, carried: StartRecord | undefined) => {
      const start = this.unwrittenStarts.get(id)?.record ?? carried;
      this.unwrittenStarts.delete(id);
      return start;
    };
    for (const pending of completions) {
      const start = takeStart(pending.item.id, pending.item.start);
      if (!start) continue;
      pending.item = { ...pending.item, start };
      // Progress in this batch needs the run marked running before it.
      if (withProgress.has(pending.item.id)) starts.push(start);
    }
    for (const pending of failures) {
      const start = takeStart(pending.item.id, pending.item.start);
      if (!start) continue;
      pending.item = { ...pending.item, start };
      // A failure is recorded only for a run marked running.
      starts.push(start);
    }
    // Starts of runs still executing go first in this batch.
    for (const start of this.unwrittenStarts.values()) {
      if (!start.sent) {
        start.sent = true;
        starts.push(start.record);
      }
    }

    const batch = this.writeBatch(starts, progress, logs, completions, failures).finally(() => {
      this.inFlight.delete(batch);
      if (this.hasWork()) this.scheduleFlush();
    });
    this.inFlight.add(batch);
  }

  /** Send the batch's statements without waiting between them: the connection runs them in order. */
  private async writeBatch(
    starts: StartRecord[],
    progress: ProgressUpdate[],
    logs: LogLine[],
    completions: Pending<Completion>[],
    failures: Pending<Failure>[],
  ): Promise<void> {
    const startsWritten = recordStarts(this.sql, starts).then(
      () => {
        // Written: a later result need not carry it.
        for (const start of starts) {
          if (this.unwrittenStarts.get(start.id)?.record === start) this.unwrittenStarts.delete(start.id);
        }
      },
      // Not written: the start stays and travels with the run's result.
      (error: unknown) => this.onError(error),
    );
    // Lines before progress: progress is coalesced to its latest report, which usually came after
    // the lines of the same batch; and both before the outcomes, as in the run's history.
    const logsWritten = writeLogs(this.sql, logs).catch((error: unknown) => this.onError(error));
    const progressWritten = writeProgress(this.sql, progress).catch((error: unknown) => this.onError(error));
    // A retried outcome joins whatever list is current when its pause ends (flush replaces them).
    const completed = settle(completions, () => completeRuns(this.sql, completions.map((pending) => pending.item)), (error) =>
      this.retryLater(completions, error, (retry) => this.completions.push(...retry)),
    );
    const failed = settle(failures, () => failRuns(this.sql, failures.map((pending) => pending.item)), (error) =>
      this.retryLater(failures, error, (retry) => this.failures.push(...retry)),
    );
    await Promise.all([startsWritten, progressWritten, logsWritten, completed, failed]);
  }

  /**
   * An outcome that could not be written (PostgreSQL restarting, a dropped
   * connection) is written again after a pause that grows with each failure:
   * it is what the run's attempt produced, and nothing else will record it.
   * After `maxWriteFailures` the attempt's promise rejects (graphile-worker
   * then retries the job).
   */
  private retryLater<T>(failed: Pending<T>[], error: unknown, requeue: (retry: Pending<T>[]) => void): void {
    this.onError(error);
    const retry = failed.filter((pending) => ++pending.failures < maxWriteFailures);
    for (const pending of failed) if (pending.failures >= maxWriteFailures) pending.reject(error);
    if (retry.length === 0) return;
    const delay = Math.min(100 * 2 ** Math.min(retry[0]!.failures, 6), 5_000);
    this.retrying++;
    setTimeout(() => {
      this.retrying--;
      requeue(retry);
      this.scheduleFlush();
    }, delay);
  }
}

async function settle<T extends { id: string }>(
  pending: Pending<T>[],
  write: () => Promise<Set<string>>,
  onFailure: (error: unknown) => void,
): Promise<void> {
  if (pending.length === 0) return;
  try {
    const stillRunning = await write();
    for (const entry of pending) entry.resolve(stillRunning.has(entry.item.id));
  } catch (error) {
    onFailure(error);
  }
}
