/**
 * Chaos: 500 runs on two worker processes, which are killed with SIGKILL ten
 * times at random moments (and restarted), with one PostgreSQL restart in the
 * middle. Every run must complete exactly once, its handler's side effect
 * must be recorded, and its events must tell a consistent story.
 */
import { afterAll, describe, expect, it } from "vitest";
import { closeDatabase, createDatabase, submitMany } from "@conveyor/db";
import { startOwnPostgres } from "@conveyor/db/testing";
import { chaosCatalog } from "./testing/chaos-catalog";
import { killWorkersRepeatedly, lostAttemptCount, runsNotCompletedOnce, runsWithBrokenStories, waitForEveryRunToComplete } from "./testing/chaos";
import { spawnWorker, type SpawnedWorker } from "./testing/spawn-worker";

// CHAOS_RUNS and CHAOS_KILLS scale it up by hand (for example 2,000 runs and 50 kills); the test
// command runs the defaults.
const runCount = Number(process.env.CHAOS_RUNS ?? 500);
const kills = Number(process.env.CHAOS_KILLS ?? 10);
const chaosEntry = "src/testing/chaos-worker.ts";

const server = await startOwnPostgres("chaos");
const url = server.url;
const db = createDatabase(url, { max: 4 });
await db.$client`create table public.chaos_effects (id bigserial primary key, run_id uuid not null, attempt int not null)`;

const workers: SpawnedWorker[] = [];
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await closeDatabase(db);
  await server.remove();
});

// 500 runs of 200-800 ms on 2 × 5 slots take about 25 s: the kills land while runs are in flight.
const startChaosWorker = () => spawnWorker(url, { CONVEYOR_WORKER_CONCURRENCY: "5" }, chaosEntry);

describe("chaos", () => {
  it(`completes every run exactly once through ${kills} SIGKILLs and a PostgreSQL restart`, { timeout: 240_000 * Math.max(1, runCount / 500) }, async () => {
    workers.push(await startChaosWorker(), await startChaosWorker());
    const items = Array.from({ length: runCount }, () => ({ type: "chaos.effect", input: { workMs: 200 + Math.floor(Math.random() * 600) } }));
    const submitted = await submitMany(db, chaosCatalog, items);
    expect(submitted).toHaveLength(runCount);

    await killWorkersRepeatedly(workers, startChaosWorker, server, kills);

    // Every run finishes within 2 minutes of the last kill.
    const statuses = await waitForEveryRunToComplete(db, runCount);
    expect(statuses).toEqual([{ status: "completed", count: runCount }]);
    // The workers that lived through the PostgreSQL restart reconnected by themselves and are still up.
    // (A dead one's last output says why.)
    expect(workers.filter((worker) => !worker.alive()).map((worker) => worker.output().slice(-3_000))).toEqual([]);

    // Exactly one completion per run, and its result names an effect of that run.
    expect(await runsNotCompletedOnce(db)).toEqual([]);
    const effectsOk = await db.$client<{ run_id: string; effect_ok: boolean }[]>`
      select r.id as run_id, exists (select 1 from public.chaos_effects c where c.id = (r.output->>'effectId')::bigint and c.run_id = r.id) as effect_ok
        from conveyor.runs r`;
    expect(effectsOk.filter((row) => !row.effect_ok)).toEqual([]);
    expect(await runsWithBrokenStories(db)).toEqual([]);

    // The kills did hit runs mid-flight: attempts were lost and taken over.
    const lost = await lostAttemptCount(db);
    expect(lost).toBeGreaterThan(0);
    // Every run's effect was recorded; extra effects come only from attempts lost after recording theirs.
    const [effects] = await db.$client<{ total: number; runs: number }[]>`
      select count(*)::int as total, count(distinct run_id)::int as runs from public.chaos_effects`;
    expect(effects?.runs).toBe(runCount);
    expect((effects?.total ?? 0) - runCount).toBeLessThanOrEqual(lost);
  });
});
