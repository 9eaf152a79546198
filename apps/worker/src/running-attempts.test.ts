import { describe, expect, it } from "vitest";
import { AttemptAbort, RunCancelledError, RunningAttempts } from "./running-attempts";

describe("AttemptAbort", () => {
  it("settles a race with the handler's result while nothing aborts", async () => {
    const attempt = new AttemptAbort();
    await expect(attempt.race(Promise.resolve("done"))).resolves.toBe("done");
  });

  it("rejects the race with the reason at once, though the handler never settles", async () => {
    const attempt = new AttemptAbort();
    const race = attempt.race(new Promise<never>(() => {}));
    attempt.abort(new RunCancelledError());
    await expect(race).rejects.toBeInstanceOf(RunCancelledError);
  });

  it("hands out a signal that is already aborted, with the reason, when first read after the abort", () => {
    const attempt = new AttemptAbort();
    const reason = new Error("timed out");
    attempt.abort(reason);
    expect(attempt.signal.aborted).toBe(true);
    expect(attempt.signal.reason).toBe(reason);
  });

  it("aborts a signal read before the abort, once, with the first reason", () => {
    const attempt = new AttemptAbort();
    const { signal } = attempt;
    const first = new Error("first");
    attempt.abort(first);
    attempt.abort(new Error("second"));
    expect(signal.reason).toBe(first);
  });

  it("is aborted through the registry by a cancel and by a stop signal", async () => {
    const running = new RunningAttempts();
    const stop = new AbortController();
    const cancelled = new AttemptAbort();
    const stopped = new AttemptAbort();
    running.add("run-1", cancelled, [stop.signal]);
    running.add("run-2", stopped, [stop.signal]);
    const cancelledRace = cancelled.race(new Promise<never>(() => {}));
    running.cancel("run-1");
    await expect(cancelledRace).rejects.toBeInstanceOf(RunCancelledError);
    stop.abort(new Error("worker stopping"));
    expect(stopped.signal.reason).toEqual(new Error("worker stopping"));
  });
});
