import { describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { catalog } from "@conveyor/jobs";
import { createTestDatabase } from "../testing";
import { systemViewer } from "../access/viewer";
import { enqueue } from "./enqueue";
import { submit } from "./submit";
import { submitMany } from "./submit-many";
import { InvalidRequestError, UnknownJobTypeError } from "../errors";
import { getRun } from "./read-runs";
import { readRunEvents } from "./read-events";

const { db } = await createTestDatabase();

async function counts() {
  const [row] = await db.execute<{ runs: number; jobs: number; events: number }>(sql`
    select (select count(*)::int from conveyor.runs) as runs,
           (select count(*)::int from graphile_worker.jobs) as jobs,
           (select count(*)::int from conveyor.run_events) as events`);
  return row;
}

describe("submit", () => {
  it("writes the run, its queued event and the graphile-worker job together", async () => {
    const before = await counts();
    const submitted = await submit(db, catalog, { type: "document.analyze", input: { text: "Hello world." } });
    expect(submitted).toMatchObject({ status: "queued", deduplicated: false });
    expect(await counts()).toEqual({ runs: before!.runs + 1, jobs: before!.jobs + 1, events: before!.events + 1 });

    const run = await getRun<typeof catalog>(db, systemViewer, submitted.id);
    expect(run).toMatchObject({
      type: "document.analyze",
      // lists show the contract's label, never the (possibly huge) input
      label: "Hello world.…",
      status: "queued",
      queue: "default",
      priority: "normal",
      attempts: 0,
      maxAttempts: 3,
      // zod's default is applied before the input is stored
      input: { text: "Hello world.", topKeywords: 10 },
    });
    const events = await readRunEvents(db, systemViewer, submitted.id, null);
    expect(events.map((event) => event.kind)).toEqual(["queued"]);
  });

  it("gives runs time-ordered ids (UUIDv7), so new runs and their events sit at the end of the indexes", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await submit(db, catalog, { type: "document.analyze", input: { text: `run ${i}` } })).id);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    // The first 48 bits are the submit's millisecond.
    expect(Math.abs(Number.parseInt(ids[0]!.replace("-", "").slice(0, 12), 16) - Date.now())).toBeLessThan(60_000);
  });

  it("rejects bad input naming the field, and writes nothing", async () => {
    const before = await counts();
    const attempt = submit(db, catalog, {
      type: "document.analyze",
      input: { text: "", topKeywords: 0 },
      options: { priority: "urgent" as "high" },
    });
    await expect(attempt).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(attempt).rejects.toThrow(/input\.text: the document is empty/);
    await expect(attempt).rejects.toThrow(/input\.topKeywords/);
    await expect(attempt).rejects.toThrow(/options\.priority/);
    expect(await counts()).toEqual(before);
  });

  it("rejects an unknown job type, listing the known ones", async () => {
    const attempt = submit(db, catalog, { type: "nope" as "document.analyze", input: { text: "x" } });
    await expect(attempt).rejects.toBeInstanceOf(UnknownJobTypeError);
    await expect(attempt).rejects.toThrow(/document\.analyze, webhook\.deliver/);
  });

  it("returns the existing run for a repeated idempotency key", async () => {
    const first = await submit(db, catalog, {
      type: "webhook.deliver",
      input: { url: "http://127.0.0.1:9/hook", payload: { a: 1 } },
      options: { idempotencyKey: "order-42" },
    });
    const second = await submit(db, catalog, {
      type: "webhook.deliver",
      input: { url: "http://127.0.0.1:9/hook", payload: { a: 1 } },
      options: { idempotencyKey: "order-42" },
    });
    expect(second).toEqual({ id: first.id, status: "queued", deduplicated: true });
  });
});

describe("enqueue inside the caller's transaction", () => {
  it("starts a new run for a key whose run finished longer than the window ago", async () => {
    const options = { idempotencyKey: "nightly-sync-2026-11-25" };
    const first = await submit(db, catalog, { type: "document.analyze", input: { text: "One." }, options });
    await db.execute(sql`update conveyor.runs set status = 'completed', finished_at = now() - interval '1 hour' where id = ${first.id}`);
    // Finished an hour ago: still within the window.
    expect(await submit(db, catalog, { type: "document.analyze", input: { text: "Two." }, options })).toMatchObject({ id: first.id, deduplicated: true });
    await db.execute(sql`update conveyor.runs set finished_at = now() - interval '25 hours' where id = ${first.id}`);
    const third = await submit(db, catalog, { type: "document.analyze", input: { text: "Three." }, options });
    expect(third).toMatchObject({ status: "queued", deduplicated: false });
    expect(third.id).not.toBe(first.id);
  });

  it("commits the run with the caller's data", async () => {
    const before = await counts();
    const id = await db.transaction(async (tx) => {
      const submitted = await enqueue(tx, catalog, { type: "document.analyze", input: { text: "Committed." } });
      return submitted.id;
    });
    expect((await getRun(db, systemViewer, id)).status).toBe("queued");
    expect(await counts()).toEqual({ runs: before!.runs + 1, jobs: before!.jobs + 1, events: before!.events + 1 });
  });

  it("leaves neither run nor job when the caller rolls back", async () => {
    const before = await counts();
    class CallerFailure extends Error {}
    let enqueuedId = "";
    await expect(
      db.transaction(async (tx) => {
        enqueuedId = (await enqueue(tx, catalog, { type: "document.analyze", input: { text: "Rolled back." } })).id;
        throw new CallerFailure("the caller's own write failed");
      }),
    ).rejects.toBeInstanceOf(CallerFailure);
    expect(enqueuedId).not.toBe("");
    expect(await counts()).toEqual(before);
    await expect(getRun(db, systemViewer, enqueuedId)).rejects.toThrow(/was not found/);
  });
});

describe("submitMany", () => {
  it("writes 10,000 runs, their events and jobs in one transaction", async () => {
    const before = await counts();
    const items = Array.from({ length: 10_000 }, (_, i) => ({ type: "document.analyze", input: { text: `Document ${i}.` } }));
    const submitted = await submitMany(db, catalog, items);
    expect(submitted).toHaveLength(10_000);
    expect(new Set(submitted.map((run) => run.id)).size).toBe(10_000);
    expect(submitted.every((run) => run.status === "queued" && !run.deduplicated)).toBe(true);
    expect(await counts()).toEqual({ runs: before!.runs + 10_000, jobs: before!.jobs + 10_000, events: before!.events + 10_000 });
  });

  it("refuses the whole batch when one item is invalid, naming its index and field", async () => {
    const before = await counts();
    const items = Array.from({ length: 5_000 }, (_, i) => ({ type: "document.analyze", input: { text: i === 4321 ? "" : "ok" } }));
    const attempt = submitMany(db, catalog, items);
    await expect(attempt).rejects.toThrow("items.4321.input.text: the document is empty");
    expect(await counts()).toEqual(before);
  });

  it("names an unknown job type by its index, and refuses an empty or oversized batch", async () => {
    await expect(submitMany(db, catalog, [{ type: "document.analyze", input: { text: "a" } }, { type: "nope", input: {} }])).rejects.toThrow(
      /^items\.1\.type: unknown job type "nope"/,
    );
    await expect(submitMany(db, catalog, [])).rejects.toThrow("items: must hold at least one run");
    const tooMany = Array.from({ length: 10_001 }, () => ({ type: "document.analyze", input: { text: "a" } }));
    await expect(submitMany(db, catalog, tooMany)).rejects.toThrow("items: must hold at most 10000 runs");
  });
});
