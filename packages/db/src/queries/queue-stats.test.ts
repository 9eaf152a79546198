import { describe, expect, it } from "vitest";
import { catalog } from "@conveyor/jobs";
import { createTestDatabase } from "../testing";
import { systemViewer } from "../access/viewer";
import { submit } from "./submit";
import { compactRunCounts } from "./run-counts";
import { pruneRuns } from "./prune-runs";
import { percentileOf, queueStats } from "./queue-stats";

const { db } = await createTestDatabase();
const sql = db.$client;

/** A run of `type` for `ownerId`, finished as `status` `minutesAgo` minutes ago after running `durationMs`. */
async function finishedRun(options: { type?: "document.analyze" | "webhook.deliver"; ownerId?: string; status: "completed" | "failed"; minutesAgo: number; durationMs: number }): Promise<string> {
  const input = options.type === "webhook.deliver" ? { url: "https://example.com/hook", payload: {} } : { text: "Hello." };
  const { id } = await submit(db, catalog, { type: options.type ?? "document.analyze", input, ownerId: options.ownerId ?? "alice" });
  // As the worker writes it: started, then finished in a later statement.
  await sql`update conveyor.runs set status = 'running', attempts = 1, started_at = now() where id = ${id}`;
  // Both times from one now(), so the duration is exactly the one asked for.
  await sql`update conveyor.runs set status = ${options.status}::conveyor.run_status,
              started_at = now() - ${`${options.minutesAgo * 60_000 + options.durationMs} milliseconds`}::interval,
              finished_at = now() - ${`${options.minutesAgo} minutes`}::interval where id = ${id}`;
  return id;
}

const statsOf = async (type: string, viewer = systemViewer) => (await queueStats(sql, viewer)).queues.find((entry) => entry.type === type);

describe("queues.stats from the per-minute rollups", () => {
  it("counts the last hour's finishes, failure rate and durations, the same before and after compaction", async () => {
    const durations = [10, 20, 30, 40, 50, 60, 70, 80, 90, 1_000];
    for (const [i, durationMs] of durations.entries()) await finishedRun({ status: "completed", minutesAgo: i % 3, durationMs });
    await finishedRun({ status: "failed", minutesAgo: 1, durationMs: 5 });
    await finishedRun({ status: "completed", minutesAgo: 90, durationMs: 5 }); // more than an hour ago

    const before = await statsOf("document.analyze");
    await compactRunCounts(sql);
    const after = await statsOf("document.analyze");
    expect(after).toEqual(before);
    expect(after).toMatchObject({ completedLastHour: 10, failedLastHour: 1, failureRate: 1 / 11 });
    expect(after?.counts).toMatchObject({ completed: 11, failed: 1 });
    expect(after?.durationMs?.average).toBe(Math.round(durations.reduce((sum, ms) => sum + ms, 0) / durations.length));
    // Nearest rank: the 5th (50) and the 10th (1,000) of ten, each within 5%.
    expect(Math.abs((after?.durationMs?.p50 ?? 0) - 50)).toBeLessThanOrEqual(2.5);
    expect(Math.abs((after?.durationMs?.p95 ?? 0) - 1_000)).toBeLessThanOrEqual(50);

    const { throughput } = await queueStats(sql, systemViewer);
    expect(throughput).toHaveLength(60);
    const last = throughput.slice(-3).map((minute) => minute.completed);
    expect(last.reduce((sum, n) => sum + n, 0)).toBe(10);
    expect(throughput.reduce((sum, minute) => sum + minute.failed, 0)).toBe(1);
  });

  it("takes a run out of its minute when it is retried or deleted", async () => {
    const retried = await finishedRun({ type: "webhook.deliver", status: "failed", minutesAgo: 2, durationMs: 5 });
    const deleted = await finishedRun({ type: "webhook.deliver", status: "completed", minutesAgo: 3, durationMs: 5 });
    await finishedRun({ type: "webhook.deliver", status: "completed", minutesAgo: 4, durationMs: 5 });
    await compactRunCounts(sql);
    expect(await statsOf("webhook.deliver")).toMatchObject({ completedLastHour: 2, failedLastHour: 1 });

    await sql`update conveyor.runs set status = 'queued', finished_at = null where id = ${retried}`;
    await sql`delete from conveyor.runs where id = ${deleted}`;
    expect(await statsOf("webhook.deliver")).toMatchObject({ completedLastHour: 1, failedLastHour: 0, failureRate: 0 });
    await compactRunCounts(sql);
    expect(await statsOf("webhook.deliver")).toMatchObject({ completedLastHour: 1, failedLastHour: 0 });
  });

  it("shows a user the figures of their own runs only", async () => {
    await finishedRun({ ownerId: "bob", status: "failed", minutesAgo: 0, durationMs: 5 });
    const bob = await queueStats(sql, { ownerId: "bob", role: "user" });
    expect(bob.queues).toEqual([expect.objectContaining({ type: "document.analyze", completedLastHour: 0, failedLastHour: 1, durationMs: null })]);
    expect(bob.throughput.reduce((sum, minute) => sum + minute.completed + minute.failed, 0)).toBe(1);
  });

  it("counts finished runs inserted as such (a copy of history), and the prune expires old minutes", async () => {
    await sql`
      insert into conveyor.runs (type, queue, status, input, attempts, max_attempts, timeout_ms, owner_id, started_at, finished_at)
      values ('copied.job', 'default', 'completed', '{}', 1, 1, 1000, 'carol', now() - interval '100 milliseconds', now()),
             ('copied.job', 'default', 'completed', '{}', 1, 1, 1000, 'carol', now() - interval '3 hours', now() - interval '3 hours')`;
    expect(await statsOf("copied.job")).toMatchObject({ completedLastHour: 1, counts: expect.objectContaining({ completed: 2 }) });
    await sql`insert into conveyor.run_minutes (minute, owner_id, queue, type, status, bucket, n, duration_ms)
              values (date_trunc('minute', now()) - interval '3 hours', 'carol', 'default', 'copied.job', 'completed', 0, 1, 0)`;
    await pruneRuns(sql, catalog);
    const [old] = await sql<{ n: number }[]>`select count(*)::int as n from conveyor.run_minutes where minute < now() - interval '2 hours'`;
    expect(old?.n).toBe(0);
  });
});

describe("percentileOf", () => {
  it("reads the nearest rank's bucket as its geometric middle", () => {
    const bucketOf = (ms: number) => Math.floor(Math.log(ms + 1) / Math.log(1.1));
    const histogram = [{ bucket: bucketOf(1_000), count: 1 }, { bucket: bucketOf(10), count: 9 }];
    expect(Math.abs(percentileOf(histogram, 0.5) - 10) / 10).toBeLessThanOrEqual(0.05);
    expect(Math.abs(percentileOf(histogram, 0.95) - 1_000) / 1_000).toBeLessThanOrEqual(0.05);
    expect(percentileOf([], 0.5)).toBe(0);
  });
});
