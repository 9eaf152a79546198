/**
 * Behaviours that span processes: the API in this process, real workers in
 * others, a real HTTP receiver for webhook runs.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCClientError } from "@trpc/client";
import { readRunEvents, systemViewer, unrecordedStartLostError, workerLostError } from "@conveyor/db";
import { createTestDatabase, waitFor } from "@conveyor/db/testing";
import { spawnWorker, type SpawnedWorker } from "@conveyor/worker/testing";
import { createClient, type ConveyorClient } from "./client";
import { startApiServer, type ApiServer } from "./server";
import { issueTestToken } from "./testing/tokens";

const { db, url: databaseUrl } = await createTestDatabase();
let api: ApiServer;
let client: ConveyorClient;

/** A webhook receiver that holds each request until the test answers it; it records every delivery. */
const deliveries: Array<{ runId: string; attempt: number; answer: (status: number) => void }> = [];
const receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
  req.resume();
  deliveries.push({
    runId: String(req.headers["x-conveyor-run-id"]),
    attempt: Number(req.headers["x-conveyor-attempt"]),
    answer: (status) => {
      if (!res.headersSent) res.writeHead(status).end("ok");
    },
  });
});
let receiverUrl: string;

beforeAll(async () => {
  api = await startApiServer({ databaseUrl, port: 0 });
  client = createClient({ url: api.url, token: await issueTestToken(db, { ownerId: "alice", role: "admin" }) });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
}, 60_000);

afterAll(async () => {
  for (const delivery of deliveries) delivery.answer(200);
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await api?.close();
});

const deliveriesOf = (runId: string) => deliveries.filter((delivery) => delivery.runId === runId);

async function submitHook() {
  return client.jobs.submit.mutate({
    type: "webhook.deliver",
    input: { url: receiverUrl, payload: { hello: "world" }, requestTimeoutMs: 60_000 },
  });
}

describe("across processes", () => {
  let worker: SpawnedWorker;
  beforeAll(async () => {
    worker = await spawnWorker(databaseUrl, { CONVEYOR_WORKER_CONCURRENCY: "2" });
  }, 60_000);
  afterAll(() => worker?.stop());

  it("cancels a running run in another process within a second, discarding its result", async () => {
    const { id } = await submitHook();
    await waitFor("the webhook to be called", async () => (deliveriesOf(id).length > 0 ? true : undefined));
    await waitFor("the run to be recorded running", async () =>
      (await client.jobs.get.query({ id })).status === "running" ? true : undefined,
    );
    const cancelledAt = Date.now();
    expect(await client.jobs.cancel.mutate({ id })).toEqual({ id, status: "cancelled" });
    await waitFor(
      "the worker to abort the attempt",
      async () => (worker.output().includes(`"message":"cancelled while running"`) && worker.output().includes(id) ? true : undefined),
      { timeoutMs: 1_000 },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${worker.output()}`);
    });
    expect(Date.now() - cancelledAt).toBeLessThan(1_000);
    // The receiver answers late: nothing of it lands.
    deliveriesOf(id)[0]?.answer(200);
    const run = await client.jobs.get.query({ id });
    expect(run).toMatchObject({ status: "cancelled", output: null });
    expect((await readRunEvents(db, systemViewer, id, null)).map((event) => event.kind)).toEqual(["queued", "started", "cancelled"]);
  });

  it("answers CONFLICT for an action the run's status does not allow, and NOT_FOUND for an unknown run", async () => {
    const { id } = await submitHook();
    await waitFor("the webhook to be called", async () => (deliveriesOf(id).length > 0 ? true : undefined));
    deliveriesOf(id)[0]?.answer(204);
    await waitFor("the run to complete", async () => ((await client.jobs.get.query({ id })).status === "completed" ? true : undefined));
    const conflict = await client.jobs.cancel.mutate({ id }).catch((error: unknown) => error);
    expect(conflict).toBeInstanceOf(TRPCClientError);
    expect((conflict as TRPCClientError<never>).data).toMatchObject({ code: "CONFLICT" });
    expect((conflict as Error).message).toBe(`run ${id} is completed: only queued, scheduled, running runs can be cancelled`);
    const missing = await client.jobs.retry.mutate({ id: crypto.randomUUID() }).catch((error: unknown) => error);
    expect((missing as TRPCClientError<never>).data).toMatchObject({ code: "NOT_FOUND" });
  });

  it("reports counts, throughput, durations and the live workers", async () => {
    const stats = await client.queues.stats.query();
    const hooks = stats.queues.find((entry) => entry.type === "webhook.deliver");
    expect(hooks?.counts).toMatchObject({ completed: expect.any(Number), cancelled: expect.any(Number) });
    expect(hooks?.counts.completed).toBeGreaterThanOrEqual(1);
    expect(hooks?.completedLastHour).toBeGreaterThanOrEqual(1);
    expect(hooks?.durationMs?.p95).toBeGreaterThanOrEqual(0);
    expect(stats.throughput).toHaveLength(60);
    expect(stats.throughput.reduce((sum, minute) => sum + minute.completed, 0)).toBeGreaterThanOrEqual(1);
    expect(stats.workers.filter((entry) => entry.alive)).toHaveLength(1);
  });

  it("lists the cron schedules with their next firing", async () => {
    const schedules = await client.schedules.list.query();
    const prune = schedules.find((schedule) => schedule.name === "prune-finished-runs");
    expect(prune).toMatchObject({ type: "runs.prune", cron: "17 * * * *", backfillMs: 0 });
    const next = new Date(prune?.nextFiring ?? "");
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(60 * 60_000);
    expect(next.getUTCMinutes()).toBe(17);
  });
});

describe("graceful shutdown", () => {
  it("on SIGTERM lets the running attempt finish, stores its result and exits 0", async () => {
    const worker = await spawnWorker(databaseUrl, { CONVEYOR_WORKER_CONCURRENCY: "1" });
    const { id } = await submitHook();
    await waitFor("the webhook to be called", async () => (deliveriesOf(id).length > 0 ? true : undefined));
    const exit = worker.stop();
    // The receiver answers only after the worker was told to stop.
    await waitFor("the worker to begin stopping", async () => (worker.output().includes("worker stopping") ? true : undefined));
    deliveriesOf(id)[0]?.answer(200);
    expect(await exit).toBe(0);
    expect(await client.jobs.get.query({ id })).toMatchObject({ status: "completed", attempts: 1 });
  }, 30_000);
});

describe("crash recovery", () => {
  it("takes over the run of a worker killed mid-run within 30 s, counting the lost attempt", async () => {
    const doomed = await spawnWorker(databaseUrl, { CONVEYOR_WORKER_CONCURRENCY: "1" });
    const { id } = await submitHook();
    await waitFor("the doomed worker to call the webhook", async () => (deliveriesOf(id).length > 0 ? true : undefined));
    await waitFor("the run to be recorded running", async () =>
      (await client.jobs.get.query({ id })).status === "running" ? true : undefined,
    );
    await doomed.kill();
    const killedAt = Date.now();
    const rescuer = await spawnWorker(databaseUrl, { CONVEYOR_WORKER_CONCURRENCY: "1" });
    try {
      await waitFor("a second delivery by the rescuing worker", async () => (deliveriesOf(id).length > 1 ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 100,
      });
      expect(Date.now() - killedAt).toBeLessThan(30_000);
      deliveriesOf(id)[1]?.answer(200);
      await waitFor("the run to complete", async () => ((await client.jobs.get.query({ id })).status === "completed" ? true : undefined));
      const run = await client.jobs.get.query({ id });
      // The lost attempt is not charged to webhook.deliver's 5 attempts: it is given back, and counted apart.
      expect(run).toMatchObject({ status: "completed", attempts: 2, maxAttempts: 6, lostAttempts: 1 });
      const events = await readRunEvents(db, systemViewer, id, null);
      // Lifecycle events only: the handler's "webhook answered" line is a log event in between.
      expect(events.map((event) => event.kind).filter((kind) => kind !== "log")).toEqual(["queued", "started", "retrying", "started", "completed"]);
      expect(events.find((event) => event.kind === "retrying")?.data).toMatchObject({ error: workerLostError, attempt: 1 });
    } finally {
      await rescuer.stop();
    }
  }, 60_000);

  it("names a new attempt after a worker killed once its handler began but before its start was written", async () => {
    const doomed = await spawnWorker(databaseUrl, { CONVEYOR_WORKER_CONCURRENCY: "1" });
    const { id } = await submitHook();
    // Hold the run's row, so the doomed worker's write of the start waits while its handler calls the webhook.
    const holder = await db.$client.reserve();
    await holder`begin`;
    await holder`select 1 from conveyor.runs where id = ${id} for update`;
    let rescuer: SpawnedWorker | undefined;
    try {
      await waitFor("the doomed worker to call the webhook", async () => (deliveriesOf(id).length > 0 ? true : undefined));
      const startWaiting = () => db.$client<{ pid: number }[]>`
        select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%conveyor.runs%'`;
      await waitFor("the start's write to wait for the row", async () => ((await startWaiting()).length > 0 ? true : undefined));
      await doomed.kill();
      // The write in flight dies with its process (PostgreSQL would otherwise run it once the row is free).
      await db.$client`select pg_terminate_backend(pid) from pg_stat_activity where pid = any(${(await startWaiting()).map((row) => row.pid)})`;
      await holder`rollback`;
      expect(await client.jobs.get.query({ id })).toMatchObject({ status: "queued", attempts: 0 });

      rescuer = await spawnWorker(databaseUrl, { CONVEYOR_WORKER_CONCURRENCY: "1" });
      await waitFor("a second delivery by the rescuing worker", async () => (deliveriesOf(id).length > 1 ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 100,
      });
      // The receiver can tell the two apart: the second delivery names a new attempt.
      expect(deliveriesOf(id).map((delivery) => delivery.attempt)).toEqual([1, 2]);
      deliveriesOf(id)[1]?.answer(200);
      await waitFor("the run to complete", async () => ((await client.jobs.get.query({ id })).status === "completed" ? true : undefined));
      expect(await client.jobs.get.query({ id })).toMatchObject({ status: "completed", attempts: 2, maxAttempts: 6, lostAttempts: 0 });
      const events = await readRunEvents(db, systemViewer, id, null);
      expect(events.map((event) => event.kind).filter((kind) => kind !== "log")).toEqual(["queued", "retrying", "started", "completed"]);
      expect(events.find((event) => event.kind === "retrying")?.data).toMatchObject({ error: unrecordedStartLostError, attempt: 1 });
    } finally {
      holder.release();
      await rescuer?.stop();
    }
  }, 60_000);
});
