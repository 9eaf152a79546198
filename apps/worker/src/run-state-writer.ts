import {
  completeRuns,
  failRuns,
  startRuns,
  writeLogs,
  writeProgress,
  type Completion,
  type Failure,
  type LogLine,
  type ProgressUpdate,
  type RunStart,
  type SqlClient,
} from "@conveyor/db";

export interface RunStateWriterOptions {
  /** Shortest time between two progress writes of one run (default: 100 ms). */
  progressIntervalMs?: number;
  /** Called when a batch could not be written (progress is then dropped; outcomes are written again). */
  onError?: (error: unknown) => void;
}

interface Pending<T> {
  item: T;
  /** Writes of this outcome that failed so far (the database was unreachable, say). */
  failures: number;
  /** Set once the item's statement succeeded. */
  written?: boolean;
  resolve: (stillRunning: boolean) => void;
}

/** A completion that also writes its run's start, settling both. */
function withStart(completion: Pending<Completion>, start: Pending<RunStart>): Pending<Completion> {
  const { workerId, startedAt } = start.item;
  return {
    item: { ...completion.item, start: { workerId, startedAt } },
    failures: completion.failures,
    resolve: (applied) => {
      start.resolve(applied);
      completion.resolve(applied);
    },
  };
}

interface ProgressThrottle {
  lastWriteAt: number;
  waiting?: ProgressUpdate;
  timer?: NodeJS.Timeout;
}

/** Batches sent before the first answers; more only queue up in the connection. */
const maxBatchesInFlight = 4;

/** A completion as the executor reports it; the writer notes when it finished. */
export type Result = Omit<Completion, "finishedAt" | "start">;

/**
 * Collects the state changes of every run executing in this process and
 * writes each kind as ONE statement per batch: starts, log lines, progress,
 * completions, then failures. It must be given a client with ONE connection: batches are
 * pipelined on it (a few in flight, sent without waiting for answers), and
 * the connection runs them in the order sent, which keeps each run's writes
 * in order. Whatever arrives while the pipeline is full forms the next batch,
 * so batches grow with the load instead of the number of round trips.
 * Progress is coalesced per run: at most one write per `progressIntervalMs`,
 * always keeping the latest report, and a run's last report is written
 * before its completion. Nobody needs to wait for an outcome's write: the
 * worker frees the attempt's slot when the handler returns and its start is
 * written, and an outcome lost with the process is a lost attempt that the
 * crash takeover retries.
 *
 * A start (`start`) is written with the next batch. A run whose handler
 * returned by then, with no lines or progress in that batch (a quick run),
 * has its start written by its completion's statement instead: one write of
 * the run row for the whole attempt. An outcome is never written before its
 * run's start: it waits in `awaitingStart` while the start is on its way.
 */
export class RunStateWriter {
  private readonly progressIntervalMs: number;
  private readonly onError: (error: unknown) => void;
  private readonly readyProgress = new Map<string, ProgressUpdate>();
  private readonly throttles = new Map<string, ProgressThrottle>();
  private logs: LogLine[] = [];
  private starts: Pending<RunStart>[] = [];
  /** Runs whose start is not written yet (waiting, on its way, or to be tried again). */
  private readonly unstarted = new Set<string>();
  /** Outcomes of runs whose start is on its way: sent once it is written. */
  private readonly awaitingStart = new Map<string, (() => void)[]>();
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

  /**
   * Record that an attempt's handler has begun (the run was read, not yet
   * started in the database; see `startRuns`). Resolves once the start is
   * written, by its own statement or with the run's completion (never
   * rejects: a failed write is tried again): true when the run was still
   * waiting for that attempt; false when it was cancelled meanwhile, and the
   * attempt must stop.
   */
  start(start: RunStart): Promise<boolean> {
    this.unstarted.add(start.id);
    return this.enqueue(this.starts, start);
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

  /** Store a result. Resolves once written (never rejects: a failed write is tried again): true when the run was still running (not cancelled meanwhile). */
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

  /**
   * Write everything still pending (used on shutdown). Resolves true when
   * all of it was written, false when `timeoutMs` passed first (the database
   * is away): the runs whose outcome is unwritten are then left to the crash
   * takeover.
   */
  async drain(timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (const runId of [...this.throttles.keys()]) this.releaseWaitingProgress(runId, { forget: true });
    while (this.inFlight.size > 0 || this.flushScheduled || this.hasWork() || this.retrying > 0 || this.awaitingStart.size > 0) {
      if (Date.now() > deadline) return false;
      if (this.inFlight.size > 0) await Promise.race([Promise.all(this.inFlight), pause(Math.max(0, deadline - Date.now()))]);
      else if (this.retrying > 0 && !this.hasWork()) await pause(50);
      else this.flush();
    }
    return true;
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
    return new Promise((resolve) => {
      list.push({ item, failures: 0, resolve });
      this.scheduleFlush();
    });
  }

  private hasWork(): boolean {
    return (
      this.readyProgress.size > 0 ||
      this.logs.length > 0 ||
      this.starts.length > 0 ||
      this.completions.length > 0 ||
      this.failures.length > 0
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
    const startsNow = new Map(this.starts.map((pending) => [pending.item.id, pending]));
    this.starts = [];
    // Runs with lines or progress in this batch: their start must be written before those.
    const reporting = new Set([...progress.map((update) => update.id), ...logs.map((line) => line.id)]);
    const completions: Pending<Completion>[] = [];
    for (const pending of this.completions) {
      const { id } = pending.item;
      const start = startsNow.get(id);
      if (pending.item.start !== undefined || !this.unstarted.has(id)) completions.push(pending);
      else if (start !== undefined && !reporting.has(id)) {
        // A quick run: its start goes with its completion, and is settled by it.
        startsNow.delete(id);
        completions.push(withStart(pending, start));
      } else this.afterStart(id, () => this.completions.push(pending));
    }
    const failures: Pending<Failure>[] = [];
    for (const pending of this.failures) {
      if (this.unstarted.has(pending.item.id)) this.afterStart(pending.item.id, () => this.failures.push(pending));
      else failures.push(pending);
    }
    this.completions = [];
    this.failures = [];

    const batch = this.writeBatch([...startsNow.values()], progress, logs, completions, failures).finally(() => {
      this.inFlight.delete(batch);
      if (this.hasWork()) this.scheduleFlush();
    });
    this.inFlight.add(batch);
  }

  /** Send the batch's statements without waiting between them: the connection runs them in order. */
  private async writeBatch(
    starts: Pending<RunStart>[],
    progress: ProgressUpdate[],
    logs: LogLine[],
    completions: Pending<Completion>[],
    failures: Pending<Failure>[],
  ): Promise<void> {
    // Starts first: a run's lines, progress and outcome come after its start in its history.
    const started = settle(starts, () => startRuns(this.sql, starts.map((pending) => pending.item)), (error) =>
      this.retryLater(starts, error, (retry) => this.starts.push(...retry)),
    ).then(() => this.startsSettled(starts));
    // Lines before progress: progress is coalesced to its latest report, which usually came after
    // the lines of the same batch; and both before the outcomes, as in the run's history.
    const logsWritten = writeLogs(this.sql, logs).catch((error: unknown) => this.onError(error));
    const progressWritten = writeProgress(this.sql, progress).catch((error: unknown) => this.onError(error));
    // A retried outcome joins whatever list is current when its pause ends (flush replaces them).
    const completed = settle(completions, () => completeRuns(this.sql, completions.map((pending) => pending.item)), (error) =>
      this.retryLater(completions, error, (retry) => this.completions.push(...retry)),
    ).then(() => this.startsSettled(completions.filter((pending) => pending.item.start !== undefined)));
    const failed = settle(failures, () => failRuns(this.sql, failures.map((pending) => pending.item)), (error) =>
      this.retryLater(failures, error, (retry) => this.failures.push(...retry)),
    );
    await Promise.all([started, progressWritten, logsWritten, completed, failed]);
  }

  /** Hold an outcome of a run whose start is on its way until that start is written. */
  private afterStart(runId: string, requeue: () => void): void {
    const waiting = this.awaitingStart.get(runId) ?? [];
    waiting.push(requeue);
    this.awaitingStart.set(runId, waiting);
  }

  /** The starts that were written (those that failed are to be tried again): release what waited on them. */
  private startsSettled(entries: Pending<{ id: string }>[]): void {
    let released = false;
    for (const { item, written } of entries) {
      if (!written) continue;
      this.unstarted.delete(item.id);
      const waiting = this.awaitingStart.get(item.id);
      if (!waiting) continue;
      this.awaitingStart.delete(item.id);
      for (const requeue of waiting) requeue();
      released = true;
    }
    if (released) this.scheduleFlush();
  }

  /**
   * An outcome that could not be written (PostgreSQL restarting, a dropped
   * connection) is written again after a pause that grows with each failure,
   * for as long as the process lives: it is what the run's attempt produced,
   * its job is already gone, and nothing else will record it while this
   * worker heartbeats.
   */
  private retryLater<T>(retry: Pending<T>[], error: unknown, requeue: (retry: Pending<T>[]) => void): void {
    this.onError(error);
    for (const pending of retry) pending.failures++;
    const delay = Math.min(100 * 2 ** Math.min(retry[0]?.failures ?? 1, 6), 5_000);
    this.retrying++;
    setTimeout(() => {
      this.retrying--;
      requeue(retry);
      this.scheduleFlush();
    }, delay);
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function settle<T extends { id: string }>(
  pending: Pending<T>[],
  write: () => Promise<Set<string>>,
  onFailure: (error: unknown) => void,
): Promise<void> {
  if (pending.length === 0) return;
  try {
    const stillRunning = await write();
    for (const entry of pending) {
      entry.written = true;
      entry.resolve(stillRunning.has(entry.item.id));
    }
  } catch (error) {
    onFailure(error);
  }
}
