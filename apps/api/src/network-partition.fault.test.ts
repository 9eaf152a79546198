/**
 * Network partitions in real network namespaces. A worker and an API run
 * each in a namespace of its own and reach PostgreSQL over a veth link (to a
 * TCP forwarder on the host, since the test's server listens on loopback);
 * the API's callers reach it over a second link. Both database links are cut
 * for 60 s: packets are dropped without an answer, so connections hang, as
 * across a real partition, rather than being refused.
 *
 * The cut-off worker's attempts are taken over by a worker on the host within
 * 30 s; when the link heals its late results are discarded, no run completes
 * twice, and it takes runs again. The cut-off API answers SERVICE_UNAVAILABLE
 * ("database unavailable") instead of hanging or failing with a 500, and its
 * subscribers, on the streams they opened before, see runs again after it heals.
 *
 * Namespaces need root and iproute2: in CI (these machines have both) the
 * test always runs; elsewhere it runs where it can.
 */
import { afterAll, describe, expect, it } from "vitest";
import { TRPCClientError } from "@trpc/client";
import { submitMany } from "@conveyor/db";
import { createTestDatabase, waitFor } from "@conveyor/db/testing";
import { spawnWorker, type SpawnedWorker } from "@conveyor/worker/testing";
import { chaosCatalog } from "@conveyor/worker/testing/chaos-catalog";
import { createClient } from "./client";
import { canMakeNamespaces, createNamespace, type NetworkNamespace } from "./testing/network-namespace";
import { spawnApi, type SpawnedApi } from "./testing/spawn-api";
import { startTcpProxy, type TcpProxy } from "./testing/tcp-proxy";
import { issueTestToken } from "./testing/tokens";

const partitionMs = Number(process.env.PARTITION_MS ?? 60_000);
const subscriberCount = 10;
const chaosEntry = "src/testing/chaos-worker.ts";
const runnable = process.env.CI === "true" || (await canMakeNamespaces());

const namespaces: NetworkNamespace[] = [];
const proxies: TcpProxy[] = [];
const processes: (SpawnedWorker | SpawnedApi)[] = [];
afterAll(async () => {
  await Promise.all(processes.map((child) => child.stop()));
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await Promise.all(namespaces.map((namespace) => namespace.remove()));
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The worker id a spawned worker logged in its "worker started" line. */
function workerIdOf(worker: SpawnedWorker): string {
  const line = worker.output().split("\n").find((text) => text.includes('"worker started"'));
  const id = line ? (JSON.parse(line) as { workerId?: unknown }).workerId : undefined;
  if (typeof id !== "string") throw new Error(`no worker id in the worker's output:\n${worker.output()}`);
  return id;
}

describe.runIf(runnable)("network partitions in real namespaces", () => {
  it(`a worker and an API cut off from PostgreSQL for ${partitionMs / 1000} s: takeover, clear refusals, no double completion, rejoin`, { timeout: partitionMs + 300_000 }, async () => {
    const { url, db } = await createTestDatabase();
    await db.$client`create table public.chaos_effects (id bigserial primary key, run_id uuid not null, attempt int not null)`;
    const postgresAddress = new URL(url);
    const postgresTarget = { host: postgresAddress.hostname, port: Number(postgresAddress.port || 5432) };
    /** The database URL as seen from a namespace: a forwarder on the host's end of its link. */
    const reachThrough = async (hostAddress: string) => {
      const proxy = await startTcpProxy(postgresTarget, hostAddress);
      proxies.push(proxy);
      const seen = new URL(url);
      seen.hostname = hostAddress;
      seen.port = String(proxy.port);
      return seen.toString();
    };

    const workerNamespace = await createNamespace();
    const apiNamespace = await createNamespace();
    namespaces.push(workerNamespace, apiNamespace);
    const workerLink = await workerNamespace.addLink();
    const apiDatabaseLink = await apiNamespace.addLink();
    const apiCallerLink = await apiNamespace.addLink();

    const cutOffWorker = await spawnWorker(await reachThrough(workerLink.hostAddress), { CONVEYOR_WORKER_CONCURRENCY: "5" }, chaosEntry, {
      launcher: workerNamespace.command,
    });
    processes.push(cutOffWorker);
    const api = await spawnApi(await reachThrough(apiDatabaseLink.hostAddress), { CONVEYOR_API_HOST: apiCallerLink.namespaceAddress }, "src/main.ts", {
      launcher: apiNamespace.command,
    });
    processes.push(api);
    const client = createClient({ url: api.url, token: await issueTestToken(db, { ownerId: "ops", role: "admin" }) });
    expect(new URL(api.url).hostname).toBe(apiCallerLink.namespaceAddress);

    // Subscribers of every run, each on a stream of its own, opened before the partition.
    const subscribers = Array.from({ length: subscriberCount }, () => ({ listening: false, completed: [] as string[], errors: [] as string[] }));
    const subscriptions = subscribers.map((subscriber) =>
      client.jobs.events.subscribe(undefined, {
        // The stream's `connected` frame: it listens from here on.
        onStarted: () => (subscriber.listening = true),
        onData: ({ data }) => {
          if (data.kind === "completed") subscriber.completed.push(data.runId);
        },
        onError: (error) => subscriber.errors.push(error.message),
      }),
    );
    const seenByAll = (runIds: readonly string[]) =>
      subscribers.every((subscriber) => runIds.every((id) => subscriber.completed.includes(id))) ? true : undefined;

    // The streams listen: a quick run's completion reaches every subscriber.
    await waitFor("every stream to listen", async () => (subscribers.every((subscriber) => subscriber.listening) ? true : undefined), { timeoutMs: 30_000 });
    const [warmUp] = await submitMany(db, chaosCatalog, [{ type: "chaos.effect", input: { workMs: 0 } }]);
    await waitFor("every subscriber to see the first run complete", async () => seenByAll([warmUp!.id]), { timeoutMs: 30_000 });

    // Five attempts of 5 s running on the worker that will be cut off.
    const cutOffId = workerIdOf(cutOffWorker);
    const longRuns = (await submitMany(db, chaosCatalog, Array.from({ length: 5 }, () => ({ type: "chaos.effect", input: { workMs: 5_000 } })))).map((run) => run.id);
    await waitFor(
      "the five runs to start on the worker in the namespace",
      async () => {
        const [row] = await db.$client<{ n: number }[]>`
          select count(*)::int as n from conveyor.run_events
           where run_id = any(${longRuns}::uuid[]) and kind = 'started' and data->>'workerId' = ${cutOffId}`;
        return row?.n === 5 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );

    await Promise.all([workerLink.cut(), apiDatabaseLink.cut()]);
    const cutAt = Date.now();

    // A worker on the host takes the runs over: their next attempts start there within 30 s.
    const takeover = await spawnWorker(url, { CONVEYOR_WORKER_CONCURRENCY: "5" }, chaosEntry);
    processes.push(takeover);
    const takeoverId = workerIdOf(takeover);
    const takenOverAfterMs = await waitFor(
      "the cut-off worker's runs to start again on the host's worker",
      async () => {
        const [row] = await db.$client<{ n: number }[]>`
          select count(distinct run_id)::int as n from conveyor.run_events
           where run_id = any(${longRuns}::uuid[]) and kind = 'started' and data->>'workerId' = ${takeoverId}`;
        return row?.n === 5 ? Date.now() - cutAt : undefined;
      },
      { timeoutMs: 40_000, intervalMs: 200 },
    );
    expect(takenOverAfterMs).toBeLessThanOrEqual(30_000);

    // The cut-off API answers, at once or within its database timeout (10 s), that the database is
    // unavailable: SERVICE_UNAVAILABLE with a Retry-After, never a 500 or a hang.
    const refusedAt = Date.now();
    const refused = await client.jobs.list.query({ limit: 5 }).then(
      () => {
        throw new Error("the cut-off API answered as if it reached PostgreSQL");
      },
      (error: unknown) => error,
    );
    const refusedAfterMs = Date.now() - refusedAt;
    if (!(refused instanceof TRPCClientError)) throw new Error(`not a tRPC error: ${String(refused)}`);
    expect(refused.data).toMatchObject({ code: "SERVICE_UNAVAILABLE", httpStatus: 503, retryAfterSeconds: 2 });
    expect(refused.message).toMatch(/^database unavailable \(/);
    expect(refusedAfterMs).toBeLessThan(15_000);

    await pause(Math.max(0, partitionMs - (Date.now() - cutAt)));
    await Promise.all([workerLink.heal(), apiDatabaseLink.heal()]);
    const healedAt = Date.now();

    // It rejoins: with the host's worker gone, new runs complete on it.
    await takeover.stop();
    const afterHeal = (await submitMany(db, chaosCatalog, Array.from({ length: 5 }, () => ({ type: "chaos.effect", input: { workMs: 100 } })))).map((run) => run.id);
    await waitFor(
      "the rejoined worker to complete new runs",
      async () => {
        const [row] = await db.$client<{ n: number }[]>`select count(*)::int as n from conveyor.runs where id = any(${afterHeal}::uuid[]) and status = 'completed'`;
        return row?.n === 5 ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    const rejoinedAfterMs = Date.now() - healedAt;
    const starters = await db.$client<{ worker: string }[]>`
      select distinct data->>'workerId' as worker from conveyor.run_events where run_id = any(${afterHeal}::uuid[]) and kind = 'started'`;
    expect(starters.map((row) => row.worker)).toEqual([cutOffId]);
    expect(cutOffWorker.alive()).toBe(true);

    // The cut-off attempts' outcomes (a late result, or a failure to reach PostgreSQL for the side
    // effect) reached PostgreSQL before the rejoined worker's completions, on the same connection, and
    // were discarded: each long run's story is one lost attempt, taken over, completed once.
    const stories = await db.$client<{ id: string; kinds: string[]; errors: (string | null)[] }[]>`
      select run_id as id, array_agg(kind::text order by id) as kinds, array_agg(data->>'error' order by id) as errors
        from conveyor.run_events where run_id = any(${longRuns}::uuid[]) and kind <> 'progress' group by run_id`;
    expect(stories.map((story) => story.kinds)).toEqual(Array.from({ length: 5 }, () => ["queued", "started", "retrying", "started", "completed"]));
    for (const story of stories) expect(story.errors[2]).toMatch(/^worker lost/);

    // Every run completed exactly once: the long runs on their second attempt, on the host's worker.
    const all = [warmUp!.id, ...longRuns, ...afterHeal];
    const completions = await db.$client<{ id: string; attempts: number; completions: number }[]>`
      select r.id, r.attempts,
             (select count(*)::int from conveyor.run_events e where e.run_id = r.id and e.kind = 'completed') as completions
        from conveyor.runs r where r.id = any(${all}::uuid[]) and r.status = 'completed'`;
    expect(completions).toHaveLength(all.length);
    expect(completions.filter((row) => row.completions !== 1)).toEqual([]);
    expect(completions.filter((row) => longRuns.includes(row.id)).map((row) => row.attempts)).toEqual([2, 2, 2, 2, 2]);

    // The API answers again, and its subscribers, on the streams opened before the partition, see
    // the runs completed after it healed, each once.
    await waitFor("the API to answer again", () => client.jobs.list.query({ limit: 5 }).then(() => true, () => undefined), { timeoutMs: 120_000, intervalMs: 1_000 });
    await waitFor("every subscriber to see the runs completed after the partition", async () => seenByAll(afterHeal), { timeoutMs: 120_000 }).catch((error: unknown) => {
      const behind = subscribers.filter((subscriber) => !afterHeal.every((id) => subscriber.completed.includes(id)));
      throw new Error(`${String(error)}: ${behind.length} subscribers behind; errors: ${JSON.stringify(behind.flatMap((subscriber) => subscriber.errors).slice(0, 5))}`);
    });
    for (const subscription of subscriptions) subscription.unsubscribe();
    for (const subscriber of subscribers) {
      expect(afterHeal.map((id) => subscriber.completed.filter((seen) => seen === id).length)).toEqual([1, 1, 1, 1, 1]);
    }
    expect(subscribers.flatMap((subscriber) => subscriber.errors)).toEqual([]);
    expect(api.lines.some((line) => line.includes('"code":"INTERNAL_SERVER_ERROR"'))).toBe(false);
    // And it stops cleanly on SIGTERM (graphile-worker's own stop, which hung after a partition in 1
    // stop of 4, is bounded by the grace period).
    expect(await cutOffWorker.stop()).toBe(0);
    console.log(
      `partition: taken over ${takenOverAfterMs} ms after the cut; the API refused in ${refusedAfterMs} ms; the worker rejoined ${rejoinedAfterMs} ms after the link healed`,
    );
  });
});
