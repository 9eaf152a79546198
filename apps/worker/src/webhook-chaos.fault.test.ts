/**
 * Chaos on the real `webhook.deliver` contract, as a user tried it: 300
 * deliveries to a slow receiver on two production workers, ten SIGKILLs and
 * one PostgreSQL restart. The contract backs off 5 s, 25 s, 125 s, 625 s
 * between failed attempts; a lost attempt is not the job's failure, so it
 * is retried at once and charged to the run's lost-attempt budget instead,
 * and every run finishes within 2 minutes of the last kill, exactly once.
 * The receiver sees every run, and a repeat only from an attempt that was
 * lost after it had posted (at-least-once, with the attempt named).
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, createDatabase, submitMany, unrecordedStartLostError, workerLostError } from "@conveyor/db";
import { startOwnPostgres } from "@conveyor/db/testing";
import { catalog, webhookDeliver } from "@conveyor/jobs";
import { killWorkersRepeatedly, lostAttemptCount, runsNotCompletedOnce, runsWithBrokenStories, waitForEveryRunToComplete } from "./testing/chaos";
import { spawnWorker, type SpawnedWorker } from "./testing/spawn-worker";

const runCount = 300;
const kills = 10;

const server = await startOwnPostgres("webhook_chaos");
const url = server.url;
const db = createDatabase(url, { max: 4 });

/** Every POST the receiver answered: the run it was for and the attempt the worker said it was. */
const deliveries: { runId: string; attempt: number }[] = [];
let receiver: Server;
let receiverUrl: string;
beforeAll(async () => {
  // Slow: each answer takes 300-900 ms, so the kills land while deliveries are in flight.
  receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      deliveries.push({ runId: String(req.headers["idempotency-key"]), attempt: Number(req.headers["x-conveyor-attempt"]) });
      setTimeout(() => res.writeHead(200, { "content-type": "text/plain" }).end("ok"), 300 + Math.random() * 600);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const address = receiver.address();
  if (address === null || typeof address === "string") throw new Error("the receiver has no port");
  receiverUrl = `http://127.0.0.1:${address.port}/hook`;
});

const workers: SpawnedWorker[] = [];
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
  await closeDatabase(db);
  await server.remove();
});

// The production worker (src/main.ts) with its own catalogue; spawnWorker admits loopback receivers.
const startWorker = () => spawnWorker(url, { CONVEYOR_WORKER_CONCURRENCY: "5" });

describe("chaos on webhook.deliver", () => {
  it(`delivers ${runCount} webhooks to a slow receiver through ${kills} SIGKILLs and a PostgreSQL restart, each run finished within 2 minutes, exactly once`, { timeout: 300_000 }, async () => {
    workers.push(await startWorker(), await startWorker());
    const items = Array.from({ length: runCount }, (_, n) => ({ type: webhookDeliver.name, input: { url: receiverUrl, payload: { n } } }));
    expect(await submitMany(db, catalog, items)).toHaveLength(runCount);

    await killWorkersRepeatedly(workers, startWorker, server, kills);
    const lastKillAt = Date.now();
    const statuses = await waitForEveryRunToComplete(db, runCount);
    expect(statuses).toEqual([{ status: "completed", count: runCount }]);
    expect(workers.filter((worker) => !worker.alive()).map((worker) => worker.output().slice(-3_000))).toEqual([]);
    expect(await runsNotCompletedOnce(db)).toEqual([]);
    expect(await runsWithBrokenStories(db)).toEqual([]);

    // The kills hit deliveries in flight, and each lost attempt was retried at once: its next attempt
    // was due when the loss was recorded, not after the contract's 5 s backoff.
    const lost = await lostAttemptCount(db);
    expect(lost).toBeGreaterThan(0);
    const delayed = await db.$client<{ run_id: string; delay_ms: number }[]>`
      select run_id, extract(epoch from ((data->>'nextAttemptAt')::timestamptz - at)) * 1000 as delay_ms
        from conveyor.run_events
       where kind = 'retrying' and data->>'error' in (${workerLostError}, ${unrecordedStartLostError})
         and (data->>'nextAttemptAt')::timestamptz - at > interval '1 second'`;
    expect(delayed).toEqual([]);
    // Lost attempts are charged to their own budget (3 per run): none counted as a failed attempt.
    const [failed] = await db.$client<{ count: number }[]>`
      select count(*)::int as count from conveyor.run_events where kind = 'retrying' and data->>'error' not in (${workerLostError}, ${unrecordedStartLostError})`;
    expect(failed?.count).toBe(0);

    // The receiver saw every run; a repeat only from a lost attempt, each naming a new attempt.
    const byRun = new Map<string, number[]>();
    for (const { runId, attempt } of deliveries) byRun.set(runId, [...(byRun.get(runId) ?? []), attempt]);
    expect(byRun.size).toBe(runCount);
    expect(deliveries.length - runCount).toBeLessThanOrEqual(lost);
    expect([...byRun.values()].filter((attempts) => new Set(attempts).size !== attempts.length)).toEqual([]);
    console.log(`webhook chaos: all ${runCount} runs completed ${Date.now() - lastKillAt} ms after the last kill (checks included); ${lost} attempts lost, ${deliveries.length - runCount} repeated deliveries`);
  });
});
