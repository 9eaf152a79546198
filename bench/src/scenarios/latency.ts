import { z } from "zod";
import { createClient, type ConveyorClient } from "@conveyor/api/client";
import { closeDatabase, createDatabase, type Database } from "@conveyor/db";
import { startApiProcess } from "../api-process";
import { nowMs } from "../catalog";
import { freshDatabase } from "../databases";
import { startChild } from "../processes";
import { apiCatalogWorkerEntry } from "../api-catalog-worker-entry";
import { webhookInput } from "../submit-loop";
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
 * (jobs.submit of a webhook delivery with the tRPC client, 20 clients taking
 * turns), the API and a worker whose webhook handler only notes when it
 * started each in their own process, and a subscriber to every run's
 * events (`jobs.events` without an id, over WebSocket) in the bench process.
 * The modes run one after the other on the same stack.
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
    const clients = Array.from({ length: 20 }, () => createClient({ url: api.trpcUrl, token }));
    const results: ModeLatency[] = [];
    try {
      for (const mode of modes) {
        const submittedAt = new Map<string, number>();
        if (mode.kind === "one at a time") {
          for (let i = 0; i < mode.count; i++) {
            const client = clients[i % clients.length];
            if (!client) throw new Error("no client");
            const { id, at } = await timedSubmit(client, i);
            submittedAt.set(id, at);
            if (!startedEventAt.has(id)) {
              await new Promise<void>((resolve, reject) => {
                const timer = setTimeout(() => reject(new Error(`run ${id}'s started event did not arrive within 30 s`)), 30_000);
                waiters.set(id, () => (clearTimeout(timer), resolve()));
              });
            }
            waiters.delete(id);
            // Let its completion land too, so the next submit meets an idle stack.
            await sleep(20);
          }
        } else {
          const pending: Promise<void>[] = [];
          const firstAt = performance.now();
          for (let i = 0; i < mode.count; i++) {
            const wait = firstAt + (i * 1000) / mode.perSecond - performance.now();
            if (wait > 0) await sleep(wait);
            const client = clients[i % clients.length];
            if (!client) throw new Error("no client");
            pending.push(timedSubmit(client, i).then(({ id, at }) => void submittedAt.set(id, at)));
          }
          await Promise.all(pending);
        }
        const handlerStartedAt = await handlerStarts(db, [...submittedAt.keys()]);
        await until("every started event to arrive", async () => [...submittedAt.keys()].every((id) => startedEventAt.has(id)), 30_000, 20);
        const handler: number[] = [];
        const event: number[] = [];
        for (const [id, at] of submittedAt) {
          const started = handlerStartedAt.get(id);
          const heard = startedEventAt.get(id);
          if (started !== undefined) handler.push(started - at);
          if (heard !== undefined) event.push(heard - at);
        }
        results.push({ mode, handlerStart: summarise(handler), startedEvent: summarise(event) });
        // Drain between modes, so one's queue never becomes the next one's latency.
        await sleep(500);
      }
    } finally {
      subscription.unsubscribe();
    }
    return results;
  } finally {
    await worker.stop();
    await api.stop();
    await closeDatabase(db);
    await database.drop();
  }
}

async function timedSubmit(client: ConveyorClient, n: number): Promise<{ id: string; at: number }> {
  const at = nowMs();
  const { id } = await client.jobs.submit.mutate({ type: "webhook.deliver", input: webhookInput(n) });
  return { id, at };
}

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
