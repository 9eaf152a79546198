import {
  checkBurst,
  ConveyorError,
  submitWithinLimits,
  type LimitDefaults,
  type PreparedSubmission,
  type Principal,
  type SubmissionOutcome,
  type SubmissionRequest,
  type SqlClient,
  type Submitted,
} from "@conveyor/db";

/**
 * Statements out at once; what arrives meanwhile waits for the next, so batches grow with the load.
 * One: a second statement of the same token would only wait for the first's lock on the token's row,
 * and the batches would be half as large (measured: 1 gave about 1.2x the submits per second of 2).
 */
const maxStatementsInFlight = 1;
/** Runs per statement: a batch of batches stays one reasonable statement. */
const maxRunsPerStatement = 5_000;

interface Waiting {
  request: SubmissionRequest;
  resolve: (submitted: Submitted[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for submissions: every submission that arrives while the
 * previous statements are out is written by the next ONE statement
 * (`submitWithinLimits`), so 20 concurrent clients share a handful of commits
 * instead of queueing for 20. A quiet API sends a lone submission at once
 * (on the next turn of the event loop), so batching costs no latency. Each
 * request is answered for itself: a refused one fails alone, and when a
 * statement fails as a whole (the database said no), its requests are tried
 * again one per statement, so only the one at fault fails.
 */
export class SubmitBatcher {
  private waiting: Waiting[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly sql: SqlClient,
    private readonly limits: LimitDefaults,
    /** Called after each statement that wrote runs (the count changes it appended want folding). */
    private readonly onWritten: () => void = () => {},
  ) {}

  /** Write `prepared` as the principal's runs, within its limits; rejects with `LimitExceededError` when refused. */
  submit(principal: Principal, prepared: readonly PreparedSubmission[]): Promise<Submitted[]> {
    checkBurst(principal, prepared.length, this.limits);
    return new Promise((resolve, reject) => {
      this.waiting.push({ request: { principal, prepared }, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= maxStatementsInFlight || this.waiting.length === 0) return;
    this.scheduled = true;
    // setImmediate: the requests parsed in this turn of the event loop join the statement.
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.takeBatch();
    this.inFlight++;
    this.schedule();
    try {
      settle(batch, await submitWithinLimits(this.sql, batch.map((entry) => entry.request), this.limits));
      this.onWritten();
    } catch (error) {
      if (batch.length === 1 || error instanceof ConveyorError) for (const entry of batch) entry.reject(error);
      else await Promise.all(batch.map((entry) => this.writeAlone(entry)));
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }

  private takeBatch(): Waiting[] {
    let runs = 0;
    let taken = 0;
    while (taken < this.waiting.length) {
      runs += this.waiting[taken]?.request.prepared.length ?? 0;
      if (taken > 0 && runs > maxRunsPerStatement) break;
      taken++;
    }
    return this.waiting.splice(0, taken);
  }

  private async writeAlone(entry: Waiting): Promise<void> {
    try {
      settle([entry], await submitWithinLimits(this.sql, [entry.request], this.limits));
      this.onWritten();
    } catch (error) {
      entry.reject(error);
    }
  }
}

function settle(batch: readonly Waiting[], outcomes: readonly SubmissionOutcome[]): void {
  batch.forEach((entry, index) => {
    const outcome = outcomes[index];
    if (!outcome) entry.reject(new Error("submitWithinLimits answered fewer requests than it was given"));
    else if (outcome.ok) entry.resolve(outcome.submitted);
    else entry.reject(outcome.error);
  });
}
