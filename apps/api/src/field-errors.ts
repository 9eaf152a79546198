import { getTRPCErrorFromUnknown, TRPCError } from "@trpc/server";
import {
  asDatabaseUnavailable,
  ConveyorError,
  DatabaseUnavailableError,
  ForbiddenError,
  InvalidRequestError,
  LimitExceededError,
  RunNotFoundError,
  TokenRejectedError,
  RunStateConflictError,
  UnknownJobTypeError,
  type FieldIssue,
} from "@conveyor/db";
import type { StandardIssue } from "./standard-schema";

/** Issues as users read them: "input.text: the document is empty". */
export function formatIssues(issues: readonly FieldIssue[]): string {
  return issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join("; ");
}

export function fromStandardIssues(issues: ReadonlyArray<StandardIssue>): FieldIssue[] {
  return issues.flatMap((issue) => {
    const path = (issue.path ?? []).map((segment) => String(typeof segment === "object" ? segment.key : segment));
    // zod reports a strict object's unknown keys in one issue on the object ('Unrecognized key: "x"'):
    // name each as a field, as the submit envelope does ("x: unknown field").
    const unknownKeys = unknownKeysOf(issue);
    if (unknownKeys) return unknownKeys.map((key) => ({ path: [...path, key].join("."), message: "unknown field" }));
    return [{ path: path.join("."), message: issue.message }];
  });
}

function unknownKeysOf(issue: StandardIssue): string[] | undefined {
  if (!("code" in issue) || issue.code !== "unrecognized_keys" || !("keys" in issue) || !Array.isArray(issue.keys)) return undefined;
  return issue.keys.map(String);
}

/**
 * A body (or `?input=`) that is not JSON, said without the parser's excerpt of
 * it: the excerpt could carry a secret, and the caller has the text anyway.
 */
function notJson(error: SyntaxError): FieldIssue {
  const position = /at position (\d+)/.exec(error.message)?.[1];
  return { path: "", message: `the request is not valid JSON (a mutation's body, a query's ?input=)${position ? `: error at position ${position}` : ""}` };
}

/** The field issues an error carries, if it is a validation error of ours or of a schema. */
export function issuesOf(error: unknown): FieldIssue[] | undefined {
  if (error instanceof InvalidRequestError) return [...error.issues];
  // tRPC reports a body it could not parse as BAD_REQUEST caused by JSON.parse's SyntaxError.
  if (error instanceof SyntaxError) return [notJson(error)];
  if (error instanceof UnknownJobTypeError) return [{ path: "type", message: error.message.replace(/^type: /, "") }];
  if (typeof error === "object" && error !== null && "issues" in error && Array.isArray(error.issues)) {
    return fromStandardIssues(error.issues.filter(isStandardIssue));
  }
  return undefined;
}

function isStandardIssue(value: unknown): value is StandardIssue {
  return typeof value === "object" && value !== null && "message" in value && typeof value.message === "string";
}

/** The tRPC error a data-layer error stands for. */
export function toTRPCError(error: ConveyorError): TRPCError {
  if (error instanceof RunNotFoundError) return new TRPCError({ code: "NOT_FOUND", message: error.message, cause: error });
  if (error instanceof RunStateConflictError) return new TRPCError({ code: "CONFLICT", message: error.message, cause: error });
  if (error instanceof TokenRejectedError) return new TRPCError({ code: "UNAUTHORIZED", message: error.message, cause: error });
  if (error instanceof ForbiddenError) return new TRPCError({ code: "FORBIDDEN", message: error.message, cause: error });
  if (error instanceof LimitExceededError) return new TRPCError({ code: "TOO_MANY_REQUESTS", message: error.message, cause: error });
  if (error instanceof DatabaseUnavailableError) return new TRPCError({ code: "SERVICE_UNAVAILABLE", message: error.message, cause: error });
  if (error instanceof InvalidRequestError || error instanceof UnknownJobTypeError) {
    return new TRPCError({ code: "BAD_REQUEST", message: formatIssues(issuesOf(error) ?? []), cause: error });
  }
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: error.message, cause: error });
}

/**
 * The tRPC error a failure is answered with: the data layer's errors by their
 * meaning (see toTRPCError), a lost connection to PostgreSQL as
 * SERVICE_UNAVAILABLE (retryable), anything else as tRPC makes it.
 */
export function answerFor(failure: unknown): TRPCError {
  const cause = failure instanceof TRPCError && failure.code === "INTERNAL_SERVER_ERROR" && failure.cause !== undefined ? failure.cause : failure;
  if (cause instanceof ConveyorError) return toTRPCError(cause);
  const unavailable = asDatabaseUnavailable(cause);
  if (unavailable) return toTRPCError(unavailable);
  return getTRPCErrorFromUnknown(failure);
}
