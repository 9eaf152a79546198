import { describe, expect, inject, it } from "vitest";
import { runBench, toMarkdown } from "./run-bench";
import "@conveyor/db/testing";

describe("pnpm bench --smoke", () => {
  it("runs every scenario end to end and reports finite figures", { timeout: 180_000 }, async () => {
    const report = await runBench({
      serverUrl: inject("adminDatabaseUrl"),
      redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      smoke: true,
    });
    const scenarios = report.rows.map((row) => row.scenario);
    for (const prefix of ["enqueue:", "processing: raw graphile-worker", "processing: Conveyor", "memory:", "latency:", "progress:", "fan-out websocket:", "fan-out sse:"]) {
      expect(scenarios.some((scenario) => scenario.startsWith(prefix)), prefix).toBe(true);
    }
    for (const row of report.rows) {
      // CPU can round to 0 in a run this short; everything else must be positive.
      const least = row.unit === "% of a core" ? 0 : Number.MIN_VALUE;
      expect(Number.isFinite(row.figure) && row.figure >= least, `${row.scenario}: ${row.figure}`).toBe(true);
    }
    expect(toMarkdown(report)).toContain("| processing: Conveyor tracked runs c10 |");
  });
});
