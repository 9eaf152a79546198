import { describe, expect, it } from "vitest";
import { TRPCClientError } from "@trpc/client";
import { priorities as apiPriorities } from "@conveyor/jobs";
import { buildOptions, emptyOptions, priorities } from "./submit-options";
import { readSubmitFailure } from "./submit-error";

describe("buildOptions", () => {
  it("offers the priorities the API accepts, lowest first", () => {
    expect(priorities).toEqual(apiPriorities);
  });

  it("sends nothing when nothing is set", () => {
    expect(buildOptions(emptyOptions)).toEqual({ ok: true, options: undefined });
  });

  it("sends what is set, run-at as an instant with the local offset", () => {
    const built = buildOptions({ priority: "high", runAt: "2030-01-01T09:00", idempotencyKey: "order-42", maxAttempts: "2", timeoutMs: "" });
    expect(built.ok).toBe(true);
    if (!built.ok) return;
    expect(built.options).toMatchObject({ priority: "high", idempotencyKey: "order-42", maxAttempts: 2 });
    expect(new Date(built.options?.runAt ?? "").getTime()).toBe(new Date("2030-01-01T09:00").getTime());
  });

  it("names a run-at that is not a date and time", () => {
    expect(buildOptions({ ...emptyOptions, runAt: "soon" })).toEqual({ ok: false, issues: [{ path: "options.runAt", message: "enter a date and a time" }] });
  });
});

describe("readSubmitFailure", () => {
  const clientError = (message: string, data: Record<string, unknown>) =>
    TRPCClientError.from({ error: { message, code: -32600, data } });

  it("reads the field issues of a BAD_REQUEST", () => {
    const error = clientError("input.text: the document is empty", {
      code: "BAD_REQUEST",
      httpStatus: 400,
      issues: [{ path: "input.text", message: "the document is empty" }],
      retryAfterSeconds: null,
    });
    expect(readSubmitFailure(error)).toEqual({ kind: "invalid", issues: [{ path: "input.text", message: "the document is empty" }] });
  });

  it("reads the wait of a TOO_MANY_REQUESTS, and passes anything else on as its message", () => {
    const limited = clientError("submission rate limit reached", { code: "TOO_MANY_REQUESTS", issues: null, retryAfterSeconds: 3 });
    expect(readSubmitFailure(limited)).toEqual({ kind: "rate-limited", message: "submission rate limit reached", retryAfterSeconds: 3 });
    expect(readSubmitFailure(clientError("boom", { code: "INTERNAL_SERVER_ERROR" }))).toEqual({ kind: "other", message: "boom" });
    expect(readSubmitFailure(new TypeError("Failed to fetch"))).toEqual({ kind: "other", message: "Failed to fetch" });
  });
});
