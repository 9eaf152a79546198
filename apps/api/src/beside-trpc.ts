import { TRPCError } from "@trpc/server";
import { DatabaseUnavailableError, LimitExceededError } from "@conveyor/db";

/**
 * What the transports answered beside tRPC's handler share with it
 * (procedure-calls.ts, event-stream.ts, event-sockets.ts and server.ts).
 */

/** Where a transport reports a call that failed (server.ts logs the ones worth logging, never the input). */
export type ReportError = (report: { error: TRPCError; path?: string | undefined }) => void;

/**
 * The headers an answer carries for its errors: `Retry-After` when a limit
 * refused a call, so plain HTTP clients know when to try again. tRPC's
 * handler sets them through `responseMeta`, procedure-calls.ts directly.
 */
export function retryAfterHeaders(errors: readonly TRPCError[]): Record<string, string> {
  const retryAfterMs = errors.map(retryAfterMsOf).find((ms) => ms != null);
  return retryAfterMs != null ? { "retry-after": String(Math.ceil(retryAfterMs / 1000)) } : {};
}

/** When a refused call may succeed if tried again (a limit's window, PostgreSQL coming back); null when waiting will not help. */
export function retryAfterMsOf(error: TRPCError): number | null {
  if (error.cause instanceof LimitExceededError || error.cause instanceof DatabaseUnavailableError) return error.cause.retryAfterMs;
  return null;
}

/** A JSON object (not an array, not null): a batch's inputs, a call's input, a procedure's definition. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * JSON text of a call's input (a body, an `?input=`) read as tRPC's handler
 * reads it: text that is not JSON is BAD_REQUEST, caused by the parser's
 * error (field-errors.ts turns that into a message that does not quote it).
 */
export function parseJsonInput(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new TRPCError({ code: "BAD_REQUEST", message: cause instanceof Error ? cause.message : "Invalid input", cause });
  }
}

/** A query's or a subscription's `?input=`: none when absent or empty. */
export function queryInput(search: URLSearchParams): unknown {
  const text = search.get("input");
  return text ? parseJsonInput(text) : undefined;
}
