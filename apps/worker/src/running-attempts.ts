/** Why an attempt's signal aborted because someone cancelled the run. */
export class RunCancelledError extends Error {
  override readonly name = "RunCancelledError";
  constructor() {
    super("cancelled");
  }
}

/** What aborts an attempt: an AbortController, or an AttemptAbort. */
export interface Abortable {
  abort(reason: unknown): void;
}

/**
 * One attempt's abort, by its timeout, a cancel or a stop signal. The
 * AbortSignal the handler sees (`ctx.signal`) is made when first read:
 * an AbortController and its signal cost about 1 KB and two event-target
 * maps, and a run whose handler never reads the signal needs neither
 * (`race` settles the attempt without one).
 */
export class AttemptAbort implements Abortable {
  private controller: AbortController | undefined;
  private aborted = false;
  private reason: unknown;
  private rejectRace: ((reason: unknown) => void) | undefined;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    this.rejectRace?.(reason);
  }

  /** Settle with `work`, or reject with the reason as soon as the attempt aborts (a late result is dropped). */
  race<T>(work: Promise<T>): Promise<T> {
    if (this.aborted) return Promise.reject(this.reason);
    return new Promise<T>((resolve, reject) => {
      this.rejectRace = reject;
      work.then(resolve, reject);
    });
  }
}

/** An attempt being executed, and the stop signals that abort it. */
interface TrackedAttempt {
  controller: Abortable;
  stopSignals: readonly AbortSignal[];
}

/**
 * The attempts executing in this process, by run id, so that a cancel
 * announced by Postgres (from any API process) reaches the right signal,
 * and a stop signal reaches every attempt it concerns.
 */
export class RunningAttempts {
  private readonly byRun = new Map<string, TrackedAttempt>();
  /** Stop signals this registry listens to: one listener each, however many attempts run. */
  private readonly watched = new WeakSet<AbortSignal>();

  /**
   * Track an attempt until the returned function is called, aborting it (with the signal's
   * reason) when one of `stopSignals` aborts. The signals are shared by every attempt (the
   * worker's), so one listener each serves them all: a listener per attempt would pile up past
   * Node's limit of 10 per signal at every concurrency above that, and cost two calls per run.
   */
  add(runId: string, controller: Abortable, stopSignals: readonly AbortSignal[] = []): () => void {
    const tracked = { controller, stopSignals };
    this.byRun.set(runId, tracked);
    for (const signal of stopSignals) {
      if (signal.aborted) controller.abort(signal.reason);
      else this.watch(signal);
    }
    return () => {
      if (this.byRun.get(runId) === tracked) this.byRun.delete(runId);
    };
  }

  cancel(runId: string): void {
    this.byRun.get(runId)?.controller.abort(new RunCancelledError());
  }

  get runIds(): string[] {
    return [...this.byRun.keys()];
  }

  private watch(signal: AbortSignal): void {
    if (this.watched.has(signal)) return;
    this.watched.add(signal);
    signal.addEventListener(
      "abort",
      () => {
        for (const { controller, stopSignals } of this.byRun.values()) {
          if (stopSignals.includes(signal)) controller.abort(signal.reason);
        }
      },
      { once: true },
    );
  }
}
