/** A problem with one field of a request: where it is and what rule it broke. */
export interface FieldIssue {
  /** Dotted path from the request's root, e.g. "input.text" or "options.priority". */
  path: string;
  message: string;
}

/** Base class of the errors Conveyor's data layer reports to callers. */
export class ConveyorError extends Error {}

/** The request names a job type the catalogue does not have. */
export class UnknownJobTypeError extends ConveyorError {
  override readonly name = "UnknownJobTypeError";
  constructor(
    readonly type: string,
    readonly known: readonly string[],
  ) {
    super(`type: unknown job type "${type}"; known types: ${known.join(", ")}`);
  }
}

/** The input or options of a submit broke the contract; nothing was written. */
export class InvalidRequestError extends ConveyorError {
  override readonly name = "InvalidRequestError";
  constructor(readonly issues: readonly FieldIssue[]) {
    super(issues.map((issue) => `${issue.path}: ${issue.message}`).join("; "));
  }
}

/** No run has this id (or the caller may not see it). */
export class RunNotFoundError extends ConveyorError {
  override readonly name = "RunNotFoundError";
  constructor(readonly runId: string) {
    super(`run ${runId} was not found`);
  }
}

/** The run exists but is not in a state the action applies to (e.g. cancelling a completed run). */
export class RunStateConflictError extends ConveyorError {
  override readonly name = "RunStateConflictError";
  constructor(
    readonly runId: string,
    readonly status: string,
    action: string,
    allowed: readonly string[],
  ) {
    super(`run ${runId} is ${status}: only ${allowed.join(", ")} runs can be ${action}`);
  }
}
