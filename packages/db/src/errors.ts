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

/** Why a presented API token was refused (missing, malformed, unknown, expired or revoked). */
export class TokenRejectedError extends ConveyorError {
  override readonly name = "TokenRejectedError";
}

/** The caller may not do this (e.g. a user calling an admin procedure). */
export class ForbiddenError extends ConveyorError {
  override readonly name = "ForbiddenError";
}

/** A limit of the caller's token was reached; nothing was written. */
export class LimitExceededError extends ConveyorError {
  override readonly name = "LimitExceededError";
  constructor(
    message: string,
    /** When trying again may succeed, in ms; null when waiting alone will not help. */
    readonly retryAfterMs: number | null,
  ) {
    super(message);
  }
}
