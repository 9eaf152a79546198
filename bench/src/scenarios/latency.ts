import { z } from "zod";
import { createClient } from "@conveyor/api/client";
import { closeDatabase, createDatabase, type Database } from "@conveyor/db";
import { startApiProcess } from "../api-process";
import { nowMs } from "../catalog";
import { freshDatabase } from "../databases";
import { startChild } from "../processes";
import { apiCatalogWorkerEntry } from "../api-catalog-worker-entry";
import { postJson, webhookInput } from "../submit-loop";
import { startHttpPeer } from "./submit";
import { sleep, summarise, until, type Percentiles } from "../stats";
import { benchToken } from "../token";

/** How runs are submitted: one at a time, each after the previous one started; or at a steady rate. */
export type LatencyMode = { kind: "one at a time"; count: number } | { kind: "steady"; perSecond: number; count: number; label: string };

export interface ModeLatency {
  mode: LatencyMode;
  /** Submit call → the handler's first line (the handler notes the time). */
  handlerStart: Percentiles;
  /** Submit call → the run's `started` event reaching a subscriber of all runs. */
  startedEvent: Percentiles;
}

/**
 * Submit → start, as users see it: submits through the API over HTTP
 * (jobs.submit of a webhook delivery, tRPC's wire protocol, sent by the
 * load generator every scenario uses: see `postJson`), the API and a worker
 * whose webhook handler only notes when it started each in their own
 * process, and a subscriber to every run's events (`jobs.events` without an
 * id, over WebSocket, with the tRPC client) in the bench process. The modes
 * run one after the other on the same stack.
 */
export async function submitToStart(serverUrl: string, modes: readonly LatencyMode[]): Promise<ModeLatency[]> {
  const database = await freshDatabase(serverUrl, "latency", "conveyor");
  const db = createDatabase(database.url, { max: 2 });
  const api = await startApiProcess(database.url);
  const worker = await startChild(apiCatalogWorkerEntry, { DATABASE_URL: database.url, BENCH_CONCURRENCY: "20" }, "ready");
  try {
    const token = await benchToken(db);
    const startedEventAt = new Map<string, number>();
    const waiters = new Map<string, () => void>();
    let subscribed = false;
    const subscription = createClient({ url: api.trpcUrl, token, subscriptions: "websocket" }).jobs.events.subscribe(undefined, {
      onStarted: () => void (subscribed = true),
      onData: ({ data }) => {
        if (data.kind !== "started" || startedEventAt.has(data.runId)) return;
        startedEventAt.set(data.runId, nowMs());
        waiters.get(data.runId)?.();
      },
    });
    await until("the subscription to open", async () => subscribed, 10_000, 5);
    // The server registers the live listener as its generator starts, just after the client hears "started".
    await sleep(500);
    const submitUrl = `${api.trpcUrl}/jobs.submit`;
    const authorization = { authorization: `Bearer ${token}` };
    const stack: StackUnderTest = {
      async submit(n) {
        const answer = submitAnswer.parse(await postJson(submitUrl, { type: "webhook.deliver", input: webhookInput(n) }, authorization));
        return answer.result.data.id;
      },
      waitStarted: (id) =>
        startedEventAt.has(id)
          ? Promise.resolve()
          : new Promise<void>((resolve, reject) => {
              const timer = setTimeout(() => reject(new Error(`run ${id}'s started event did not arrive within 30 s`)), 30_000);
              waiters.set(id, () => (clearTimeout(timer), waiters.delete(id), resolve()));
            }),
      handlerStarts: (ids) => handlerStarts(db, ids),
    };
    try {
      const results: ModeLatency[] = [];
      for (const mode of modes) {
        const { submittedAt, handlerStart } = await driveMode(stack, mode);
        await until("every started event to arrive", async () => [...submittedAt.keys()].every((id) => startedEventAt.has(id)), 30_000, 20);
        const event = [...submittedAt].flatMap(([id, at]) => {
          const heard = startedEventAt.get(id);
          return heard === undefined ? [] : [heard - at];
        });
        results.push({ mode, handlerStart, startedEvent: summarise(event) });
      }
      return results;
    } finally {
      subscription.unsubscribe();
    }
  } finally {
    await worker.stop();
    await api.stop();
    await closeDatabase(db);
    await database.drop();
  }
}

/** A peer for the latency scenario: its HTTP submit endpoint and the worker process that runs the jobs. */
export type LatencyPeer = "graphile-worker" | "BullMQ";

/**
 * The same modes, the same load generator, against a peer: a bare HTTP
 * endpoint in front of graphile-worker's `addJob` (or BullMQ's `queue.add`)
 * in one process and the library's worker in another, whose handler only
 * notes when it started (`src/peers/start-log.ts`). What the peer does is
 * the least any stack does between an HTTP submit and a handler's start on
 * the same database (or on Redis): the reference for Conveyor's figures.
 */
export async function peerSubmitToStart(serverUrl: string, redisUrl: string, peer: LatencyPeer, modes: readonly LatencyMode[]): Promise<Percentiles[]> {
  const backend =
    peer === "graphile-worker"
      ? await freshDatabase(serverUrl, "latencypeer", "graphile").then((database) => ({ env: { DATABASE_URL: database.url }, drop: database.drop }))
      : { env: { REDIS_URL: redisUrl, BENCH_PREFIX: `conveyor-bench-latency-${process.pid}` }, drop: async () => {} };
  const [endpoint, runner] = peer === "graphile-worker"
    ? ["src/peers/graphile-http-peer.ts", "src/peers/graphile-latency-worker.ts"]
    : ["src/peers/bullmq-http-peer.ts", "src/peers/bullmq-latency-worker.ts"];
  const worker = await startHttpPeer(runner, backend.env, "/started");
  const submits = await startHttpPeer(endpoint, backend.env);
  try {
    const started = (ids: readonly string[]) => postJson(worker.url, { ids }).then((answer) => startedAnswer.parse(answer));
    const stack: StackUnderTest = {
      submit: async (n) => jobAnswer.parse(await postJson(submits.url, { type: "webhook.deliver", input: webhookInput(n) })).id,
      waitStarted: async (id) => void (await started([id])),
      handlerStarts: async (ids) => new Map(Object.entries(await started(ids))),
    };
    const results: Percentiles[] = [];
    for (const mode of modes) results.push((await driveMode(stack, mode)).handlerStart);
    return results;
  } finally {
    await worker.stop();
    await submits.stop();
    await backend.drop();
  }
}

/** What the modes need of a stack: submit run `n`, and learn when runs started. */
interface StackUnderTest {
  /** Submit the n-th run; resolves with its id once the server answered. */
  submit(n: number): Promise<string>;
  /** Resolves when the run has started (Conveyor: its `started` event reached the subscriber). */
  waitStarted(id: string): Promise<void>;
  /** When each run's handler started, once all have. */
  handlerStarts(ids: readonly string[]): Promise<Map<string, number>>;
}

/** One mode's submits against a stack: when each was submitted, and submit → handler start. */
async function driveMode(stack: StackUnderTest, mode: LatencyMode): Promise<{ submittedAt: Map<string, number>; handlerStart: Percentiles }> {
  const submittedAt = new Map<string, number>();
  const timedSubmit = async (n: number) => {
    const at = nowMs();
    const id = await stack.submit(n);
    submittedAt.set(id, at);
    return id;
  };
  if (mode.kind === "one at a time") {
    for (let n = 0; n < mode.count; n++) {
      await stack.waitStarted(await timedSubmit(n));
      // Let its completion land too, so the next submit meets an idle stack.
      await sleep(20);
    }
  } else {
    const pending: Promise<string>[] = [];
    const firstAt = performance.now();
    for (let n = 0; n < mode.count; n++) {
      const wait = firstAt + (n * 1000) / mode.perSecond - performance.now();
      if (wait > 0) await sleep(wait);
      pending.push(timedSubmit(n));
    }
    await Promise.all(pending);
  }
  const startedAt = await stack.handlerStarts([...submittedAt.keys()]);
  const handler = [...submittedAt].flatMap(([id, at]) => {
    const started = startedAt.get(id);
    return started === undefined ? [] : [started - at];
  });
  // Drain between modes, so one's queue never becomes the next one's latency.
  await sleep(500);
  return { submittedAt, handlerStart: summarise(handler) };
}

const submitAnswer = z.object({ result: z.object({ data: z.object({ id: z.string() }) }) });
const jobAnswer = z.object({ id: z.string() });
const startedAnswer = z.record(z.string(), z.number());

const handlerAnswer = z.object({ startedAt: z.number() });

/**
 * When each run's handler started, read once all have completed: the bench
 * worker's webhook.deliver answers with it as its response body.
 */
async function handlerStarts(db: Database, ids: readonly string[]): Promise<Map<string, number>> {
  const startedAt = new Map<string, number>();
  await until("every run to complete", async () => {
    const rows = await db.$client<{ id: string; body: string | null }[]>`
      select /* bench */ id, output->>'responseBody' as body from conveyor.runs where id = any(${ids}::uuid[]) and status = 'completed'`;
    for (const row of rows) startedAt.set(row.id, row.body ? handlerAnswer.parse(JSON.parse(row.body)).startedAt : Number.NaN);
    return startedAt.size >= ids.length;
  }, 120_000, 50);
  return startedAt;
}
