import { describe, expect, inject, it } from "vitest";
import { runBench, toMarkdown } from "./run-bench";
import { soak, soakRows } from "./scenarios/soak";
import "@conveyor/db/testing";

describe("pnpm bench --smoke", () => {
  it("runs every scenario end to end and reports finite figures, each target with its verdict", { timeout: 180_000 }, async () => {
    const report = await runBench({
      serverUrl: inject("adminDatabaseUrl"),
      redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      smoke: true,
    });
    const scenarios = report.rows.map((row) => row.scenario);
    for (const prefix of [
      "enqueue:",
      "submit: jobs.submit over HTTP",
      "submit: graphile-worker addJob behind node:http",
      "processing: raw graphile-worker",
      "processing: Conveyor",
      "memory:",
      "latency: single-submit capacity",
      "latency (one at a time, idle): submit → handler start",
      "latency (200 runs/s): submit → started event",
      "latency (half capacity",
      "latency reference, graphile-worker over HTTP (200 runs/s): submit → task start",
      "latency: raw graphile-worker",
      "progress:",
      "fan-out websocket:",
      "fan-out sse:",
      "rtt +1 ms each way: processing Conveyor",
      "rtt +1 ms each way: submit:",
      "statements per processed run",
      "round trips per single submit",
      "growth: jobs.list",
      "growth: queues.stats",
      "growth: processing while the prune runs",
    ]) {
      expect(scenarios.some((scenario) => scenario.startsWith(prefix)), prefix).toBe(true);
    }
    for (const row of report.rows) {
      // CPU can round to 0 in a run this short; everything else must be positive.
      const least = row.unit === "% of a core" ? 0 : Number.MIN_VALUE;
      expect(Number.isFinite(row.figure) && row.figure >= least, `${row.scenario}: ${row.figure}`).toBe(true);
      // A target always comes with its verdict from this run, and only then.
      expect(typeof row.met === "boolean", `${row.scenario}: met`).toBe(row.target !== undefined);
    }
    expect(toMarkdown(report)).toContain("| processing: Conveyor tracked runs, the worker's defaults (no settings: c50, localQueue 100) |");
  });
});

describe("pnpm bench --soak --smoke", () => {
  it("soaks the stack for half a minute at half its capacity with no error, reporting each target's verdict", { timeout: 180_000 }, async () => {
    const minutes = 0.5;
    const result = await soak(inject("adminDatabaseUrl"), { minutes, subscribers: 20, clients: 20, log: () => {} });
    const rows = soakRows(result, minutes);
    expect(result.errors).toEqual({ submits: 0, subscriptions: 0, firstFew: [] });
    expect(result.completed).toBeGreaterThan(0);
    expect(result.subscriptionsOpened).toBeGreaterThan(0);
    expect(result.samples.length).toBeGreaterThanOrEqual(2);
    for (const row of rows) expect(Number.isFinite(row.figure), row.scenario).toBe(true);
    expect(rows.find((row) => row.scenario.startsWith("soak: errors"))?.met).toBe(true);
  });
});
