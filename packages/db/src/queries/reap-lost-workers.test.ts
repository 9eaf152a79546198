import { describe, expect, it } from "vitest";
import { catalog } from "@conveyor/jobs";
import { createTestDatabase } from "../testing";
import { systemViewer } from "../access/viewer";
import { submit } from "./submit";
import { getRun } from "./read-runs";
import { readRunEvents } from "./read-events";
import { claimRuns } from "./run-transitions";
import { heartbeatWorker } from "./worker-heartbeats";
import { reapLostWorkers, releaseOrphanedJobLocks, workerLostError } from "./reap-lost-workers";

const { db } = await createTestDatabase();
const sql = db.$client;

let workers = 0;
/** Start the run's attempt on a worker that then dies: registered, and silent for a minute. */
async function loseAttempt(runId: string, attempt: number): Promise<void> {
  const workerId = `doomed-${++workers}`;
  await heartbeatWorker(db, { id: workerId, hostname: "test", pid: 1, concurrency: 1, jobTypes: ["document.analyze"], graphileWorkerIds: [] });
  expect(await claimRuns(sql, [{ runId, attempt }], { workerId, startedAt: new Date().toISOString() })).toHaveLength(1);
  await sql`update conveyor.workers set heartbeat_at = now() - interval '1 minute' where id = ${workerId}`;
  expect((await reapLostWorkers(db)).runs).toEqual([runId]);
}

describe("lost attempts", () => {
  it("are retried at once and given back to maxAttempts, each counted on the run", async () => {
    const { id } = await submit(db, catalog, { type: "document.analyze", input: { text: "Hello world." } });
    await loseAttempt(id, 1);
    const afterOne = await getRun(db, systemViewer, id);
    expect(afterOne).toMatchObject({ status: "scheduled", attempts: 1, maxAttempts: 4, lostAttempts: 1, maxLostAttempts: 3, error: workerLostError });
    // No backoff: the next attempt may start now (document.analyze's backoff would be 5 s).
    expect(afterOne.runAt.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
    const [job] = await sql<{ attempt: number; due: boolean }[]>`
      select (payload->>'attempt')::int as attempt, run_at <= now() + interval '1 second' as due
        from graphile_worker._private_jobs where key = ${`run:${id}`}`;
    expect(job).toEqual({ attempt: 2, due: true });
    const events = await readRunEvents(db, systemViewer, id, null);
    expect(events.find((event) => event.kind === "retrying")?.data).toMatchObject({ error: workerLostError, attempt: 1, lostAttempts: 1 });
  });

  it("fail the run when it has lost maxLostAttempts of them, saying so", async () => {
    const { id } = await submit(db, catalog, { type: "document.analyze", input: { text: "A handler that kills its worker." } });
    await loseAttempt(id, 1);
    await loseAttempt(id, 2);
    await loseAttempt(id, 3);
    const run = await getRun(db, systemViewer, id);
    expect(run).toMatchObject({ status: "failed", attempts: 3, lostAttempts: 3 });
    expect(run.error).toBe(`${workerLostError}, 3 attempts lost (maxLostAttempts 3)`);
    expect(run.finishedAt).not.toBeNull();
    expect((await readRunEvents(db, systemViewer, id, null)).at(-1)).toMatchObject({ kind: "failed", data: { lostAttempts: 3 } });
    // Nothing is left to run it again.
    expect(await sql`select 1 from graphile_worker._private_jobs where key = ${`run:${id}`} and payload->>'attempt' = '4'`).toHaveLength(0);
  });

  it("leave the attempts of a live worker alone", async () => {
    const { id } = await submit(db, catalog, { type: "document.analyze", input: { text: "Still running." } });
    await heartbeatWorker(db, { id: "alive", hostname: "test", pid: 2, concurrency: 1, jobTypes: ["document.analyze"], graphileWorkerIds: [] });
    await claimRuns(sql, [{ runId: id, attempt: 1 }], { workerId: "alive", startedAt: new Date().toISOString() });
    expect((await reapLostWorkers(db)).runs).toEqual([]);
    expect(await getRun(db, systemViewer, id)).toMatchObject({ status: "running", lostAttempts: 0, maxAttempts: 3 });
  });
});

describe("job locks of pools no worker names", () => {
  /** A job as graphile-worker leaves it when a pool locked it `lockedAgo` ago. */
  async function lockedJob(poolId: string, lockedAgo: string): Promise<string> {
    const { id } = await submit(db, catalog, { type: "document.analyze", input: { text: `Locked by ${poolId}.` } });
    await sql`update graphile_worker._private_jobs set locked_by = ${poolId}, locked_at = now() - ${lockedAgo}::interval
               where key = ${`run:${id}`}`;
    return id;
  }
  const lockOf = async (runId: string) =>
    (await sql<{ lockedBy: string | null }[]>`select locked_by as "lockedBy" from graphile_worker._private_jobs where key = ${`run:${runId}`}`)[0]?.lockedBy;

  it("are released once older than the liveness window, and only those", async () => {
    // A worker killed before its pool's id was written: nobody else knows the name its locks carry.
    const orphaned = await lockedJob("pool-killed-before-its-heartbeat", "1 minute");
    // A pool that locked a job a moment ago: its worker's row may still be on its way.
    const fresh = await lockedJob("pool-just-started", "1 second");
    // A live worker's long attempt: its row names the pool.
    await heartbeatWorker(db, { id: "busy", hostname: "test", pid: 3, concurrency: 1, jobTypes: ["document.analyze"], graphileWorkerIds: ["pool-of-busy"] });
    const held = await lockedJob("pool-of-busy", "1 hour");

    expect(await releaseOrphanedJobLocks(db)).toEqual(["pool-killed-before-its-heartbeat"]);
    expect(await lockOf(orphaned)).toBeNull();
    expect(await lockOf(fresh)).toBe("pool-just-started");
    expect(await lockOf(held)).toBe("pool-of-busy");
    // Released means available: graphile-worker's next fetch takes it.
    const [available] = await sql<{ isAvailable: boolean }[]>`
      select is_available as "isAvailable" from graphile_worker._private_jobs where key = ${`run:${orphaned}`}`;
    expect(available?.isAvailable).toBe(true);
    expect(await releaseOrphanedJobLocks(db)).toEqual([]);
  });
});
