/**
 * Tenants never see each other: bob tries every procedure on alice's runs and
 * tokens, over HTTP, SSE and WebSocket, and gets exactly what he would get for
 * something that does not exist. The admin sees everyone.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCClientError } from "@trpc/client";
import { sql } from "drizzle-orm";
import { enqueue, scheduleRunKey } from "@conveyor/db";
import { catalog } from "@conveyor/jobs";
import { createTestDatabase, waitFor } from "@conveyor/db/testing";
import { spawnWorker, type SpawnedWorker } from "@conveyor/worker/testing";
import { createClient, type ConveyorClient } from "./client";
import { startApiServer, type ApiServer } from "./server";
import { issueTestToken } from "./testing/tokens";
import type { AppRouter } from "./root";

type RunEventMessage = Parameters<
  NonNullable<NonNullable<Parameters<ConveyorClient["jobs"]["events"]["subscribe"]>[1]>["onData"]>
>[0]["data"];
type EventsInput = Parameters<ConveyorClient["jobs"]["events"]["subscribe"]>[0];

const { db, url: databaseUrl } = await createTestDatabase();
let api: ApiServer;
let worker: SpawnedWorker;
const clients: Record<"alice" | "bob" | "admin" | "bobWs" | "adminWs", ConveyorClient> = {} as never;
let bobToken: string;

/** A webhook receiver that always answers 500, so deliveries to it fail. */
const receiver = createServer((req, res) => {
  req.resume();
  res.writeHead(500).end("no");
});
let receiverUrl: string;

/** Alice's runs, in the states where bob's actions on them would succeed if he could reach them. */
const alice = { analyzed: "", failedHook: "", waiting: "", keyed: "" };
/** Bob's runs: one before alice's, one after. */
const bob = { first: "", sentinel: "", keyed: "" };
let scheduled: string;

/** A subscription collecting its events, or its error. */
interface Stream {
  events: RunEventMessage[];
  error: unknown;
  close(): void;
}
const streams: Stream[] = [];

function watch(client: ConveyorClient, input: EventsInput): Stream {
  const stream: Stream = { events: [], error: undefined, close: () => subscription.unsubscribe() };
  const subscription = client.jobs.events.subscribe(input, {
    onData: (tracked) => stream.events.push(tracked.data),
    onError: (error) => (stream.error = error),
  });
  streams.push(stream);
  return stream;
}

const sees = (stream: Stream, runId: string, kind: string) =>
  stream.events.some((event) => event.runId === runId && event.kind === kind) ? true : undefined;

async function errorOf(promise: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  const error = await promise.then(
    (value) => new Error(`expected an error, got ${JSON.stringify(value)}`),
    (error: unknown) => error,
  );
  if (!(error instanceof TRPCClientError)) throw error;
  return error as TRPCClientError<AppRouter>;
}

/** The error a subscription ends with; it must send no data before. */
function subscriptionError(client: ConveyorClient, input: EventsInput): Promise<TRPCClientError<AppRouter>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.unsubscribe();
      reject(new Error("the subscription neither failed nor ended within 10 s"));
    }, 10_000);
    const subscription = client.jobs.events.subscribe(input, {
      onData: (tracked) => {
        clearTimeout(timer);
        subscription.unsubscribe();
        reject(new Error(`the subscription sent data: ${JSON.stringify(tracked.data)}`));
      },
      onError: (error) => {
        clearTimeout(timer);
        subscription.unsubscribe();
        resolve(error as TRPCClientError<AppRouter>);
      },
      onComplete: () => {
        clearTimeout(timer);
        reject(new Error("the subscription ended without an error"));
      },
    });
  });
}

/** Everything a caller can tell from an error (message, code, status, data), with the asked-for id masked. */
function shapeOf(error: TRPCClientError<AppRouter>, id: string): unknown {
  return JSON.parse(JSON.stringify({ message: error.message, data: error.data }).replaceAll(id, "<id>"));
}

/** Bob's error for alice's id must be exactly his error for an id that was never used. */
async function expectSameAsMissing(
  attempt: (id: string) => Promise<unknown>,
  aliceId: string,
): Promise<TRPCClientError<AppRouter>> {
  const missingId = crypto.randomUUID();
  // One after the other, so that each travels alone (the client batches concurrent calls).
  const forAlice = await errorOf(attempt(aliceId));
  const forMissing = await errorOf(attempt(missingId));
  expect(forAlice.data?.code).toBe("NOT_FOUND");
  expect(shapeOf(forAlice, aliceId)).toEqual(shapeOf(forMissing, missingId));
  return forAlice;
}

function documentOf(sentences: number): string {
  const words = ["Conveyor", "moves", "slow", "work", "into", "the", "background", "and", "reports", "progress"];
  let text = "";
  for (let i = 0; i < sentences; i++) text += `${words.slice(i % 5).join(" ")} number ${i}.${i % 7 === 6 ? "\n\n" : " "}`;
  return text;
}

async function status(id: string): Promise<string> {
  return (await clients.admin.jobs.get.query({ id })).status;
}

let bobStreams: { sse: Stream; ws: Stream };
let adminStreams: { sse: Stream; ws: Stream };

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  [api, worker] = await Promise.all([
    startApiServer({ databaseUrl, port: 0 }),
    spawnWorker(databaseUrl, { CONVEYOR_WORKER_CONCURRENCY: "4" }),
  ]);
  const [aliceToken, adminToken] = await Promise.all([
    issueTestToken(db, { ownerId: "alice", role: "user", name: "alice's laptop" }),
    issueTestToken(db, { ownerId: "ops", role: "admin" }),
  ]);
  bobToken = await issueTestToken(db, { ownerId: "bob", role: "user", name: "bob's laptop" });
  clients.alice = createClient({ url: api.url, token: aliceToken });
  clients.bob = createClient({ url: api.url, token: bobToken });
  clients.bobWs = createClient({ url: api.url, token: bobToken, subscriptions: "websocket" });
  clients.admin = createClient({ url: api.url, token: adminToken });
  clients.adminWs = createClient({ url: api.url, token: adminToken, subscriptions: "websocket" });

  // Streams of every run, open while everyone's runs progress.
  bobStreams = { sse: watch(clients.bob, undefined), ws: watch(clients.bobWs, undefined) };
  adminStreams = { sse: watch(clients.admin, undefined), ws: watch(clients.adminWs, undefined) };
  const all = [bobStreams.sse, bobStreams.ws, adminStreams.sse, adminStreams.ws];

  // A stream holds its lease from just before it starts listening: with all four leased, all four are live.
  await waitFor("every stream to be live", async () => {
    const [row] = await db.execute<{ leases: number }>(sql`select count(*)::int as leases from conveyor.subscription_leases`);
    return row?.leases === all.length ? true : undefined;
  });
  bob.first = (await clients.bob.jobs.submit.mutate({ type: "document.analyze", input: { text: "Bob's short note." } })).id;
  await waitFor("every stream to see bob's first run", async () => (all.every((stream) => sees(stream, bob.first, "queued")) ? true : undefined));

  const [analyzed, failedHook, waiting, keyed] = await Promise.all([
    clients.alice.jobs.submit.mutate({ type: "document.analyze", input: { title: "Alice's secret plan", text: documentOf(3_000) } }),
    clients.alice.jobs.submit.mutate({
      type: "webhook.deliver",
      input: { url: receiverUrl, payload: { for: "alice" } },
      options: { maxAttempts: 1 },
    }),
    clients.alice.jobs.submit.mutate({
      type: "document.analyze",
      input: { text: "Not yet." },
      options: { runAt: new Date(Date.now() + 60 * 60_000).toISOString() },
    }),
    clients.alice.jobs.submit.mutate({ type: "document.analyze", input: { text: "Keyed." }, options: { idempotencyKey: "order-42" } }),
  ]);
  Object.assign(alice, { analyzed: analyzed.id, failedHook: failedHook.id, waiting: waiting.id, keyed: keyed.id });
  // A schedule's firing, as the worker's cron writes it: a run of the "system" owner.
  scheduled = (
    await enqueue(db, catalog, {
      type: "runs.prune",
      input: {},
      options: { idempotencyKey: scheduleRunKey("prune-finished-runs", new Date().toISOString()) },
    })
  ).id;

  await waitFor(
    "alice's runs to finish (seen by the admin)",
    async () =>
      sees(adminStreams.sse, alice.analyzed, "completed") &&
      sees(adminStreams.sse, alice.failedHook, "failed") &&
      sees(adminStreams.sse, alice.keyed, "completed") &&
      sees(adminStreams.sse, scheduled, "completed"),
    { timeoutMs: 20_000 },
  );
  // Events reach each stream in order: once bob's streams have this later run's end, they had every earlier event.
  bob.sentinel = (await clients.bob.jobs.submit.mutate({ type: "document.analyze", input: { text: "Bob's sentinel." } })).id;
  await waitFor("every stream to see bob's sentinel complete", async () =>
    all.every((stream) => sees(stream, bob.sentinel, "completed")) ? true : undefined,
  );
}, 60_000);

afterAll(async () => {
  for (const stream of streams) stream.close();
  await worker?.stop();
  await api?.close();
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

describe("streams of every run", () => {
  it("carry bob's runs to bob, over SSE and WebSocket, and none of alice's or the system's", () => {
    const foreign = new Set([...Object.values(alice), scheduled]);
    for (const stream of [bobStreams.sse, bobStreams.ws]) {
      expect(stream.error).toBeUndefined();
      expect(stream.events.filter((event) => foreign.has(event.runId))).toEqual([]);
      expect(new Set(stream.events.map((event) => event.runId))).toEqual(new Set([bob.first, bob.sentinel]));
      const sentinel = stream.events.filter((event) => event.runId === bob.sentinel).map((event) => event.kind);
      expect(sentinel[0]).toBe("queued");
      expect(sentinel.at(-1)).toBe("completed");
    }
  });

  it("carry everyone's runs to the admin, over SSE and WebSocket", () => {
    for (const stream of [adminStreams.sse, adminStreams.ws]) {
      expect(stream.error).toBeUndefined();
      expect(sees(stream, alice.analyzed, "started")).toBe(true);
      expect(sees(stream, alice.analyzed, "completed")).toBe(true);
      expect(sees(stream, alice.failedHook, "failed")).toBe(true);
      expect(sees(stream, scheduled, "completed")).toBe(true);
      expect(sees(stream, bob.first, "completed")).toBe(true);
      expect(sees(stream, bob.sentinel, "completed")).toBe(true);
    }
    // Alice's analysis reported progress, which bob never saw.
    expect(sees(adminStreams.sse, alice.analyzed, "progress")).toBe(true);
  });

  it("replay to bob only his own past events when resumed from the beginning", async () => {
    const replay = watch(clients.bob, { lastEventId: "0" });
    const adminReplay = watch(clients.adminWs, { lastEventId: "0" });
    await waitFor("both replays to reach bob's sentinel", async () =>
      sees(replay, bob.sentinel, "completed") && sees(adminReplay, bob.sentinel, "completed"),
    );
    replay.close();
    adminReplay.close();
    expect(new Set(replay.events.map((event) => event.runId))).toEqual(new Set([bob.first, bob.sentinel]));
    expect(sees(adminReplay, alice.failedHook, "failed")).toBe(true);
  });
});

describe("bob on alice's runs", () => {
  it("jobs.get answers NOT_FOUND, as for a run that never existed", async () => {
    const error = await expectSameAsMissing((id) => clients.bob.jobs.get.query({ id }), alice.analyzed);
    expect(error.message).toBe(`run ${alice.analyzed} was not found`);
    expect(error.data?.httpStatus).toBe(404);
    expect(await clients.alice.jobs.get.query({ id: alice.analyzed })).toMatchObject({ status: "completed" });
  });

  it("jobs.cancel answers NOT_FOUND and her waiting run keeps waiting", async () => {
    expect(await status(alice.waiting)).toBe("scheduled");
    await expectSameAsMissing((id) => clients.bob.jobs.cancel.mutate({ id }), alice.waiting);
    // Not CONFLICT either for a finished run: that would tell him it exists.
    await expectSameAsMissing((id) => clients.bob.jobs.cancel.mutate({ id }), alice.analyzed);
    expect(await status(alice.waiting)).toBe("scheduled");
  });

  it("jobs.retry answers NOT_FOUND and her failed run stays failed", async () => {
    await expectSameAsMissing((id) => clients.bob.jobs.retry.mutate({ id }), alice.failedHook);
    await expectSameAsMissing((id) => clients.bob.jobs.retry.mutate({ id }), alice.analyzed);
    expect(await status(alice.failedHook)).toBe("failed");
  });

  it("jobs.events of her run fails NOT_FOUND over SSE and WebSocket, sending nothing", async () => {
    for (const client of [clients.bob, clients.bobWs]) {
      const missingId = crypto.randomUUID();
      const [forAlice, forMissing, forWaiting] = await Promise.all([
        subscriptionError(client, { id: alice.analyzed }),
        subscriptionError(client, { id: missingId }),
        subscriptionError(client, { id: alice.waiting }),
      ]);
      expect(forAlice.data?.code).toBe("NOT_FOUND");
      expect(shapeOf(forAlice, alice.analyzed)).toEqual(shapeOf(forMissing, missingId));
      expect(shapeOf(forWaiting, alice.waiting)).toEqual(shapeOf(forMissing, missingId));
    }
  });

  it("jobs.list shows none of hers, with or without filters", async () => {
    const hers = new Set(Object.values(alice));
    const pages = await Promise.all([
      clients.bob.jobs.list.query(),
      clients.bob.jobs.list.query({ type: "webhook.deliver" }),
      clients.bob.jobs.list.query({ type: "document.analyze", limit: 100 }),
      clients.bob.jobs.list.query({ status: "failed" }),
      clients.bob.jobs.list.query({ status: "scheduled" }),
    ]);
    for (const page of pages) expect(page.items.filter((run) => hers.has(run.id))).toEqual([]);
    expect(pages[0].items.map((run) => run.id).sort()).toEqual([bob.first, bob.sentinel].sort());
    expect(pages[1].items).toEqual([]);
    expect(pages[3].items).toEqual([]);
  });

  it("jobs.retryFailed retries none of hers", async () => {
    expect(await clients.bob.jobs.retryFailed.mutate({})).toEqual({ retried: 0, ids: [] });
    expect(await clients.bob.jobs.retryFailed.mutate({ type: "webhook.deliver" })).toEqual({ retried: 0, ids: [] });
    expect(await status(alice.failedHook)).toBe("failed");
  });

  it("queues.stats counts only his runs and shows him no workers", async () => {
    const stats = await clients.bob.queues.stats.query();
    expect(stats.workers).toEqual([]);
    expect(stats.queues.map((entry) => entry.type)).toEqual(["document.analyze"]);
    expect(stats.queues[0]?.counts).toEqual({ queued: 0, scheduled: 0, running: 0, completed: 2, failed: 0, cancelled: 0 });
    expect(stats.queues[0]?.failedLastHour).toBe(0);
    expect(stats.throughput.reduce((sum, minute) => sum + minute.completed + minute.failed, 0)).toBe(2);
  });

  it("schedules.list shows him no scheduled runs", async () => {
    const [forBob, forAdmin] = await Promise.all([clients.bob.schedules.list.query(), clients.admin.schedules.list.query()]);
    expect(forBob.map((schedule) => schedule.lastRuns)).toEqual(forBob.map(() => []));
    expect(forAdmin.find((schedule) => schedule.name === "prune-finished-runs")?.lastRuns.map((run) => run.id)).toEqual([scheduled]);
  });

  it("the same idempotency key gives him a run of his own, not hers", async () => {
    const submitted = await clients.bob.jobs.submit.mutate({ type: "document.analyze", input: { text: "Keyed." }, options: { idempotencyKey: "order-42" } });
    bob.keyed = submitted.id;
    expect(submitted.deduplicated).toBe(false);
    expect(submitted.id).not.toBe(alice.keyed);
    await waitFor("bob's keyed run to finish", async () => ((await status(bob.keyed)) === "completed" ? true : undefined));
  });
});

describe("tokens", () => {
  it("tokens.list shows bob only his own tokens", async () => {
    const tokens = await clients.bob.tokens.list.query();
    expect(tokens.map((token) => token.ownerId)).toEqual(["bob"]);
    expect(tokens[0]?.name).toBe("bob's laptop");
  });

  it("tokens.revoke of alice's token answers NOT_FOUND, as for a token that never existed, and hers keeps working", async () => {
    const { tokenId } = await clients.alice.tokens.whoami.query();
    const missingId = crypto.randomUUID();
    const forAlice = await errorOf(clients.bob.tokens.revoke.mutate({ id: tokenId }));
    const forMissing = await errorOf(clients.bob.tokens.revoke.mutate({ id: missingId }));
    expect(forAlice.data?.code).toBe("NOT_FOUND");
    expect(shapeOf(forAlice, tokenId)).toEqual(shapeOf(forMissing, missingId));
    expect(await clients.alice.tokens.whoami.query()).toMatchObject({ ownerId: "alice", tokenId });
  });

  it("tokens.create is for admins only", async () => {
    const error = await errorOf(clients.bob.tokens.create.mutate({ ownerId: "bob", role: "admin" }));
    expect(error.data?.code).toBe("FORBIDDEN");
  });

  it("a revoked token is refused by every new request: queries, SSE, and a WebSocket already open", async () => {
    const token = await issueTestToken(db, { ownerId: "bob", name: "to revoke" });
    const http = createClient({ url: api.url, token });
    const ws = createClient({ url: api.url, token, subscriptions: "websocket" });
    // A WebSocket connection opened while the token was valid, kept open by a stream of every run.
    const held = watch(ws, undefined);
    const open = watch(ws, { id: bob.first });
    await waitFor("the connection to replay bob's run", async () => sees(open, bob.first, "completed"));

    const { tokenId } = await http.tokens.whoami.query();
    expect((await http.tokens.revoke.mutate({ id: tokenId })).revokedAt).not.toBeNull();

    const refused = await errorOf(http.jobs.list.query());
    expect(refused.data?.code).toBe("UNAUTHORIZED");
    expect(refused.message).toMatch(/was revoked at/);
    const overSse = await subscriptionError(http, undefined);
    expect(overSse.data?.code).toBe("UNAUTHORIZED");
    const overWs = await subscriptionError(ws, { id: bob.first });
    expect(overWs.data?.code).toBe("UNAUTHORIZED");
    expect(overWs.message).toMatch(/was revoked at/);
    // The stream opened before the revocation ends at the next lease renewal (every 20 s): not waited for here.
    held.close();
  });
});

describe("the admin", () => {
  it("lists alice's and bob's runs", async () => {
    const page = await clients.admin.jobs.list.query({ limit: 100 });
    const ids = new Set(page.items.map((run) => run.id));
    for (const id of [...Object.values(alice), bob.first, bob.sentinel, bob.keyed, scheduled]) expect(ids.has(id)).toBe(true);
    const owners = await db.execute<{ owner_id: string; runs: number }>(
      sql`select owner_id, count(*)::int as runs from conveyor.runs group by owner_id order by owner_id`,
    );
    expect(page.items).toHaveLength(owners.reduce((sum, row) => sum + row.runs, 0));
  });

  it("counts alice's and bob's runs in the stats and sees the worker", async () => {
    const stats = await clients.admin.queues.stats.query();
    const hooks = stats.queues.find((entry) => entry.type === "webhook.deliver");
    expect(hooks?.counts.failed).toBe(1);
    const analyses = stats.queues.find((entry) => entry.type === "document.analyze");
    // Alice: analysed, keyed (completed), waiting (scheduled); bob: first, sentinel, keyed, probe (queued or done).
    expect(analyses?.counts.scheduled).toBe(1);
    expect(analyses?.counts.completed).toBeGreaterThanOrEqual(5);
    expect(stats.workers.filter((entry) => entry.alive)).toHaveLength(1);
  });
});
