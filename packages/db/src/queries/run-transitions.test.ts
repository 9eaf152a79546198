import { describe, expect, it } from "vitest";
import { catalog } from "@conveyor/jobs";
import { createTestDatabase } from "../testing";
import { submit } from "./submit";
import { getRun } from "./read-runs";
import { readRunEvents } from "./read-events";
import { systemViewer } from "../access/viewer";
import { claimRuns, completeRuns, loadRunsToStart } from "./run-transitions";
import { unrecordedStartLostError } from "./reap-lost-workers";

const { db } = await createTestDatabase();
const sql = db.$client;

async function queuedRun(): Promise<string> {
  const { id } = await submit(db, catalog, { type: "document.analyze", input: { text: "Hello world." } });
  return id;
}

const now = () => new Date().toISOString();
const claim = { workerId: "test-worker", startedAt: now() };

const kinds = async (id: string) => (await readRunEvents(db, systemViewer, id, null)).map((event) => event.kind);

describe("run transitions written in batches", () => {
  it("claims only runs that may still start, numbering the attempt, with one started event each", async () => {
    const waiting = await queuedRun();
    const done = await queuedRun();
    await claimRuns(sql, [{ runId: done, attempt: 1 }], claim);
    await completeRuns(sql, [{ id: done, attempt: 1, output: {}, finishedAt: now() }]);
    const claimed = await claimRuns(sql, [
      { runId: waiting, attempt: 1 },
      { runId: done, attempt: 1 },
    ], claim);
    expect(claimed).toEqual([expect.objectContaining({ id: waiting, attempts: 1, maxAttempts: 3 })]);
    expect(await kinds(waiting)).toEqual(["queued", "started"]);
    expect(await getRun(db, systemViewer, waiting)).toMatchObject({ status: "running", attempts: 1 });
  });

  it("reads without starting: a peeked run is still queued", async () => {
    const id = await queuedRun();
    expect(await loadRunsToStart(sql, [{ runId: id, attempt: 1 }])).toEqual([expect.objectContaining({ id, attempts: 1 })]);
    expect((await getRun(db, systemViewer, id)).status).toBe("queued");
  });

  it("skips a job that outlived its attempt", async () => {
    const id = await queuedRun();
    expect(await claimRuns(sql, [{ runId: id, attempt: 2 }], claim)).toEqual([]);
    expect(await loadRunsToStart(sql, [{ runId: id, attempt: 2 }])).toEqual([]);
  });

  it("counts a lost attempt when its job comes back, and no other", async () => {
    const id = await queuedRun();
    await claimRuns(sql, [{ runId: id, attempt: 1 }], claim);
    // The same job again (its worker was lost): the next attempt begins, the lost one given back.
    expect(await claimRuns(sql, [{ runId: id, attempt: 1 }], claim)).toEqual([expect.objectContaining({ id, attempts: 2, maxAttempts: 4 })]);
    expect(await getRun(db, systemViewer, id)).toMatchObject({ lostAttempts: 1 });
    expect(await kinds(id)).toEqual(["queued", "started", "retrying", "started"]);
    // The first attempt's job once more: it outlived its attempt.
    expect(await claimRuns(sql, [{ runId: id, attempt: 1 }], claim)).toEqual([]);
  });

  it("counts the attempt of a job that came back to a run whose start was never written", async () => {
    // A worker read the run, began its handler and was lost before its state writer recorded the start.
    const id = await queuedRun();
    expect(await claimRuns(sql, [{ runId: id, attempt: 1, redelivered: true }], claim)).toEqual([
      expect.objectContaining({ id, attempts: 2, maxAttempts: 4 }),
    ]);
    // Named as lost with a new number, yet not charged to the lost-attempt budget: it may never have begun.
    expect(await getRun(db, systemViewer, id)).toMatchObject({ status: "running", attempts: 2, lostAttempts: 0, error: unrecordedStartLostError });
    const events = await readRunEvents(db, systemViewer, id, null);
    expect(events.map((event) => [event.kind, event.data])).toEqual([
      ["queued", null],
      ["retrying", expect.objectContaining({ attempt: 1, error: unrecordedStartLostError, lostAttempts: 0 })],
      ["started", expect.objectContaining({ attempt: 2, workerId: claim.workerId })],
    ]);
    // The handler that may have run reports attempt 1: its outcome is discarded.
    expect(await completeRuns(sql, [{ id, attempt: 1, output: { lost: true }, finishedAt: now() }])).toEqual(new Set());
  });

  it("completes a running run: started before completed, timed on the worker's clock", async () => {
    const id = await queuedRun();
    const startedAt = new Date(Date.now() - 50).toISOString();
    await claimRuns(sql, [{ runId: id, attempt: 1 }], { workerId: "test-worker", startedAt });
    const written = await completeRuns(sql, [{ id, attempt: 1, output: { ok: true }, finishedAt: now() }]);
    expect(written).toEqual(new Set([id]));
    expect(await kinds(id)).toEqual(["queued", "started", "completed"]);
    const run = await getRun(db, systemViewer, id);
    expect(run).toMatchObject({ status: "completed", attempts: 1, output: { ok: true } });
    expect(run.startedAt?.toISOString()).toBe(startedAt);
  });

  it("discards a result for a run that is no longer running", async () => {
    const id = await queuedRun();
    await claimRuns(sql, [{ runId: id, attempt: 1 }], claim);
    await sql`update conveyor.runs set status = 'cancelled' where id = ${id}`;
    const written = await completeRuns(sql, [{ id, attempt: 1, output: {}, finishedAt: now() }]);
    expect(written).toEqual(new Set());
    expect((await getRun(db, systemViewer, id)).status).toBe("cancelled");
  });

  it("discards the late result of an attempt that was taken over", async () => {
    const id = await queuedRun();
    await claimRuns(sql, [{ runId: id, attempt: 1 }], claim);
    await claimRuns(sql, [{ runId: id, attempt: 1 }], claim);
    expect(await completeRuns(sql, [{ id, attempt: 1, output: { stale: true }, finishedAt: now() }])).toEqual(new Set());
    expect(await completeRuns(sql, [{ id, attempt: 2, output: { fresh: true }, finishedAt: now() }])).toEqual(new Set([id]));
    expect((await getRun(db, systemViewer, id)).output).toEqual({ fresh: true });
  });
});
