import { describe, expect, it } from "vitest";
import { catalog } from "@conveyor/jobs";
import { createTestDatabase } from "../testing";
import { submit } from "./submit";
import { getRun } from "./read-runs";
import { readRunEvents } from "./read-events";
import { systemViewer } from "../access/viewer";
import { claimRuns, completeRuns, loadRunsToStart } from "./run-transitions";

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
    // The first attempt's job once more: it outlived its attempt.
    expect(await claimRuns(sql, [{ runId: id, attempt: 1 }], claim)).toEqual([]);
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
