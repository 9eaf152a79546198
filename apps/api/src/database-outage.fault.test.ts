/**
 * PostgreSQL stopped for 60 s under load: submits from 10 clients,
 * processing by a worker, 100 subscribers of every run, the API and the
 * worker in processes of their own. While it is away, submits are refused
 * with SERVICE_UNAVAILABLE and a Retry-After (never a 500); after it comes
 * back on the same port with the same data, nothing restarts: throughput
 * returns within 10 s, every accepted run completes exactly once, no run is
 * half-written, and every subscriber sees runs completing again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCClientError } from "@trpc/client";
import { closeDatabase, createDatabase } from "@conveyor/db";
import { startOwnPostgres, waitFor } from "@conveyor/db/testing";
import { spawnWorker, type SpawnedWorker } from "@conveyor/worker/testing";
import { createClient, type ConveyorClient } from "./client";
import { spawnApi, type SpawnedApi } from "./testing/spawn-api";
import { issueTestToken } from "./testing/tokens";

const outageMs = Number(process.env.OUTAGE_MS ?? 60_000);
const subscriberCount = 100;
const submitters = 10;

const server = await startOwnPostgres("outage");
const url = server.url;
const db = createDatabase(url, { max: 2 });
let api: SpawnedApi;
let worker: SpawnedWorker;
let client: ConveyorClient;

beforeAll(async () => {
  [api, worker] = await Promise.all([spawnApi(url), spawnWorker(url, { CONVEYOR_WORKER_CONCURRENCY: "20" })]);
  client = createClient({ url: api.url, token: await issueTestToken(db, { ownerId: "load", role: "admin" }) });
}, 90_000);

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await closeDatabase(db);
  await server.remove();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a PostgreSQL outage under load", () => {
  it(`refuses submits retryably for ${outageMs / 1000} s, loses nothing accepted, and recovers within 10 s without restarts`, { timeout: outageMs + 180_000 }, async () => {
    // 100 subscribers of every run (admins see all), each on its own connection.
    // Each keeps what a failure needs to tell a silent stream from a stalled or ended one.
    const subscribers = Array.from({ length: subscriberCount }, () => ({ completedAt: [] as number[], errors: [] as string[], events: 0, lastEventAt: 0, states: [] as string[] }));
    const subscriptions = subscribers.map((subscriber) =>
      client.jobs.events.subscribe(undefined, {
        onData: ({ data }) => {
          subscriber.events++;
          subscriber.lastEventAt = Date.now();
          if (data.kind === "completed") subscriber.completedAt.push(Date.now());
        },
        onError: (error) => subscriber.errors.push(error.message),
        onComplete: () => subscriber.states.push(`complete at ${Date.now()}`),
        onConnectionStateChange: (state) => subscriber.states.push(`${state.state}${state.error ? ` (${state.error.message})` : ""} at ${Date.now()}`),
      }),
    );

    // Submitters: each sends one run at a time; a refused one waits the Retry-After it was given.
    const accepted: string[] = [];
    const refusals = new Map<string, number>();
    const retryAfters = new Set<number | null>();
    let running = true;
    const submitting = Array.from({ length: submitters }, async (_, n) => {
      for (let i = 0; running; i++) {
        try {
          const { id } = await client.jobs.submit.mutate({ type: "document.analyze", input: { text: `Submitter ${n}, run ${i}. It goes on.` } });
          accepted.push(id);
        } catch (error) {
          // A failure with no code (the request never got a tRPC answer) is kept with its message, so the
          // assertion below says what it was.
          const code =
            error instanceof TRPCClientError
              ? (error.data?.code ?? `no code: ${error.message}${error.cause ? ` (cause: ${String(error.cause)})` : ""}`)
              : `not a tRPC error: ${String(error)}`;
          refusals.set(code, (refusals.get(code) ?? 0) + 1);
          const retryAfter = error instanceof TRPCClientError ? error.data?.retryAfterSeconds : null;
          retryAfters.add(retryAfter ?? null);
          await pause(200);
        }
      }
    });

    const completedSince = async (since: Date) => {
      const [row] = await db.$client<{ n: number }[]>`select count(*)::int as n from conveyor.runs where status = 'completed' and finished_at >= ${since.toISOString()}::timestamptz`;
      return row?.n ?? 0;
    };
    await pause(5_000);
    const before = new Date(Date.now() - 4_000);
    const rateBefore = (await completedSince(before)) / 4;
    expect(rateBefore).toBeGreaterThan(5);

    await server.stop();
    const stoppedAt = Date.now();
    // While it is away the API answers at once, and says the database is unavailable.
    await waitFor("a submit refused as unavailable", async () => ((refusals.get("SERVICE_UNAVAILABLE") ?? 0) > 0 ? true : undefined), { timeoutMs: 10_000 });
    const acceptedBeforeOutage = accepted.length;
    expect(await client.health.query()).toMatchObject({ status: "down", database: false });
    const refusedBeforeWait = refusals.get("SERVICE_UNAVAILABLE") ?? 0;
    const waitFrom = Date.now();
    await pause(Math.max(0, outageMs - (Date.now() - stoppedAt)));
    // Accepted during the outage: at most the submits in flight when it began.
    expect(accepted.length - acceptedBeforeOutage).toBeLessThanOrEqual(submitters);
    // Answered at once all through it: each submitter, pausing 200 ms between tries, is refused at
    // least twice a second (not held for the 10 s deadline while a connection waits to retry).
    const refusedPerSecond = ((refusals.get("SERVICE_UNAVAILABLE") ?? 0) - refusedBeforeWait) / ((Date.now() - waitFrom) / 1000);
    expect(refusedPerSecond).toBeGreaterThanOrEqual(submitters * 2);

    await server.start();
    const backAt = new Date();
    // Throughput is back within 10 s of PostgreSQL: some second in that window completes at least half the rate before.
    const recoveredAt = await waitFor(
      "completions back at half the rate before the outage",
      async () => {
        const lastSecond = new Date(Date.now() - 1_000);
        return lastSecond >= backAt && (await completedSince(lastSecond)) >= rateBefore / 2 ? Date.now() : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    const recoveredAfterMs = recoveredAt - backAt.getTime();

    running = false;
    await Promise.all(submitting);
    // Every accepted run completes exactly once; no process was restarted.
    await waitFor(
      "every accepted run to complete",
      async () => {
        const [row] = await db.$client<{ open: number }[]>`select count(*)::int as open from conveyor.runs where id = any(${accepted}::uuid[]) and status <> 'completed'`;
        return row?.open === 0 ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const [runs] = await db.$client<{ accepted: number; total: number; broken: number; notOnce: number }[]>`
      select (select count(*)::int from conveyor.runs where id = any(${accepted}::uuid[])) as accepted,
             (select count(*)::int from conveyor.runs) as total,
             -- half-written: a run without its queued event, or a waiting run without its job
             (select count(*)::int from conveyor.runs r
               where not exists (select 1 from conveyor.run_events e where e.run_id = r.id and e.kind = 'queued')
                  or (r.status in ('queued', 'scheduled') and not exists (select 1 from graphile_worker._private_jobs j where j.key = 'run:' || r.id))) as broken,
             (select count(*)::int from conveyor.runs r
               where r.status = 'completed' and (select count(*) from conveyor.run_events e where e.run_id = r.id and e.kind = 'completed') <> 1) as "notOnce"`;
    expect(runs).toMatchObject({ accepted: accepted.length, broken: 0, notOnce: 0 });
    // A refused submit that had committed as PostgreSQL went down (its answer lost) is a whole run too.
    expect((runs?.total ?? 0) - accepted.length).toBeLessThanOrEqual(submitters);

    // Refusals: only SERVICE_UNAVAILABLE, each saying when to retry.
    expect([...refusals.keys()]).toEqual(["SERVICE_UNAVAILABLE"]);
    expect([...retryAfters]).toEqual([2]);
    expect(api.lines.some((line) => line.includes('"code":"INTERNAL_SERVER_ERROR"') || line.includes("procedure failed"))).toBe(false);
    expect(worker.alive()).toBe(true);

    // Every subscriber saw runs complete after the outage, on the subscription it opened before it.
    const back = backAt.getTime();
    await waitFor("every subscriber to see completions after the outage", async () =>
      subscribers.every((subscriber) => subscriber.completedAt.some((at) => at > back)) ? true : undefined,
    ).catch((error: unknown) => {
      const behind = subscribers.filter((subscriber) => !subscriber.completedAt.some((at) => at > back));
      const described = behind.slice(0, 5).map(({ events, lastEventAt, states, errors }) => ({ events, lastEventMsAfterBack: lastEventAt - back, states, errors }));
      throw new Error(`${String(error)}: ${behind.length} subscribers saw none (back at ${back}): ${JSON.stringify(described)}`);
    });
    for (const subscription of subscriptions) subscription.unsubscribe();
    expect(subscribers.flatMap((subscriber) => subscriber.errors)).toEqual([]);
    console.log(`outage: ${rateBefore.toFixed(0)} runs/s before, back at half that ${recoveredAfterMs} ms after PostgreSQL returned; ${accepted.length} accepted, ${refusals.get("SERVICE_UNAVAILABLE")} refused as unavailable (${refusedPerSecond.toFixed(0)}/s)`);
  });
});
