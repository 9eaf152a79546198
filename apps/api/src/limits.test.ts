/**
 * Per-token limits, as users meet them, on two real API processes sharing one
 * database: the submission rate, batch size, unfinished runs, open
 * subscriptions, and the largest request body. No worker runs, so submitted
 * runs stay unfinished.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCClientError } from "@trpc/client";
import { sql } from "drizzle-orm";
import { createToken } from "@conveyor/db";
import { createTestDatabase, waitFor } from "@conveyor/db/testing";
import { createClient, type ConveyorClient } from "./client";
import { issueTestToken } from "./testing/tokens";
import { spawnApi, type SpawnedApi } from "./testing/spawn-api";
import type { AppRouter } from "./root";

type EventsInput = Parameters<ConveyorClient["jobs"]["events"]["subscribe"]>[0];

const { db, url: databaseUrl } = await createTestDatabase();
/** Two API processes with the same settings: 1 submission per second, bursts of 10, bodies up to 100 kB. */
let apis: [SpawnedApi, SpawnedApi];
const settings = { CONVEYOR_SUBMIT_RATE: "1", CONVEYOR_SUBMIT_BURST: "10", CONVEYOR_MAX_BODY_BYTES: "100000" };

beforeAll(async () => {
  apis = await Promise.all([spawnApi(databaseUrl, settings), spawnApi(databaseUrl, settings)]);
}, 60_000);

afterAll(async () => {
  await Promise.all((apis ?? []).map((api) => api?.stop()));
});

/** One client per API process, for the same token. */
function clientsOf(token: string, subscriptions: "sse" | "websocket" = "sse"): [ConveyorClient, ConveyorClient] {
  return [createClient({ url: apis[0].url, token, subscriptions }), createClient({ url: apis[1].url, token, subscriptions })];
}

type Outcome = { ok: true; id: string } | { ok: false; error: TRPCClientError<AppRouter> };

function outcome(promise: Promise<{ id: string }>): Promise<Outcome> {
  return promise.then(
    ({ id }) => ({ ok: true, id }),
    (error: unknown) => {
      if (!(error instanceof TRPCClientError)) throw error;
      return { ok: false, error: error as TRPCClientError<AppRouter> };
    },
  );
}

const note = (text: string) => ({ type: "document.analyze" as const, input: { text } });

async function runsOf(owner: string): Promise<number> {
  const [row] = await db.execute<{ runs: number }>(sql`select count(*)::int as runs from conveyor.runs where owner_id = ${owner}`);
  return row?.runs ?? -1;
}

describe("submission rate", () => {
  it("holds across two API processes: the burst, then what the rate refills; the rest are refused with when to retry", async () => {
    // No limits of its own: the processes' defaults apply.
    const { token } = await createToken(db, { ownerId: "carol" });
    const clients = clientsOf(token);
    expect((await clients[1].tokens.whoami.query()).limits).toMatchObject({ submitRate: 1, submitBurst: 10 });

    const startedAt = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, index) => outcome(clients[index % 2]!.jobs.submit.mutate(note(`Note ${index}.`)))),
    );
    const elapsedSeconds = (performance.now() - startedAt) / 1000;

    const accepted = outcomes.filter((entry) => entry.ok);
    const refused = outcomes.flatMap((entry) => (entry.ok ? [] : [entry.error]));
    expect(accepted.length).toBeGreaterThanOrEqual(10);
    expect(accepted.length).toBeLessThanOrEqual(10 + Math.ceil(elapsedSeconds * 1));
    expect(accepted.length + refused.length).toBe(30);
    for (const error of refused) {
      expect(error.data?.code).toBe("TOO_MANY_REQUESTS");
      expect(error.data?.httpStatus).toBe(429);
      expect(error.message).toMatch(/^rate limit: this token may submit 1 run per second \(bursts of 10\); try again in \d+ s$/);
      expect(error.data?.retryAfterSeconds).toBeGreaterThan(0);
    }

    // The HTTP answer says when to come back, as a Retry-After header (a raw call, as from curl).
    let acceptedRaw = 0;
    const response = await waitFor("a refused raw submission", async () => {
      const answer = await fetch(`${apis[0].url}/jobs.submit`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify(note("Raw.")),
      });
      if (answer.ok) acceptedRaw++;
      return answer.status === 429 ? answer : undefined;
    });
    const retryAfter = Number(response.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    const body = (await response.json()) as { error: { data: { code: string; retryAfterSeconds: number } } };
    expect(body.error.data).toMatchObject({ code: "TOO_MANY_REQUESTS", retryAfterSeconds: retryAfter });

    expect(await runsOf("carol")).toBe(accepted.length + acceptedRaw);
    // Both processes refused some (each logs what it refused, never the input).
    for (const api of apis) expect(api.lines.some((line) => line.includes('"code":"TOO_MANY_REQUESTS"'))).toBe(true);
  });

  it("refuses a batch larger than the burst at once, naming the burst, and writes nothing of it", async () => {
    const token = await issueTestToken(db, { ownerId: "dan", submitRate: 1_000, submitBurst: 5 });
    const [client] = clientsOf(token);
    const items = Array.from({ length: 6 }, (_, index) => note(`Item ${index}.`));
    const error = await client.jobs.submitMany.mutate({ items }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCClientError);
    const refused = error as TRPCClientError<AppRouter>;
    expect(refused.data?.code).toBe("TOO_MANY_REQUESTS");
    expect(refused.message).toBe("a batch of 6 runs is more than this token's burst of 5: send smaller batches, or ask an admin for a token with a larger burst");
    // Waiting would not help.
    expect(refused.data?.retryAfterSeconds).toBeNull();
    expect(await runsOf("dan")).toBe(0);
    // The refusal spent nothing: a batch of the whole burst still goes through.
    expect(await client.jobs.submitMany.mutate({ items: items.slice(0, 5) })).toHaveLength(5);
    expect(await runsOf("dan")).toBe(5);
  });
});

describe("unfinished runs", () => {
  it("caps an owner's unfinished runs across both processes; cancelling one frees a slot", async () => {
    const token = await issueTestToken(db, { ownerId: "dora", maxUnfinishedRuns: 3 });
    const clients = clientsOf(token);
    // One at a time, alternating between the processes: the cap is exact.
    const outcomes = [];
    for (let index = 0; index < 5; index++) outcomes.push(await outcome(clients[index % 2]!.jobs.submit.mutate(note(`Task ${index}.`))));
    const accepted = outcomes.flatMap((entry) => (entry.ok ? [entry.id] : []));
    const refused = outcomes.flatMap((entry) => (entry.ok ? [] : [entry.error]));
    expect(accepted).toHaveLength(3);
    expect(refused).toHaveLength(2);
    for (const error of refused) {
      expect(error.data?.code).toBe("TOO_MANY_REQUESTS");
      expect(error.message).toBe("dora has 3 unfinished runs and may have at most 3: wait for some to finish, or cancel some");
      expect(error.data?.retryAfterSeconds).toBeNull();
    }
    // At the cap, submissions arriving together are all refused (concurrent ones may overshoot
    // the cap only while it is not reached yet: each reads the count without waiting for the others).
    const together = await Promise.all(Array.from({ length: 6 }, (_, index) => outcome(clients[index % 2]!.jobs.submit.mutate(note(`Extra ${index}.`)))));
    expect(together.filter((entry) => entry.ok)).toHaveLength(0);
    expect(await runsOf("dora")).toBe(3);

    await clients[0].jobs.cancel.mutate({ id: accepted[0]! });
    const next = await clients[1].jobs.submit.mutate(note("After the cancel."));
    expect(next.status).toBe("queued");
    const again = await outcome(clients[0].jobs.submit.mutate(note("One too many.")));
    expect(again.ok ? "accepted" : again.error.data?.code).toBe("TOO_MANY_REQUESTS");
  });
});

describe("open subscriptions", () => {
  /** A stream of one unfinished run: live once it has replayed the run's queued event. */
  interface Stream {
    live: Promise<void>;
    /** Settles with the error the stream ended with (if it ends with one). */
    failed: Promise<TRPCClientError<AppRouter>>;
    close(): void;
  }
  const streams: Stream[] = [];
  afterAll(() => {
    for (const stream of streams) stream.close();
  });

  function open(client: ConveyorClient, input: EventsInput): Stream {
    let live!: () => void;
    let failed!: (error: TRPCClientError<AppRouter>) => void;
    const stream: Stream = {
      live: new Promise((resolve) => (live = resolve)),
      failed: new Promise((resolve) => (failed = resolve)),
      close: () => subscription.unsubscribe(),
    };
    const subscription = client.jobs.events.subscribe(input, {
      onData: () => live(),
      onError: (error) => failed(error as TRPCClientError<AppRouter>),
    });
    streams.push(stream);
    return stream;
  }

  /** Whether a new stream goes live, or the error that refuses it. */
  async function attempt(client: ConveyorClient, input: EventsInput): Promise<{ stream: Stream } | { error: TRPCClientError<AppRouter> }> {
    const stream = open(client, input);
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the stream neither started nor failed in 10 s")), 10_000));
    return Promise.race([stream.live.then(() => ({ stream })), stream.failed.then((error) => ({ error })), timeout]);
  }

  async function expectRefused(client: ConveyorClient, input: EventsInput): Promise<void> {
    const result = await attempt(client, input);
    expect("error" in result ? result.error.data?.code : "live").toBe("TOO_MANY_REQUESTS");
    if ("error" in result) expect(result.error.message).toBe("this token already has 2 subscriptions open, its limit: close one first");
  }

  /** Open a stream once a slot is free: a closed stream's lease is released shortly after it closes. */
  async function openWhenFree(client: ConveyorClient, input: EventsInput): Promise<Stream> {
    return waitFor(
      "a subscription slot to be released",
      async () => {
        const result = await attempt(client, input);
        return "stream" in result ? result.stream : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
  }

  it("caps a token's open subscriptions; closing one frees its slot", async () => {
    const token = await issueTestToken(db, { ownerId: "erin", maxSubscriptions: 2 });
    const [client] = clientsOf(token);
    const { id } = await client.jobs.submit.mutate(note("Waits for a worker."));
    const first = await attempt(client, { id });
    const second = await attempt(client, { id });
    expect("stream" in first && "stream" in second).toBe(true);
    await expectRefused(client, { id });
    await expectRefused(client, undefined);

    if ("stream" in first) first.stream.close();
    const replacement = await openWhenFree(client, { id });
    await expectRefused(client, { id });
    replacement.close();
    if ("stream" in second) second.stream.close();
  });

  it("holds across two API processes and both transports", async () => {
    const token = await issueTestToken(db, { ownerId: "fred", maxSubscriptions: 2 });
    const [overSse] = clientsOf(token, "sse");
    const [, overWs] = clientsOf(token, "websocket");
    const { id } = await overSse.jobs.submit.mutate(note("Waits for a worker."));
    const onFirst = await attempt(overSse, { id });
    const onSecond = await attempt(overWs, { id });
    expect("stream" in onFirst && "stream" in onSecond).toBe(true);
    await expectRefused(overSse, { id });
    await expectRefused(overWs, { id });

    if ("stream" in onSecond) onSecond.stream.close();
    const replacement = await openWhenFree(overSse, { id });
    await expectRefused(overWs, { id });
    replacement.close();
    if ("stream" in onFirst) onFirst.stream.close();
  });
});

describe("request size", () => {
  it("answers an oversized submission with 413 PAYLOAD_TOO_LARGE, writes nothing and keeps serving", async () => {
    const token = await issueTestToken(db, { ownerId: "gina" });
    const [client] = clientsOf(token);
    const error = await client.jobs.submit.mutate(note("x".repeat(150_000))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<AppRouter>).data).toMatchObject({ code: "PAYLOAD_TOO_LARGE", httpStatus: 413 });

    const raw = await fetch(`${apis[0].url}/jobs.submit`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(note("x".repeat(150_000))),
    });
    expect(raw.status).toBe(413);
    expect(((await raw.json()) as { error: { data: { code: string } } }).error.data.code).toBe("PAYLOAD_TOO_LARGE");

    expect(await client.health.query()).toMatchObject({ database: true, migrations: true });
    // A body under the limit still goes through.
    expect(await client.jobs.submit.mutate(note("x".repeat(50_000)))).toMatchObject({ status: "queued" });
    expect(await runsOf("gina")).toBe(1);
  });
});
