import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  cancelRun,
  countLiveWorkers,
  getRun,
  readRunEvents,
  retryFailedRuns,
  retryRun,
  submit,
  systemViewer,
  type RunEvent,
} from "@conveyor/db";
import { createTestDatabase, waitFor } from "@conveyor/db/testing";
import { defineCatalog, defineHandlers, defineJob, PermanentJobError } from "@conveyor/jobs";
import { startWorker, type ConveyorWorker } from "./worker";

const steps = defineJob({
  name: "test.steps",
  description: "Reports progress in a loop, then returns the sum",
  input: z.object({
    steps: z.number().int().min(1),
    failUntilAttempt: z.number().int().default(0),
    permanent: z.boolean().default(false),
    badOutput: z.boolean().default(false),
    waitForAbort: z.boolean().default(false),
    gate: z.string().optional(),
    holdMs: z.number().int().default(0),
  }),
  output: z.object({ sum: z.number().int() }),
  progress: z.object({ step: z.number().int() }),
  defaults: { maxAttempts: 1, backoff: { type: "fixed", delayMs: 200 } },
});
/** Fails until the given attempt, waiting longer each time: 150 ms, 450 ms. */
const flaky = defineJob({
  name: "test.flaky",
  description: "Fails until an attempt, with exponential backoff",
  input: z.object({ failUntilAttempt: z.number().int() }),
  output: z.object({ attempt: z.number().int() }),
  progress: z.object({}),
  defaults: { maxAttempts: 3, backoff: { type: "exponential", delayMs: 150, factor: 3 } },
});
/** Fires every minute; one schedule backfills the slots missed while no worker ran, one does not. */
const tick = defineJob({
  name: "test.tick",
  description: "A scheduled no-op",
  input: z.object({ source: z.string() }),
  output: z.object({}),
  progress: z.object({}),
  schedules: [
    { name: "tick-backfilled", cron: "* * * * *", input: { source: "backfilled" }, backfillMs: 10 * 60_000 },
    { name: "tick-live-only", cron: "* * * * *", input: { source: "live" } },
  ],
});
/** Calls a (pretend) host: at most 2 per second per host. */
const limited = defineJob({
  name: "test.limited",
  description: "Rate limited per host",
  input: z.object({ host: z.string() }),
  output: z.object({}),
  progress: z.object({}),
  rateLimit: { max: 2, perMs: 1_000, key: (input) => input.host },
});
/** A flow: starts one `test.steps` child per entry (holding it that long, or gating it), waits, sums. */
const parent = defineJob({
  name: "test.parent",
  description: "Starts child runs and waits for them",
  input: z.object({ holds: z.array(z.number().int()).default([]), gates: z.array(z.string()).default([]) }),
  output: z.object({ sum: z.number().int(), statuses: z.array(z.string()) }),
  progress: z.object({}),
});
/** Waits in a queue that runs two at a time. */
const paired = defineJob({
  name: "test.paired",
  description: "Holds a while in a queue of concurrency 2",
  input: z.object({ holdMs: z.number().int() }),
  output: z.object({}),
  progress: z.object({}),
  defaults: { queue: "pair", queueConcurrency: 2 },
});
const catalog = defineCatalog([steps, flaky, tick, limited, parent, paired]);

/** Runs that wait until the test opens their gate (to stop the worker mid-run). */
const gates = new Map<string, () => void>();
/** Why each run's signal aborted, as its handler saw it. */
const abortReasons = new Map<string, unknown>();
const handlers = defineHandlers(catalog, {
  "test.steps": async (input, ctx) => {
    ctx.signal.addEventListener("abort", () => abortReasons.set(ctx.runId, ctx.signal.reason), { once: true });
    if (input.gate) await new Promise<void>((resolve) => gates.set(input.gate ?? "", resolve));
    if (input.holdMs > 0) await new Promise((resolve) => setTimeout(resolve, input.holdMs));
    if (input.waitForAbort) {
      await new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)));
    }
    if (ctx.attempt <= input.failUntilAttempt) {
      throw input.permanent ? new PermanentJobError("will never work") : new Error(`flaky on attempt ${ctx.attempt}`);
    }
    let sum = 0;
    for (let step = 1; step <= input.steps; step++) {
      sum += step;
      ctx.progress((step / input.steps) * 100, `step ${step}`, { step });
    }
    if (input.badOutput) return { sum: -0.5 };
    return { sum };
  },
  "test.tick": async () => ({}),
  "test.limited": async () => ({}),
  "test.paired": async (input) => {
    await new Promise((resolve) => setTimeout(resolve, input.holdMs));
    return {};
  },
  "test.parent": async (input, ctx) => {
    for (const holdMs of input.holds) await ctx.children.submit(steps, { steps: 1, holdMs });
    for (const gate of input.gates) await ctx.children.submit(steps, { steps: 1, gate });
    const outcomes = await ctx.children.waitAll();
    const sum = outcomes.reduce((total, child) => total + (child.status === "completed" ? 1 : 0), 0);
    return { sum, statuses: outcomes.map((child) => child.status) };
  },
  "test.flaky": async (input, ctx) => {
    if (ctx.attempt <= input.failUntilAttempt) throw new Error(`flaky on attempt ${ctx.attempt}`);
    return { attempt: ctx.attempt };
  },
});

const { db, url } = await createTestDatabase();
// The shutdown test needs a database no other worker polls.
const isolated = await createTestDatabase();
// So does the 20-attempt stop, whose runs must have every slot to themselves.
const crowded = await createTestDatabase();
let worker: ConveyorWorker;
beforeAll(async () => {
  worker = await startWorker({ databaseUrl: url, catalog, handlers, concurrency: 4, pollIntervalMs: 200, quiet: true });
});
afterAll(() => worker.stop());

async function finished(id: string) {
  return waitFor(`run ${id} to finish`, async () => {
    const run = await getRun<typeof catalog>(db, systemViewer, id);
    return ["completed", "failed", "cancelled"].includes(run.status) ? run : undefined;
  });
}
const kinds = (events: RunEvent[]) => events.map((event) => event.kind);

describe("worker", () => {
  it("runs a job, stores its validated result and records every step", async () => {
    const { id } = await submit(db, catalog, { type: "test.steps", input: { steps: 3 } });
    const run = await finished(id);
    expect(run).toMatchObject({ status: "completed", output: { sum: 6 }, attempts: 1, error: null });
    expect(run.progress.percent).toBe(100);
    const events = await readRunEvents(db, systemViewer, id, null);
    expect(kinds(events).at(0)).toBe("queued");
    expect(kinds(events).at(1)).toBe("started");
    expect(kinds(events).at(-1)).toBe("completed");
    // event ids only grow: a subscriber can resume from any of them
    const ids = events.map((event) => event.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it("shows a run as running in its worker's name while the handler runs, and a quick run's start before its completion", async () => {
    // A handler that waits: its start is written while it runs.
    const held = await submit(db, catalog, { type: "test.steps", input: { steps: 1, gate: "shown-running" } });
    await waitFor("the gated run to start", async () => (gates.has("shown-running") ? true : undefined));
    const running = await waitFor("the run to show as running", async () => {
      const run = await getRun<typeof catalog>(db, systemViewer, held.id);
      return run.status === "running" ? run : undefined;
    });
    expect(running.attempts).toBe(1);
    expect(running.startedAt).not.toBeNull();
    gates.get("shown-running")?.();
    await finished(held.id);

    // A handler that returns at once: its start is written with its result, and reads the same.
    const quick = await submit(db, catalog, { type: "test.steps", input: { steps: 1 } });
    const run = await finished(quick.id);
    expect(run).toMatchObject({ status: "completed", attempts: 1 });
    expect(run.startedAt!.getTime()).toBeLessThanOrEqual(run.finishedAt!.getTime());
    const events = await readRunEvents(db, systemViewer, quick.id, null);
    expect(kinds(events).filter((kind) => kind !== "progress")).toEqual(["queued", "started", "completed"]);
    expect(events.find((event) => event.kind === "started")?.data).toEqual({ attempt: 1, workerId: expect.any(String) });
  });

  it("coalesces progress reported in a tight loop into a few writes, keeping the last", async () => {
    const { id } = await submit(db, catalog, { type: "test.steps", input: { steps: 100_000 } });
    const run = await finished(id);
    expect(run.status).toBe("completed");
    const progress = (await readRunEvents(db, systemViewer, id, null)).filter((event) => event.kind === "progress");
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.length).toBeLessThan(50);
    expect(progress.at(-1)?.data).toMatchObject({ percent: 100, message: "step 100000", data: { step: 100_000 } });
    expect(run.progress).toEqual({ percent: 100, message: "step 100000", data: { step: 100_000 } });
  });

  it("stores a failure with its message", async () => {
    const { id } = await submit(db, catalog, { type: "test.steps", input: { steps: 1, failUntilAttempt: 1 } });
    const run = await finished(id);
    expect(run).toMatchObject({ status: "failed", error: "flaky on attempt 1", attempts: 1, output: null });
    const events = await readRunEvents(db, systemViewer, id, null);
    expect(events.at(-1)).toMatchObject({ kind: "failed", data: { error: "flaky on attempt 1", attempt: 1 } });
  });

  it("retries a failed attempt while attempts are left, showing when", async () => {
    const { id } = await submit(db, catalog, {
      type: "test.steps",
      input: { steps: 2, failUntilAttempt: 1 },
      options: { maxAttempts: 2 },
    });
    const retrying = await waitFor("the retrying event", async () =>
      (await readRunEvents(db, systemViewer, id, null)).find((event) => event.kind === "retrying"),
    );
    expect(retrying.data).toMatchObject({ error: "flaky on attempt 1", attempt: 1 });
    expect(Date.parse(retrying.data?.nextAttemptAt ?? "")).toBeGreaterThan(retrying.at.getTime());
    const run = await finished(id);
    expect(run).toMatchObject({ status: "completed", attempts: 2, output: { sum: 3 } });
  });

  it("fails at once on a permanent error even with attempts left", async () => {
    const { id } = await submit(db, catalog, {
      type: "test.steps",
      input: { steps: 1, failUntilAttempt: 5, permanent: true },
      options: { maxAttempts: 5 },
    });
    expect(await finished(id)).toMatchObject({ status: "failed", attempts: 1, error: "will never work" });
  });

  it("rejects a result that breaks the output schema", async () => {
    const { id } = await submit(db, catalog, { type: "test.steps", input: { steps: 1, badOutput: true } });
    const run = await finished(id);
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(/^invalid result: output\.sum: /);
  });

  it("aborts the signal when the attempt times out and fails it as a timeout", async () => {
    const { id } = await submit(db, catalog, {
      type: "test.steps",
      input: { steps: 1, waitForAbort: true },
      options: { timeoutMs: 300 },
    });
    expect(await finished(id)).toMatchObject({ status: "failed", error: "timed out after 300 ms" });
  });
});

describe("retries", () => {
  it("waits the contract's backoff before each attempt, keeping every attempt's error", async () => {
    const { id } = await submit(db, catalog, { type: "test.flaky", input: { failUntilAttempt: 2 } });
    const run = await finished(id);
    expect(run).toMatchObject({ status: "completed", attempts: 3, output: { attempt: 3 }, error: null });
    const events = await readRunEvents(db, systemViewer, id, null);
    expect(kinds(events)).toEqual(["queued", "started", "retrying", "started", "retrying", "started", "completed"]);
    const retrying = events.filter((event) => event.kind === "retrying");
    expect(retrying.map((event) => event.data?.error)).toEqual(["flaky on attempt 1", "flaky on attempt 2"]);
    const waits = retrying.map((event) => Date.parse(event.data?.nextAttemptAt ?? "") - event.at.getTime());
    // 150 ms then 450 ms (measured from the moment the failure was written, so a little less).
    expect(waits[0]).toBeGreaterThan(100);
    expect(waits[0]).toBeLessThanOrEqual(150);
    expect(waits[1]).toBeGreaterThan(400);
    expect(waits[1]).toBeLessThanOrEqual(450);
    // No attempt starts before its time.
    const starts = events.filter((event) => event.kind === "started");
    for (const [index, event] of retrying.entries()) {
      expect(starts[index + 1]!.at.getTime()).toBeGreaterThanOrEqual(Date.parse(event.data?.nextAttemptAt ?? ""));
    }
  });

  it("runs a failed run again on request, with a fresh budget and its history kept", async () => {
    const { id } = await submit(db, catalog, { type: "test.steps", input: { steps: 1, failUntilAttempt: 1 } });
    expect(await finished(id)).toMatchObject({ status: "failed", attempts: 1 });
    expect(await retryRun(db.$client, systemViewer, id)).toEqual({ id, status: "queued" });
    expect(await finished(id)).toMatchObject({ status: "completed", attempts: 2, maxAttempts: 2, error: null });
    const lifecycle = kinds(await readRunEvents(db, systemViewer, id, null)).filter((kind) => kind !== "progress");
    expect(lifecycle).toEqual(["queued", "started", "failed", "queued", "started", "completed"]);
    // Only failed or cancelled runs can be retried.
    await expect(retryRun(db.$client, systemViewer, id)).rejects.toThrow(`run ${id} is completed: only failed, cancelled runs can be retried`);
  });

  it("runs again every failed run matching a filter (the dead-letter list)", async () => {
    const since = new Date();
    const failed = await Promise.all(
      [1, 2].map(async () => (await submit(db, catalog, { type: "test.steps", input: { steps: 1, failUntilAttempt: 1 } })).id),
    );
    for (const id of failed) expect((await finished(id)).status).toBe("failed");
    const { retried, ids } = await retryFailedRuns(db.$client, systemViewer, { type: "test.steps", since });
    expect(retried).toBe(2);
    expect(ids.sort()).toEqual([...failed].sort());
    for (const id of failed) expect((await finished(id)).status).toBe("completed");
  });
});

describe("order and time", () => {
  it("starts higher priorities first among waiting runs", async () => {
    const ordered = await createTestDatabase();
    const ids: Record<string, string> = {};
    for (const priority of ["low", "normal", "critical", "high"] as const) {
      ids[priority] = (await submit(ordered.db, catalog, { type: "test.steps", input: { steps: 1 }, options: { priority } })).id;
    }
    // Without a local queue: graphile-worker hands a fetched batch out in its own order, not by
    // priority, so the exact order holds one job per fetch (see the README's Priorities).
    const one = await startWorker({ databaseUrl: ordered.url, catalog, handlers, concurrency: 1, localQueueSize: 0, pollIntervalMs: 200, quiet: true });
    try {
      const starts = await waitFor("all four runs to start", async () => {
        const rows = await ordered.db.$client<{ run_id: string }[]>`
          select run_id from conveyor.run_events where kind = 'started' order by id`;
        return rows.length === 4 ? rows.map((row) => row.run_id) : undefined;
      });
      expect(starts).toEqual([ids.critical, ids.high, ids.normal, ids.low]);
    } finally {
      await one.stop();
    }
  });

  it("holds a run with a future runAt as scheduled and starts it on time", async () => {
    const runAt = new Date(Date.now() + 1_000);
    const { id, status } = await submit(db, catalog, { type: "test.steps", input: { steps: 1 }, options: { runAt } });
    expect(status).toBe("scheduled");
    expect((await getRun(db, systemViewer, id)).status).toBe("scheduled");
    await finished(id);
    const started = (await readRunEvents(db, systemViewer, id, null)).find((event) => event.kind === "started");
    expect(started!.at.getTime()).toBeGreaterThanOrEqual(runAt.getTime());
    expect(started!.at.getTime() - runAt.getTime()).toBeLessThan(1_000);
  });
});

describe("queues", () => {
  it("runs a named queue one run at a time, even across two workers", async () => {
    const second = await startWorker({ databaseUrl: url, catalog, handlers, concurrency: 4, pollIntervalMs: 200, quiet: true });
    try {
      const ids = await Promise.all(
        [1, 2, 3, 4].map(async () =>
          (await submit(db, catalog, { type: "test.steps", input: { steps: 1, holdMs: 150 }, options: { queue: "serial-lane" } })).id,
        ),
      );
      const runs = await Promise.all(ids.map(finished));
      const spans = runs
        .map((run) => [run.startedAt!.getTime(), run.finishedAt!.getTime()] as const)
        .sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    } finally {
      await second.stop();
    }
  });

  it("runs a queue with concurrency 2 at most two at a time across workers", async () => {
    const second = await startWorker({ databaseUrl: url, catalog, handlers, concurrency: 4, pollIntervalMs: 200, quiet: true });
    try {
      const ids = await Promise.all(
        Array.from({ length: 8 }, async () => (await submit(db, catalog, { type: "test.paired", input: { holdMs: 200 } })).id),
      );
      const runs = await Promise.all(ids.map(finished));
      const edges = runs.flatMap((run) => [
        { at: run.startedAt!.getTime(), change: 1 },
        { at: run.finishedAt!.getTime(), change: -1 },
      ]);
      // Ends before starts at the same instant: a lane is free once its run finished.
      edges.sort((a, b) => a.at - b.at || a.change - b.change);
      let running = 0;
      let most = 0;
      for (const edge of edges) most = Math.max(most, (running += edge.change));
      expect(most).toBeLessThanOrEqual(2);
      expect(runs.every((run) => run.status === "completed")).toBe(true);
    } finally {
      await second.stop();
    }
  });

  it("runs the default queue's runs at the same time", async () => {
    const ids = await Promise.all(
      [1, 2, 3].map(async () => (await submit(db, catalog, { type: "test.steps", input: { steps: 1, holdMs: 300 } })).id),
    );
    const runs = await Promise.all(ids.map(finished));
    const latestStart = Math.max(...runs.map((run) => run.startedAt!.getTime()));
    const earliestFinish = Math.min(...runs.map((run) => run.finishedAt!.getTime()));
    expect(latestStart).toBeLessThan(earliestFinish);
  });
});

describe("rate limits", () => {
  it("starts at most 2 runs per second per host, holding the rest as scheduled without spending attempts", async () => {
    const submittedAt = Date.now();
    const hostA = await Promise.all([1, 2, 3, 4, 5].map(async () => (await submit(db, catalog, { type: "test.limited", input: { host: "a.example" } })).id));
    const hostB = await Promise.all([1, 2].map(async () => (await submit(db, catalog, { type: "test.limited", input: { host: "b.example" } })).id));
    const heldBack = await waitFor("a run to be held back", async () => {
      for (const id of hostA) {
        const run = await getRun(db, systemViewer, id);
        if (run.status === "scheduled") return run;
      }
      return undefined;
    });
    expect(heldBack.attempts).toBe(0);

    const runsA = await Promise.all(hostA.map(finished));
    const runsB = await Promise.all(hostB.map(finished));
    for (const run of [...runsA, ...runsB]) expect(run).toMatchObject({ status: "completed", attempts: 1 });
    // Five starts at two per window need three windows: the last starts more than a second after the first.
    const startsA = runsA.map((run) => run.startedAt!.getTime()).sort((a, b) => a - b);
    expect(startsA.at(-1)! - startsA[0]!).toBeGreaterThan(1_000);
    // Another host is not held back by the first one's limit.
    for (const run of runsB) expect(run.startedAt!.getTime() - submittedAt).toBeLessThan(1_000);
    const windows = await db.$client<{ used: number }[]>`
      select used from conveyor.rate_windows where bucket = 'test.limited:a.example'`;
    expect(windows.every((window) => window.used <= 2)).toBe(true);
    expect(windows.reduce((sum, window) => sum + window.used, 0)).toBe(5);
  });
});

describe("flows", () => {
  it("lets a run start children and wait for them, its progress following theirs", async () => {
    const { id } = await submit(db, catalog, { type: "test.parent", input: { holds: [50, 700, 1_400] } });
    const run = await finished(id);
    expect(run).toMatchObject({ status: "completed", output: { sum: 3, statuses: ["completed", "completed", "completed"] } });
    const children = await db.$client<{ id: string; status: string }[]>`
      select id, status from conveyor.runs where parent_id = ${id}`;
    expect(children.map((child) => child.status)).toEqual(["completed", "completed", "completed"]);
    expect((await getRun(db, systemViewer, children[0]!.id)).parentId).toBe(id);
    const progress = (await readRunEvents(db, systemViewer, id, null)).filter((event) => event.kind === "progress");
    const between = progress.filter((event) => (event.data?.percent ?? 0) > 0 && (event.data?.percent ?? 100) < 100);
    expect(between.length).toBeGreaterThan(0);
    expect(between.map((event) => event.data?.message)).toContain("1 of 3 child runs finished");
  });

  it("cancels a run's unfinished children with it", async () => {
    const { id } = await submit(db, catalog, { type: "test.parent", input: { gates: ["flow-1", "flow-2"] } });
    await waitFor("both children to start", async () => (gates.has("flow-1") && gates.has("flow-2") ? true : undefined));
    expect(await cancelRun(db.$client, systemViewer, id)).toEqual({ id, status: "cancelled" });
    const children = await db.$client<{ id: string; status: string }[]>`select id, status from conveyor.runs where parent_id = ${id}`;
    expect(children.map((child) => child.status)).toEqual(["cancelled", "cancelled"]);
    for (const child of children) {
      const last = (await readRunEvents(db, systemViewer, child.id, null)).at(-1);
      expect(last).toMatchObject({ kind: "cancelled", data: { reason: "its parent run was cancelled" } });
      await waitFor("the child's signal to abort", async () => abortReasons.get(child.id), { timeoutMs: 1_000 });
    }
    gates.get("flow-1")?.();
    gates.get("flow-2")?.();
  });
});

describe("schedules", () => {
  it("fires each missed slot once when workers start, only for a schedule that backfills", async () => {
    const fresh = await createTestDatabase();
    // The schedules were known an hour ago and last fired 3 minutes ago: everything since was missed.
    await fresh.db.$client`
      insert into graphile_worker._private_known_crontabs (identifier, known_since, last_execution)
      values ('conveyor:tick-backfilled', now() - interval '1 hour', date_trunc('minute', now()) - interval '3 minutes'),
             ('conveyor:tick-live-only', now() - interval '1 hour', date_trunc('minute', now()) - interval '3 minutes')`;
    const startedAt = new Date();
    // Two workers at once: still one run per slot.
    const pair = await Promise.all(
      [1, 2].map(() => startWorker({ databaseUrl: fresh.url, catalog, handlers, concurrency: 2, pollIntervalMs: 200, quiet: true })),
    );
    try {
      const keys = await waitFor("the missed slots to be fired", async () => {
        const rows = await fresh.db.$client<{ key: string }[]>`
          select idempotency_key as key from conveyor.runs where type = 'test.tick' and status = 'completed' order by key`;
        return rows.length >= 2 ? rows.map((row) => row.key) : undefined;
      });
      const backfilled = keys.filter((key) => key.startsWith("schedule:tick-backfilled:"));
      expect(backfilled.length).toBeGreaterThanOrEqual(2);
      expect(new Set(backfilled).size).toBe(backfilled.length);
      // Slots before the workers started fired only for the schedule that backfills.
      const livePrefix = "schedule:tick-live-only:";
      const missedLive = keys.filter(
        (key) => key.startsWith(livePrefix) && Date.parse(key.slice(livePrefix.length)) < startedAt.getTime() - 60_000,
      );
      expect(missedLive).toEqual([]);
      const [run] = await fresh.db.$client<{ input: unknown }[]>`
        select input from conveyor.runs where idempotency_key = ${backfilled[0]!}`;
      expect(run?.input).toEqual({ source: "backfilled" });
    } finally {
      await Promise.all(pair.map((one) => one.stop()));
    }
  });
});

describe("cancel", () => {
  it("keeps a waiting run from ever starting", async () => {
    const { id } = await submit(db, catalog, {
      type: "test.steps",
      input: { steps: 1 },
      options: { runAt: new Date(Date.now() + 600) },
    });
    expect(await cancelRun(db.$client, systemViewer, id)).toEqual({ id, status: "cancelled" });
    // Another run due after it completes: by then the cancelled one would have started.
    const { id: later } = await submit(db, catalog, { type: "test.steps", input: { steps: 1 }, options: { runAt: new Date(Date.now() + 900) } });
    await finished(later);
    expect(kinds(await readRunEvents(db, systemViewer, id, null))).toEqual(["queued", "cancelled"]);
    expect((await getRun(db, systemViewer, id)).status).toBe("cancelled");
    await expect(cancelRun(db.$client, systemViewer, id)).rejects.toThrow(/is cancelled: only queued, scheduled, running runs can be cancelled/);
  });

  it("aborts a running run's signal and discards its late result", async () => {
    const { id } = await submit(db, catalog, { type: "test.steps", input: { steps: 1, gate: "cancel-me" } });
    await waitFor("the gated run to start", async () => (gates.has("cancel-me") ? true : undefined));
    await cancelRun(db.$client, systemViewer, id);
    const reason = await waitFor("the handler's signal to abort", async () => abortReasons.get(id), { timeoutMs: 1_000 });
    expect(reason).toMatchObject({ name: "RunCancelledError", message: "cancelled" });
    // The handler ignored its signal and returns now: that result must not land.
    gates.get("cancel-me")?.();
    await new Promise((resolve) => setImmediate(resolve));
    const run = await getRun(db, systemViewer, id);
    expect(run).toMatchObject({ status: "cancelled", output: null });
    expect(kinds(await readRunEvents(db, systemViewer, id, null)).at(-1)).toBe("cancelled");
  });
});

describe("graceful shutdown", () => {
  it("lets a running run finish and records its result before stopping", async () => {
    const second = await startWorker({ databaseUrl: isolated.url, catalog, handlers, concurrency: 1, quiet: true });
    expect(await countLiveWorkers(isolated.db)).toBe(1);
    const { id } = await submit(isolated.db, catalog, { type: "test.steps", input: { steps: 2, gate: "shutdown" } });
    await waitFor("the gated run to start", async () => (gates.has("shutdown") ? true : undefined));
    const stopping = second.stop();
    gates.get("shutdown")?.();
    await stopping;
    expect(await getRun(isolated.db, systemViewer, id)).toMatchObject({ status: "completed", output: { sum: 3 } });
    // A worker that stops cleanly deregisters instead of waiting to be presumed dead.
    expect(await countLiveWorkers(isolated.db)).toBe(0);
  });

  it("after the grace period aborts the attempt and releases the run for another, even on its last attempt", async () => {
    const stopping = await startWorker({ databaseUrl: isolated.url, catalog, handlers, concurrency: 1, shutdownGraceMs: 300, quiet: true });
    const { id } = await submit(isolated.db, catalog, { type: "test.steps", input: { steps: 1, waitForAbort: true } });
    await waitFor("the attempt to be running", async () => ((await getRun(isolated.db, systemViewer, id)).status === "running" ? true : undefined));
    await stopping.stop();
    expect(abortReasons.has(id)).toBe(true);
    const run = await getRun(isolated.db, systemViewer, id);
    // maxAttempts was 1: the released attempt does not use up the run.
    expect(run).toMatchObject({ status: "scheduled", attempts: 1, maxAttempts: 2, error: "released: the worker stopped during attempt 1" });
    expect(kinds(await readRunEvents(isolated.db, systemViewer, id, null)).at(-1)).toBe("retrying");
    const [job] = await isolated.db.$client<{ attempt: number }[]>`
      select (payload->>'attempt')::int as attempt from graphile_worker._private_jobs where key = ${`run:${id}`}`;
    expect(job?.attempt).toBe(2);
  });

  it("stops 20 attempts at once without piling listeners onto the worker's stop signal", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => void (warning.name === "MaxListenersExceededWarning" && warnings.push(warning));
    process.on("warning", onWarning);
    try {
      const busy = await startWorker({ databaseUrl: crowded.url, catalog, handlers, concurrency: 20, shutdownGraceMs: 300, quiet: true });
      const ids = await Promise.all(
        Array.from({ length: 20 }, async () => (await submit(crowded.db, catalog, { type: "test.steps", input: { steps: 1, waitForAbort: true } })).id),
      );
      await waitFor("all 20 attempts to be running", async () => {
        const runs = await Promise.all(ids.map((id) => getRun(crowded.db, systemViewer, id)));
        return runs.every((run) => run.status === "running") ? true : undefined;
      });
      await busy.stop();
      // Every attempt still heard the stop, and each run was released for another attempt.
      expect(ids.filter((id) => abortReasons.has(id))).toEqual(ids);
      const runs = await Promise.all(ids.map((id) => getRun(crowded.db, systemViewer, id)));
      expect(runs.map((run) => run.status)).toEqual(ids.map(() => "scheduled"));
      // Node reports the warning on a later tick: give it one before looking.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((warning) => warning.message)).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
