/** `result()` of a run that failed for good: every attempt it was allowed failed. */
export class RunFailedError extends Error {
  override readonly name = "RunFailedError";
  constructor(
    readonly runId: string,
    /** The job type of the run. */
    readonly type: string,
    /** The last attempt's error, as the run stores it. */
    readonly error: string,
    /** Attempts made. */
    readonly attempts: number,
  ) {
    super(`run ${runId} (${type}) failed after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${error}`);
  }
}

/** `result()` of a run that was cancelled. */
export class RunCancelledError extends Error {
  override readonly name = "RunCancelledError";
  constructor(
    readonly runId: string,
    readonly type: string,
  ) {
    super(`run ${runId} (${type}) was cancelled`);
  }
}
