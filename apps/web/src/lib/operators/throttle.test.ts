import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { throttle } from "./throttle";

describe("throttle", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("runs the first call at once, merges the calls of each pause into one at its end, and stops when they stop", () => {
    const fn = vi.fn();
    const throttled = throttle(fn, 2000);
    throttled();
    expect(fn).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 100; i++) throttled();
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(2000);
    expect(fn).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(2000);
    expect(fn).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(10_000);
    throttled();
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it("drops a pending call when cancelled", () => {
    const fn = vi.fn();
    const throttled = throttle(fn, 2000);
    throttled();
    throttled();
    throttled.cancel();
    vi.advanceTimersByTime(5000);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
