import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { TRPCClientError } from "@trpc/client";
import { sql } from "drizzle-orm";
import { readRunEvents, systemViewer } from "@conveyor/db";
import { createTestDatabase, waitFor } from "@conveyor/db/testing";
import { spawnWorker, type SpawnedWorker } from "@conveyor/worker/testing";
import { createClient, type ConveyorClient } from "./client";
import { startApiServer, type ApiServer } from "./server";
import { issueTestToken } from "./testing/tokens";
import { documentOf } from "./testing/documents";
import { startTcpProxy, type TcpProxy } from "./testing/tcp-proxy";
import type { AppRouter, RouterInputs, RouterOutputs } from "./root";

/** One event as a client receives it (tRPC's wire view of RunEventMessage). */
type RunEventMessage = Parameters<
  NonNullable<NonNullable<Parameters<ConveyorClient["jobs"]["events"]["subscribe"]>[1]>["onData"]>
>[0]["data"];

const { db, url: databaseUrl } = await createTestDatabase();
let api: ApiServer;
let worker: SpawnedWorker;
let client: ConveyorClient;
let token: string;

beforeAll(async () => {
  [api, worker] = await Promise.all([
    startApiServer({ databaseUrl, port: 0 }),
    spawnWorker(databaseUrl, { CONVEYOR_WORKER_CONCURRENCY: "4" }),
  ]);
  token = await issueTestToken(db, { ownerId: "alice", role: "admin" });
  client = createClient({ url: api.url, token });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await api?.close();
});

async function countRuns(): Promise<number> {
  const [row] = await db.execute<{ runs: number }>(sql`select count(*)::int as runs from conveyor.runs`);
  return row?.runs ?? -1;
}

/** POST a raw body to a mutation, as a client without our types might; returns tRPC's error. */
async function postRaw(path: string, body: string): Promise<{ status: number; code: string; message: string }> {
  const response = await fetch(`${api.url}/${path}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body });
  const json = (await response.json()) as { error: { message: string; data: { code: string } } };
  return { status: response.status, code: json.error.data.code, message: json.error.message };
}

/** Collect a subscription's events until `until` says stop (or the stream ends), with a timeout. */
function collect(
  target: ConveyorClient,
  input: { id?: string; lastEventId?: string | null },
  until: (events: RunEventMessage[]) => boolean,
  timeoutMs = 20_000,
): Promise<RunEventMessage[]> {
  return new Promise((resolve, reject) => {
    const events: RunEventMessage[] = [];
    const timer = setTimeout(() => {
      subscription.unsubscribe();
      reject(new Error(`stream stopped early after ${events.map((e) => e.kind).join(",")}`));
    }, timeoutMs);
    const finish = (error?: unknown) => {
      clearTimeout(timer);
      subscription.unsubscribe();
      if (error) reject(error);
      else resolve(events);
    };
    const subscription = target.jobs.events.subscribe(input, {
      onData: (tracked) => {
        events.push(tracked.data);
        if (until(events)) finish();
      },
      onError: (error) => finish(error),
      onComplete: () => finish(),
    });
  });
}

const finishedKinds = new Set(["completed", "failed", "cancelled"]);
const ended = (events: RunEventMessage[]) => finishedKinds.has(events.at(-1)?.kind ?? "");

describe("health and job types", () => {
  it("reports a reachable, migrated database and the live worker", async () => {
    expect(await client.health.query()).toEqual({ status: "ok", database: true, migrations: true, workers: 1 });
  });

  it("lists the job types with JSON Schemas and defaults", async () => {
    const types = await client.jobs.types.query();
    const analyze = types.find((type) => type.name === "document.analyze");
    expect(types.map((type) => type.name).sort()).toEqual(["document.analyze", "runs.prune", "webhook.deliver"]);
    expect(analyze?.defaults).toMatchObject({ maxAttempts: 3, priority: "normal" });
    expect(analyze?.inputSchema).toMatchObject({ type: "object", required: ["text"] });
  });
});

describe("submit, watch, inspect", () => {
  it("streams progress in order, then completion, and returns the typed result", async () => {
    const text = documentOf(40_000);
    const { id, status } = await client.jobs.submit.mutate({ type: "document.analyze", input: { text, title: "Long" } });
    expect(status).toBe("queued");

    const events = await collect(client, { id }, ended);
    const kinds = events.map((event) => event.kind);
    expect(kinds[0]).toBe("queued");
    expect(kinds[1]).toBe("started");
    expect(kinds.at(-1)).toBe("completed");
    const percents = events.flatMap((event) => (event.progress ? [event.progress.percent] : []));
    expect(percents.length).toBeGreaterThan(0);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    const ids = events.map((event) => Number(event.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));

    const run = await client.jobs.get.query({ id });
    expect(run.status).toBe("completed");
    if (run.type !== "document.analyze") throw new Error(`unexpected type ${run.type}`);
    // Narrowing on `type` types the output from the contract.
    expectTypeOf(run.output?.sentences).toEqualTypeOf<number | undefined>();
    expectTypeOf(run.output?.keywords).toEqualTypeOf<{ word: string; count: number }[] | undefined>();
    expect(run.output?.sentences).toBe(40_000);
    expect(run.output?.keywords.map((keyword) => keyword.word)).toContain("conveyor");
    expect(run.progress.percent).toBe(100);
  });

  it("rejects bad input with BAD_REQUEST naming the field, and creates nothing", async () => {
    const before = await countRuns();
    const failures = await Promise.all([
      client.jobs.submit.mutate({ type: "document.analyze", input: { text: "" } }).catch((error: unknown) => error),
      client.jobs.submit
        .mutate({ type: "document.analyze", input: { text: "ok", topKeywords: 500 } })
        .catch((error: unknown) => error),
      client.jobs.submit
        .mutate({ type: "webhook.deliver", input: { url: "ftp://example.test", payload: {} } })
        .catch((error: unknown) => error),
    ]);
    const messages = failures.map((failure) => {
      expect(failure).toBeInstanceOf(TRPCClientError);
      const error = failure as TRPCClientError<AppRouter>;
      expect(error.data?.code).toBe("BAD_REQUEST");
      return error.message;
    });
    expect(messages[0]).toBe("input.text: the document is empty");
    expect(messages[1]).toMatch(/^input\.topKeywords: /);
    expect(messages[2]).toMatch(/^input\.url: must be an http\(s\) URL/);

    // What the types refuse at compile time is refused on the wire too.
    expectTypeOf<{ type: "document.summon"; input: { text: string } }>().not.toExtend<RouterInputs["jobs"]["submit"]>();
    const unknownType = await postRaw("jobs.submit", JSON.stringify({ type: "document.summon", input: { text: "x" } }));
    expect(unknownType).toMatchObject({ status: 400, code: "BAD_REQUEST" });
    expect(unknownType.message).toBe('type: unknown job type "document.summon"; known types: document.analyze, webhook.deliver, runs.prune');
    const badOption = await postRaw("jobs.submit", JSON.stringify({ type: "document.analyze", input: { text: "x" }, options: { priority: "urgent" } }));
    expect(badOption.message).toMatch(/^options\.priority: /);
    const extraField = await postRaw("jobs.submit", JSON.stringify({ type: "document.analyze", input: { text: "x" }, owner: "mallory" }));
    expect(extraField.message).toBe("owner: unknown field");
    const malformed = await postRaw("jobs.submit", "{not json");
    expect(malformed).toMatchObject({ status: 400, code: "BAD_REQUEST" });
    expect(malformed.message).toMatch(/JSON/);
    expect(await countRuns()).toBe(before);
  });

  it("submits a batch in one call, or refuses it whole naming the bad item", async () => {
    const items = Array.from({ length: 500 }, (_, i) => ({ type: "document.analyze" as const, input: { text: `Batch document ${i}.` } }));
    const submitted = await client.jobs.submitMany.mutate({ items });
    expect(submitted).toHaveLength(500);
    const refused = await client.jobs.submitMany
      .mutate({ items: [...items, { type: "document.analyze", input: { text: "" } }] })
      .catch((error: unknown) => error);
    expect((refused as TRPCClientError<AppRouter>).data?.code).toBe("BAD_REQUEST");
    expect((refused as TRPCClientError<AppRouter>).message).toBe("items.500.input.text: the document is empty");
  });

  it("answers NOT_FOUND for an unknown run and BAD_REQUEST for a malformed id", async () => {
    const missing = await client.jobs.get.query({ id: crypto.randomUUID() }).catch((error: unknown) => error);
    expect((missing as TRPCClientError<AppRouter>).data?.code).toBe("NOT_FOUND");
    const malformed = await client.jobs.get.query({ id: "42; drop table runs" }).catch((error: unknown) => error);
    expect((malformed as TRPCClientError<AppRouter>).data?.code).toBe("BAD_REQUEST");
    expect((malformed as TRPCClientError<AppRouter>).message).toBe("id: must be a run id (a UUID)");
    const stream = await collect(client, { id: crypto.randomUUID() }, () => true, 5_000).catch((error: unknown) => error);
    expect(stream).toBeInstanceOf(TRPCClientError);
    expect((stream as TRPCClientError<AppRouter>).data?.code).toBe("NOT_FOUND");
  });

  it("pages through runs newest first with a cursor, filtered by type", async () => {
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      created.unshift((await client.jobs.submit.mutate({ type: "webhook.deliver", input: { url: "http://127.0.0.1:9/", payload: { i } } })).id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: RouterOutputs["jobs"]["list"] = await client.jobs.list.query({ type: "webhook.deliver", limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((run) => run.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(created);
    // Without any input: the first page of everything, newest first.
    const everything = await client.jobs.list.query();
    expect(everything.items.length).toBeGreaterThan(0);
    const bad = await client.jobs.list.query({ cursor: "not-a-cursor" }).catch((error: unknown) => error);
    expect((bad as TRPCClientError<AppRouter>).message).toBe("cursor: is not a cursor returned by jobs.list");
  });

  it("finds runs by a whole id, the start of an id, or part of the label (wildcards taken literally)", async () => {
    const submitTitled = (title: string) => client.jobs.submit.mutate({ type: "document.analyze", input: { title, text: "Searchable." } });
    const quarterly = await submitTitled("Quarterly report 100%_final");
    const other = await submitTitled("Minutes of the board");
    const ids = async (search: string) => (await client.jobs.list.query({ search, limit: 100 })).items.map((run) => run.id);
    expect(await ids("QUARTERLY")).toEqual([quarterly.id]);
    expect(await ids("100%_f")).toEqual([quarterly.id]);
    expect(await ids("%")).toEqual([quarterly.id]);
    expect(await ids(other.id)).toEqual([other.id]);
    expect(await ids(other.id.slice(0, 8).toUpperCase())).toContain(other.id);
  });
});

describe("resuming a stream with lastEventId", () => {
  it("replays exactly the events missed while disconnected, then live ones", async () => {
    const { id } = await client.jobs.submit.mutate({ type: "document.analyze", input: { text: documentOf(60_000) } });
    const before = await collect(client, { id }, (events) => events.some((event) => event.kind === "started"));
    const lastEventId = before.at(-1)?.id ?? null;
    const after = await collect(client, { id, lastEventId }, ended);

    const stored = (await readRunEvents(db, systemViewer, id, null)).map((event) => String(event.id));
    expect([...before, ...after].map((event) => event.id)).toEqual(stored);
  });

  it.each(["sse", "websocket"] as const)("recovers from a dropped %s connection by itself, losing and repeating nothing", async (subscriptions) => {
    const { port } = new URL(api.url);
    const proxy: TcpProxy = await startTcpProxy({ host: "127.0.0.1", port: Number(port) });
    try {
      const viaProxy = createClient({ url: `http://127.0.0.1:${proxy.port}/trpc`, token, subscriptions });
      const { id } = await client.jobs.submit.mutate({ type: "document.analyze", input: { text: documentOf(60_000) } });
      let cut = false;
      const events = await collect(viaProxy, { id }, (seen) => {
        if (!cut && seen.some((event) => event.kind === "started")) {
          cut = true;
          proxy.cutAll();
        }
        return ended(seen);
      });
      expect(cut).toBe(true);
      const stored = (await readRunEvents(db, systemViewer, id, null)).map((event) => String(event.id));
      expect(events.map((event) => event.id)).toEqual(stored);
    } finally {
      await proxy.close();
    }
  });

  it("streams every run's events to a subscriber without a run id", async () => {
    const received: RunEventMessage[] = [];
    let started!: () => void;
    const live = new Promise<void>((resolve) => (started = resolve));
    const subscription = client.jobs.events.subscribe(undefined, {
      onStarted: () => started(),
      onData: (tracked) => received.push(tracked.data),
    });
    try {
      await live;
      const { id } = await client.jobs.submit.mutate({ type: "document.analyze", input: { text: "Short text." } });
      await waitFor("the completed event of the run", async () =>
        received.some((event) => event.runId === id && event.kind === "completed") ? true : undefined,
      );
    } finally {
      subscription.unsubscribe();
    }
  });
});
