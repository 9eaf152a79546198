import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readRunEvents, systemViewer } from "@conveyor/db";
import { createTestDatabase, waitFor } from "@conveyor/db/testing";
import { spawnWorker, type SpawnedWorker } from "@conveyor/worker/testing";
import { createClient, type ConveyorClient } from "./client";
import { spawnApi, type SpawnedApi } from "./testing/spawn-api";
import { issueTestToken } from "./testing/tokens";
import { documentOf } from "./testing/documents";

/**
 * Several API processes and several workers on one database, as in
 * production, where every API serves every run, whichever API it was submitted through
 * and whichever worker executes it, and losing an API loses no events.
 */

type RunEventMessage = Parameters<
  NonNullable<NonNullable<Parameters<ConveyorClient["jobs"]["events"]["subscribe"]>[1]>["onData"]>
>[0]["data"];

const { db, url: databaseUrl } = await createTestDatabase();
let apiA: SpawnedApi;
let apiB: SpawnedApi;
let workers: SpawnedWorker[] = [];
let viaA: ConveyorClient;
let viaB: ConveyorClient;
/** The ids the workers registered under (conveyor.runs.worker_id), from their "worker started" lines. */
let workerIds: string[] = [];

beforeAll(async () => {
  // Two waves rather than five processes at once: each must start within its helper's 30 s, also on a busy machine.
  [apiA, apiB] = await Promise.all([spawnApi(databaseUrl), spawnApi(databaseUrl)]);
  workers = await Promise.all([1, 2, 3].map(() => spawnWorker(databaseUrl, { CONVEYOR_WORKER_CONCURRENCY: "2" })));
  workerIds = workers.map(startedWorkerId);
  const token = await issueTestToken(db, { ownerId: "alice" });
  viaA = createClient({ url: apiA.url, token });
  viaB = createClient({ url: apiB.url, token });
}, 60_000);

afterAll(async () => {
  await Promise.all([...workers.map((worker) => worker.stop()), apiA?.stop(), apiB?.stop()]);
});

function startedWorkerId(worker: SpawnedWorker): string {
  for (const line of worker.output().split("\n")) {
    if (!line.includes('"worker started"')) continue;
    const parsed = JSON.parse(line) as { workerId?: unknown };
    if (typeof parsed.workerId === "string") return parsed.workerId;
  }
  throw new Error(`no "worker started" line with a workerId:\n${worker.output()}`);
}

async function storedEvents(runId: string): Promise<{ id: string; kind: string }[]> {
  return (await readRunEvents(db, systemViewer, runId, null)).map((event) => ({ id: String(event.id), kind: event.kind }));
}

/**
 * A subscriber received the run's stored events in order, none twice and
 * none invented, and missed none, except progress reports superseded by the
 * run's next progress report: a subscriber that falls behind gets the latest
 * progress rather than a backlog (README, "Events"), which happens on a busy
 * machine.
 */
function expectWholeHistory(received: RunEventMessage[], stored: { id: string; kind: string }[]): void {
  const receivedIds = received.map((event) => event.id);
  const storedIds = new Set(stored.map((event) => event.id));
  expect(receivedIds.filter((id) => !storedIds.has(id)), "events that were never stored").toEqual([]);
  expect(receivedIds, "order, and each event once").toEqual(stored.map((event) => event.id).filter((id) => receivedIds.includes(id)));
  const missed = stored.filter((event) => !receivedIds.includes(event.id));
  const lost = missed.filter((event) => !(event.kind === "progress" && stored[stored.indexOf(event) + 1]?.kind === "progress"));
  expect(lost.map((event) => `${event.id} (${event.kind})`), "events missed, other than superseded progress").toEqual([]);
}

async function runStatus(runId: string): Promise<string | undefined> {
  const [row] = await db.$client<{ status: string }[]>`select status from conveyor.runs where id = ${runId}`;
  return row?.status;
}

/**
 * The workers that logged completing the run (a worker's JSON line
 * `{"runId":…,"message":"completed"}`); `conveyor.runs.worker_id` names
 * the executing worker only while the run runs.
 */
function completedBy(runId: string): string[] {
  return workers.flatMap((worker, i) =>
    worker
      .output()
      .split("\n")
      .some((line) => line.includes(runId) && line.includes('"completed"') && isCompletionLine(line, runId))
      ? [workerIds[i] as string]
      : [],
  );
}

function isCompletionLine(line: string, runId: string): boolean {
  try {
    const parsed = JSON.parse(line) as { runId?: unknown; message?: unknown };
    return parsed.runId === runId && parsed.message === "completed";
  } catch {
    return false;
  }
}

const finishedKinds = new Set(["completed", "failed", "cancelled"]);

interface Watch {
  /** What the subscription received so far, in order. */
  readonly events: RunEventMessage[];
  /** Settles once the run has finished (or the stream ended); rejects on an error or after the timeout. */
  readonly ended: Promise<RunEventMessage[]>;
  /** Settles as soon as the events received satisfy `check`. */
  until(description: string, check: (events: RunEventMessage[]) => boolean): Promise<void>;
  /** Unsubscribe; what was received stays in `events`. */
  close(): void;
}

/** Subscribe to one run's events, waiting on them as they arrive (never on the clock). */
function watch(client: ConveyorClient, input: { id: string; lastEventId?: string | null }, timeoutMs = 30_000): Watch {
  const events: RunEventMessage[] = [];
  const waiters: { check: (events: RunEventMessage[]) => boolean; resolve: () => void }[] = [];
  let closed = false;
  let finish!: (error?: unknown) => void;
  const ended = new Promise<RunEventMessage[]>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`run ${input.id}: no end within ${timeoutMs} ms, got ${events.map((e) => e.kind).join(",")}`)), timeoutMs);
    finish = (error?: unknown) => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      subscription.unsubscribe();
      if (error) reject(error);
      else resolve(events);
    };
    const subscription = client.jobs.events.subscribe(input, {
      onData: ({ data }) => {
        if (closed) return;
        events.push(data);
        for (const waiter of [...waiters]) {
          if (waiter.check(events)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve();
          }
        }
        if (finishedKinds.has(data.kind)) finish();
      },
      onError: (error) => finish(error),
      onComplete: () => finish(),
    });
  });
  ended.catch(() => {}); // observed by whoever awaits it
  return {
    events,
    ended,
    until: (description, check) =>
      new Promise<void>((resolve, reject) => {
        if (check(events)) return resolve();
        waiters.push({ check, resolve });
        ended.then(() => (check(events) ? resolve() : reject(new Error(`run ${input.id}: the stream ended before ${description}`))), reject);
      }),
    close: () => finish(),
  };
}

/** A webhook receiver that holds each request until released, so a run stays `running` for as long as a test needs. */
async function startHeldReceiver(): Promise<{ url: string; arrived: Promise<void>; release(): void; close(): Promise<void> }> {
  const held: ServerResponse[] = [];
  let released = false;
  let arrive!: () => void;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on("end", () => {
      arrive();
      if (released) res.end("ok");
      else held.push(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    arrived,
    release() {
      released = true;
      for (const res of held.splice(0)) res.end("ok");
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("two API processes and three workers on one database", () => {
  it("streams, on API A, every event of a run submitted through API B and executed by a worker", async () => {
    expect(apiA.url).not.toBe(apiB.url);
    const { id } = await viaB.jobs.submit.mutate({ type: "document.analyze", input: { text: documentOf(100_000), title: "Cross-process" } });
    const onA = watch(viaA, { id });
    const events = await onA.ended;

    expect(events.at(-1)?.kind).toBe("completed");
    expect(events.filter((event) => event.kind === "progress").length).toBeGreaterThanOrEqual(3);
    expectWholeHistory(events, await storedEvents(id));
    expect(await runStatus(id)).toBe("completed");
    // Executed once, by one of the three worker processes (its log line may trail the database by a moment).
    const executors = await waitFor("a worker's completion line", async () => {
      const found = completedBy(id);
      return found.length > 0 ? found : undefined;
    });
    expect(executors).toHaveLength(1);
  });

  it("spreads a burst of runs submitted through both APIs over several workers", async () => {
    const items = (from: number) =>
      Array.from({ length: 15 }, (_, i) => ({ type: "document.analyze" as const, input: { text: documentOf(2_000), title: `Burst ${from + i}` } }));
    // 15 runs in one transaction through A, then 15 through B: 30 runs waiting for the workers within moments.
    const burst = [...(await viaA.jobs.submitMany.mutate({ items: items(0) })), ...(await viaB.jobs.submitMany.mutate({ items: items(15) }))];
    const ids = burst.map((run) => run.id);
    expect(new Set(ids).size).toBe(30);

    await waitFor(
      "the burst to complete",
      async () => {
        const [row] = await db.$client<{ completed: number }[]>`
          select count(*)::int as completed from conveyor.runs where id = any(${ids}::uuid[]) and status = 'completed'`;
        return row?.completed === 30 ? true : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const executors = await waitFor("every run's completion line", async () => {
      const perRun = ids.map(completedBy);
      return perRun.every((found) => found.length === 1) ? perRun.map((found) => found[0]) : undefined;
    });
    const workload = new Map<string, number>();
    for (const workerId of executors) if (workerId) workload.set(workerId, (workload.get(workerId) ?? 0) + 1);
    expect(workload.size, `runs per worker: ${JSON.stringify(Object.fromEntries(workload))}`).toBeGreaterThan(1);
  });

  it("keeps API A's subscribers streaming when API B stops, and B's subscribers resume on A without a gap", async () => {
    const receiver = await startHeldReceiver();
    try {
      // R1 stays running (its webhook is held) across B's shutdown; R2 reports progress while B stops.
      const r1 = await viaB.jobs.submit.mutate({
        type: "webhook.deliver",
        input: { url: receiver.url, payload: { hello: "world" }, requestTimeoutMs: 60_000 },
      });
      const r1OnA = watch(viaA, { id: r1.id });
      const r1OnB = watch(viaB, { id: r1.id });
      const started = (events: RunEventMessage[]) => events.some((event) => event.kind === "started");
      await Promise.all([receiver.arrived, r1OnA.until("R1 started", started), r1OnB.until("R1 started", started)]);

      const r2 = await viaB.jobs.submit.mutate({ type: "document.analyze", input: { text: documentOf(100_000), title: "Across the stop" } });
      const r2OnA = watch(viaA, { id: r2.id });
      const r2OnB = watch(viaB, { id: r2.id });
      await r2OnB.until("R2's first progress", (events) => events.some((event) => event.kind === "progress"));

      await apiB.stop();
      // B is gone; R1 is still running, so whatever A receives from here on was written after B stopped.
      expect(await runStatus(r1.id)).toBe("running");
      const r1StoredAtStop = await storedEvents(r1.id);

      // B's subscribers reconnect to A from the last event they received, as a client does after a failover.
      r1OnB.close();
      r2OnB.close();
      const lastOf = (w: Watch) => w.events.at(-1)?.id ?? null;
      const r1Resumed = watch(viaA, { id: r1.id, lastEventId: lastOf(r1OnB) });
      const r2Resumed = watch(viaA, { id: r2.id, lastEventId: lastOf(r2OnB) });

      receiver.release();
      const [r1Events, r2Events, r1After, r2After] = await Promise.all([r1OnA.ended, r2OnA.ended, r1Resumed.ended, r2Resumed.ended]);

      const [r1Stored, r2Stored] = await Promise.all([storedEvents(r1.id), storedEvents(r2.id)]);
      expect(r1Events.at(-1)?.kind).toBe("completed");
      expect(r2Events.at(-1)?.kind).toBe("completed");
      // A's subscribers: the whole history, including what was written after B stopped.
      expect(r1Stored.length).toBeGreaterThan(r1StoredAtStop.length);
      expect(r1Events.map((event) => event.id)).toEqual(r1Stored.map((event) => event.id));
      expectWholeHistory(r2Events, r2Stored);
      // B's subscribers: what B sent, then what A sent after lastEventId, is the whole history, each event once.
      expect(r1OnB.events.length).toBeGreaterThan(0);
      expect([...r1OnB.events, ...r1After].map((event) => event.id)).toEqual(r1Stored.map((event) => event.id));
      expect(r1After.at(-1)?.kind).toBe("completed");
      expect(r2OnB.events.length).toBeGreaterThan(0);
      expectWholeHistory([...r2OnB.events, ...r2After], r2Stored);
    } finally {
      receiver.release();
      await receiver.close();
    }
  }, 45_000);
});
