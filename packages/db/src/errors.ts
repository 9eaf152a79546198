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

/**
 * PostgreSQL cannot be reached (refused, reset, shutting down, starting up,
 * out of connections): nothing can be read or written until it is back, and
 * the same request may succeed a few seconds later.
 */
export class DatabaseUnavailableError extends ConveyorError {
  override readonly name = "DatabaseUnavailableError";
  /** When to try again: PostgreSQL restarts take seconds, and the pools reconnect on their own. */
  readonly retryAfterMs = 2_000;
  constructor(readonly reason: string) {
    super(`database unavailable (${reason}): retry in a few seconds; a submit with an idempotency key is safe to repeat`);
  }
}

/** Error codes of the drivers and of the OS that mean the connection to PostgreSQL is gone or cannot be made. */
const connectionErrorCodes = new Set([
  // postgres.js
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  // the OS, through node's sockets and DNS
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  // PostgreSQL: admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);

/**
 * The `DatabaseUnavailableError` an error stands for, when it (or its cause)
 * is a lost or refused connection to PostgreSQL; null for every other error.
 */
export function asDatabaseUnavailable(error: unknown, depth = 0): DatabaseUnavailableError | null {
  if (error instanceof DatabaseUnavailableError) return error;
  if (typeof error !== "object" || error === null || depth > 5) return null;
  const code = "code" in error && typeof error.code === "string" ? error.code : undefined;
  // SQLSTATE class 08: connection exceptions.
  if (code && (connectionErrorCodes.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return new DatabaseUnavailableError(code);
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const found = asDatabaseUnavailable(inner, depth + 1);
      if (found) return found;
    }
  }
  return "cause" in error ? asDatabaseUnavailable(error.cause, depth + 1) : null;
}
