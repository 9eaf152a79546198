import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { getRun, readRunEvents, submit, systemViewer } from "@conveyor/db";
import { createTestDatabase, waitFor } from "@conveyor/db/testing";
import { defineCatalog, defineHandlers, defineJob } from "@conveyor/jobs";
import { maxLogLinesPerAttempt } from "./execute-run";
import { startWorker, type ConveyorWorker } from "./worker";

const chatty = defineJob({
  name: "test.chatty",
  description: "Logs a given number of lines, reporting progress in between",
  input: z.object({ lines: z.number().int().min(0) }),
  output: z.object({}),
  progress: z.object({}),
});
const catalog = defineCatalog([chatty]);
const handlers = defineHandlers(catalog, {
  "test.chatty": async (input, ctx) => {
    for (let line = 1; line <= input.lines; line++) {
      ctx.log(`line ${line}`, { line });
      if (line === 2) ctx.progress(50, "halfway");
    }
    return {};
  },
});

const { db, url } = await createTestDatabase();
let worker: ConveyorWorker;

beforeAll(async () => {
  worker = await startWorker({ databaseUrl: url, catalog, handlers, pollIntervalMs: 200, quiet: true });
});
afterAll(() => worker.stop());

async function finishedEvents(id: string) {
  await waitFor("the run to complete", async () => ((await getRun(db, systemViewer, id)).status === "completed" ? true : undefined));
  return readRunEvents(db, systemViewer, id, null);
}

describe("ctx.log lines", () => {
  it("are kept in the run's history as log events, in order, before its completion", async () => {
    const { id } = await submit(db, catalog, { type: "test.chatty", input: { lines: 3 } });
    const events = await finishedEvents(id);
    const logs = events.filter((event) => event.kind === "log");
    expect(logs.map((event) => event.data)).toEqual([1, 2, 3].map((line) => ({ attempt: 1, level: "info", message: `line ${line}`, fields: { line } })));
    // The run's start comes first, and its progress is kept (the start is written before either).
    expect(events.map((event) => event.kind).slice(0, 2)).toEqual(["queued", "started"]);
    expect(events.filter((event) => event.kind === "progress").map((event) => event.data)).toEqual([{ percent: 50, message: "halfway", data: null }]);
    const completedAt = events.findIndex((event) => event.kind === "completed");
    expect(events.findIndex((event) => event.kind === "log" && event.data?.message === "line 3")).toBeLessThan(completedAt);
  });

  it(`keep at most ${maxLogLinesPerAttempt} lines per attempt, then say that the rest were dropped`, async () => {
    const { id } = await submit(db, catalog, { type: "test.chatty", input: { lines: maxLogLinesPerAttempt + 100 } });
    const logs = (await finishedEvents(id)).filter((event) => event.kind === "log");
    expect(logs).toHaveLength(maxLogLinesPerAttempt + 1);
    expect(logs.at(-2)?.data?.message).toBe(`line ${maxLogLinesPerAttempt}`);
    expect(logs.at(-1)?.data).toMatchObject({ level: "warn", message: `further lines of attempt 1 are not kept (${maxLogLinesPerAttempt} at most)` });
  });
});
