import { describe, expect, it } from "vitest";
import { z } from "zod";
import { catalog, defineCatalog, defineJob } from "@conveyor/jobs";
import { createTestDatabase } from "../testing";
import { submit } from "./submit";
import { pruneRuns } from "./prune-runs";

const { db } = await createTestDatabase();
const sql = db.$client;

/** A document.analyze run in `status`, finished `daysAgo` days ago (created then too). */
async function runFinished(status: string, daysAgo: number | null): Promise<string> {
  const { id } = await submit(db, catalog, { type: "document.analyze", input: { text: "Hello." } });
  await sql`
    update conveyor.runs
       set status = ${status}::conveyor.run_status,
           created_at = now() - ${`${daysAgo ?? 0} days`}::interval,
           finished_at = ${daysAgo === null ? null : sql`now() - ${`${daysAgo} days`}::interval`}
     where id = ${id}`;
  return id;
}

const exists = async (id: string) => (await sql`select 1 from conveyor.runs where id = ${id}`).length === 1;
const eventCount = async (id: string) => (await sql`select 1 from conveyor.run_events where run_id = ${id}`).length;

describe("retention", () => {
  it("deletes finished runs and their events past their outcome's period, and nothing unfinished", async () => {
    const oldCompleted = await runFinished("completed", 8);
    const recentCompleted = await runFinished("completed", 6);
    const failedAWhileAgo = await runFinished("failed", 8); // failed runs are kept 30 days
    const oldFailed = await runFinished("failed", 31);
    const oldCancelled = await runFinished("cancelled", 8);
    const ancientButQueued = await runFinished("queued", null);
    await sql`update conveyor.runs set created_at = now() - interval '400 days' where id = ${ancientButQueued}`;

    const { deleted } = await pruneRuns(sql, catalog);
    expect(deleted["document.analyze"]).toBe(3);
    expect(await exists(oldCompleted)).toBe(false);
    expect(await eventCount(oldCompleted)).toBe(0);
    expect(await exists(oldFailed)).toBe(false);
    expect(await exists(oldCancelled)).toBe(false);
    for (const kept of [recentCompleted, failedAWhileAgo, ancientButQueued]) expect(await exists(kept)).toBe(true);
  });
});

describe("retention by count", () => {
  it("keeps only the newest finished runs of a type that sets keepAtMost, and every unfinished one", async () => {
    const capped = defineCatalog([
      defineJob({
        name: "document.analyze",
        description: "The same type with a cap on finished runs",
        input: z.object({ text: z.string() }),
        output: z.object({}),
        progress: z.object({}),
        defaults: { retention: { keepAtMost: 2 } },
      }),
    ]);
    await sql`delete from conveyor.runs`;
    const finished = [];
    for (const minutesAgo of [40, 30, 20, 10]) {
      const id = await runFinished("completed", 0);
      await sql`update conveyor.runs set finished_at = now() - ${`${minutesAgo} minutes`}::interval where id = ${id}`;
      finished.push(id);
    }
    const waiting = await runFinished("queued", null);
    const { deleted } = await pruneRuns(sql, capped);
    expect(deleted["document.analyze"]).toBe(2);
    expect(await Promise.all(finished.map(exists))).toEqual([false, false, true, true]);
    expect(await exists(waiting)).toBe(true);
  });
});
