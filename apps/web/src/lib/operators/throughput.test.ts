import { describe, expect, it } from "vitest";
import { describeThroughput, summariseThroughput } from "./throughput";

const minute = (index: number, completed: number, failed: number) => ({
  minute: new Date(Date.UTC(2030, 0, 1, 12, index)).toISOString(),
  completed,
  failed,
});

describe("summariseThroughput", () => {
  it("totals the hour and finds the busiest minute", () => {
    const summary = summariseThroughput([minute(0, 1, 0), minute(1, 3, 2), minute(2, 0, 0), minute(3, 4, 0)]);
    expect(summary).toEqual({ completed: 8, failed: 2, scaleMax: 5, peak: { minute: minute(1, 0, 0).minute, total: 5 } });
    expect(describeThroughput(summary, (iso) => iso.slice(11, 16))).toBe(
      "In the last hour, 8 runs completed and 2 runs failed. Busiest minute: 12:01, with 5 runs finished.",
    );
  });

  it("says so when nothing finished, and still has a scale", () => {
    const summary = summariseThroughput([minute(0, 0, 0)]);
    expect(summary.scaleMax).toBe(1);
    expect(describeThroughput(summary, String)).toBe("No run finished in the last hour.");
  });
});
