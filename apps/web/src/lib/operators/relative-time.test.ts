import { describe, expect, it } from "vitest";
import { formatAgo, formatIn } from "./relative-time";
import { formatDuration, formatRate, plural } from "./format-stats";

describe("formatAgo and formatIn", () => {
  it("read elapsed time", () => {
    expect(formatAgo(-500)).toBe("just now");
    expect(formatAgo(999)).toBe("just now");
    expect(formatAgo(3_400)).toBe("3 s ago");
    expect(formatAgo(4 * 60_000 + 59_000)).toBe("4 min ago");
    expect(formatAgo(2 * 3_600_000)).toBe("2 h ago");
    expect(formatAgo(3 * 86_400_000)).toBe("3 d ago");
  });

  it("read time to come", () => {
    expect(formatIn(-1)).toBe("due now");
    expect(formatIn(40_500)).toBe("in 40 s");
    expect(formatIn(12 * 60_000 + 30_000)).toBe("in 12 min");
    expect(formatIn(125 * 60_000)).toBe("in 2 h 5 min");
    expect(formatIn(3 * 3_600_000)).toBe("in 3 h");
    expect(formatIn(72 * 3_600_000)).toBe("in 3 d");
  });
});

describe("stat formats", () => {
  it("read durations, rates and counts", () => {
    expect(formatDuration(340.4)).toBe("340 ms");
    expect(formatDuration(1_234)).toBe("1.2 s");
    expect(formatDuration(42_400)).toBe("42 s");
    expect(formatDuration(125_000)).toBe("2 min 5 s");
    expect(formatDuration(3_780_000)).toBe("1 h 3 min");
    expect(formatRate(null)).toBe("—");
    expect(formatRate(0)).toBe("0%");
    expect(formatRate(0.125)).toBe("12.5%");
    expect(formatRate(1 / 3)).toBe("33.3%");
    expect(plural(1, "run")).toBe("1 run");
    expect(plural(1200, "run")).toBe("1,200 runs");
  });
});
