import { describe, expect, it } from "vitest";
import { catalog } from "@conveyor/jobs";
import { createTestDatabase } from "../testing";
import { submit } from "./submit";
import { getRun } from "./read-runs";
import { readRunEvents } from "./read-events";
import { systemViewer } from "../access/viewer";
import { completeRuns, loadRunsToStart, recordStarts } from "./run-transitions";

const { db } = await createTestDatabase();
const sql = db.$client;

async function queuedRun(): Promise<string> {
  const { id } = await submit(db, catalog, { type: "document.analyze", input: { text: "Hello world." } });
  return id;
}

const workerId = "test-worker";
const startOf = (id: string, attempt = 1, startedAt = new Date().toISOString()) => ({ id, attempt, workerId, startedAt });
const now = () => new Date().toISOString();

const kinds = async (id: string) => (await readRunEvents(db, systemViewer, id, null)).map((event) => event.kind);

describe("run transitions written in batches", () => {
  it("loads only runs that may still start, numbering the attempt", async () => {
    const waiting = await queuedRun();
    const done = await queuedRun();
    await completeRuns(sql, [{ id: done, attempt: 1, output: {}, finishedAt: now(), start: startOf(done) }]);
    const loaded = await loadRunsToStart(sql, [
      { runId: waiting, attempt: 1 },
      { runId: done, attempt: 1 },
    ]);
    expect(loaded).toEqual([expect.objectContaining({ id: waiting, attempts: 1, maxAttempts: 3 })]);
  });

  it("skips a job that outlived its attempt", async () => {
    const id = await queuedRun();
    expect(await loadRunsToStart(sql, [{ runId: id, attempt: 2 }])).toEqual([]);
  });

  it("records a start once, however often it is sent", async () => {
    const id = await queuedRun();
    const start = startOf(id);
    expect(await recordStarts(sql, [start])).toEqual(new Set([id]));
    expect(await recordStarts(sql, [start])).toEqual(new Set());
    expect(await kinds(id)).toEqual(["queued", "started"]);
    expect((await getRun(db, systemViewer, id)).status).toBe("running");
  });

  it("writes a short run's start with its result: one started event, before completed", async () => {
    const id = await queuedRun();
    const startedAt = new Date(Date.now() - 50).toISOString();
    const written = await completeRuns(sql, [{ id, attempt: 1, output: { ok: true }, finishedAt: now(), start: startOf(id, 1, startedAt) }]);
    expect(written).toEqual(new Set([id]));
    expect(await kinds(id)).toEqual(["queued", "started", "completed"]);
    const run = await getRun(db, systemViewer, id);
    expect(run).toMatchObject({ status: "completed", attempts: 1, output: { ok: true } });
    expect(run.startedAt?.toISOString()).toBe(startedAt);
  });

  it("does not repeat a start that was written meanwhile when the result carries it too", async () => {
    const id = await queuedRun();
    const start = startOf(id);
    await recordStarts(sql, [start]);
    await completeRuns(sql, [{ id, attempt: 1, output: {}, finishedAt: now(), start }]);
    expect(await kinds(id)).toEqual(["queued", "started", "completed"]);
  });

  it("discards a result for a run that is no longer running", async () => {
    const id = await queuedRun();
    await sql`update conveyor.runs set status = 'cancelled' where id = ${id}`;
    const written = await completeRuns(sql, [{ id, attempt: 1, output: {}, finishedAt: now(), start: startOf(id) }]);
    expect(written).toEqual(new Set());
    expect((await getRun(db, systemViewer, id)).status).toBe("cancelled");
  });

  it("discards the late result of an attempt that was taken over", async () => {
    const id = await queuedRun();
    await recordStarts(sql, [startOf(id, 1)]);
    await recordStarts(sql, [startOf(id, 2)]);
    expect(await completeRuns(sql, [{ id, attempt: 1, output: { stale: true }, finishedAt: now() }])).toEqual(new Set());
    expect(await completeRuns(sql, [{ id, attempt: 2, output: { fresh: true }, finishedAt: now() }])).toEqual(new Set([id]));
    expect((await getRun(db, systemViewer, id)).output).toEqual({ fresh: true });
  });
});
