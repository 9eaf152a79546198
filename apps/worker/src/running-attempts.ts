/** Why an attempt's signal aborted because someone cancelled the run. */
export class RunCancelledError extends Error {
  override readonly name = "RunCancelledError";
  constructor() {
    super("cancelled");
  }
}

/**
 * The attempts executing in this process, by run id, so that a cancel
 * announced by Postgres (from any API process) reaches the right signal.
 */
export class RunningAttempts {
  private readonly byRun = new Map<string, AbortController>();

  /** Track an attempt until the returned function is called. */
  add(runId: string, controller: AbortController): () => void {
    this.byRun.set(runId, controller);
    return () => {
      if (this.byRun.get(runId) === controller) this.byRun.delete(runId);
    };
  }

  cancel(runId: string): void {
    this.byRun.get(runId)?.abort(new RunCancelledError());
  }

  get runIds(): string[] {
    return [...this.byRun.keys()];
  }
}
