/**
 * Chaos: 500 runs on two worker processes, which are killed with SIGKILL ten
 * times at random moments (and restarted), with one PostgreSQL restart in the
 * middle. Every run must complete exactly once, its handler's side effect
 * must be recorded, and its events must tell a consistent story.
 */
import { afterAll, describe, expect, it } from "vitest";
import { closeDatabase, createDatabase, submitMany } from "@conveyor/db";
import { startOwnPostgres, waitFor } from "@conveyor/db/testing";
import { chaosCatalog } from "./testing/chaos-catalog";
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

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// 500 runs of 200-800 ms on 2 × 5 slots take about 25 s: the kills land while runs are in flight.
const startChaosWorker = () => spawnWorker(url, { CONVEYOR_WORKER_CONCURRENCY: "5" }, chaosEntry);

/** Where each unfinished run stands: its row, its events, and its graphile-worker job. */
async function unfinishedRuns() {
  return db.$client`
    select r.id, r.status, r.attempts, r.max_attempts, r.worker_id, r.run_at, r.error,
           (select array_agg(e.kind || coalesce(' ' || (e.data->>'error'), '') order by e.id) from conveyor.run_events e where e.run_id = r.id) as events,
           (select json_agg(json_build_object('id', j.id, 'payload', j.payload, 'run_at', j.run_at, 'attempts', j.attempts,
                                              'locked_by', j.locked_by, 'locked_at', j.locked_at, 'last_error', j.last_error))
              from graphile_worker._private_jobs j where j.payload->>'runId' = r.id::text) as jobs,
           (select json_agg(w) from conveyor.workers w) as workers
      from conveyor.runs r where r.status <> 'completed' limit 10`;
}

describe("chaos", () => {
  it(`completes every run exactly once through ${kills} SIGKILLs and a PostgreSQL restart`, { timeout: 240_000 * Math.max(1, runCount / 500) }, async () => {
    workers.push(await startChaosWorker(), await startChaosWorker());
    const items = Array.from({ length: runCount }, () => ({ type: "chaos.effect", input: { workMs: 200 + Math.floor(Math.random() * 600) } }));
    const submitted = await submitMany(db, chaosCatalog, items);
    expect(submitted).toHaveLength(runCount);

    for (let kill = 0; kill < kills; kill++) {
      await pause(300 + Math.random() * 900);
      const victim = Math.floor(Math.random() * workers.length);
      await workers[victim]!.kill();
      if (kill === kills / 2) {
        // PostgreSQL goes away under load and comes back on the same port with the same data.
        await server.stop();
        await server.start();
      }
      workers[victim] = await startChaosWorker();
    }

    // Every run finishes within 2 minutes of the last kill; if one does not, the failure shows where
    // each unfinished run stands (its row, its events, its graphile-worker job).
    const statuses = await waitFor(
      "every run to complete",
      async () => {
        const rows = await db.$client<{ status: string; count: number }[]>`
          select status, count(*)::int as count from conveyor.runs group by status`;
        const completed = rows.find((row) => row.status === "completed")?.count ?? 0;
        return completed === runCount ? rows : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    ).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${JSON.stringify(await unfinishedRuns(), null, 1)}`);
    });
    expect(statuses).toEqual([{ status: "completed", count: runCount }]);
    // The workers that lived through the PostgreSQL restart reconnected by themselves and are still up.
    // (A dead one's last output says why.)
    expect(workers.filter((worker) => !worker.alive()).map((worker) => worker.output().slice(-3_000))).toEqual([]);

    // Exactly one completion per run, and its result names an effect of that run.
    const completions = await db.$client<{ run_id: string; completions: number; effect_ok: boolean }[]>`
      select r.id as run_id,
             (select count(*)::int from conveyor.run_events e where e.run_id = r.id and e.kind = 'completed') as completions,
             exists (select 1 from public.chaos_effects c where c.id = (r.output->>'effectId')::bigint and c.run_id = r.id) as effect_ok
        from conveyor.runs r`;
    expect(completions.filter((row) => row.completions !== 1)).toEqual([]);
    expect(completions.filter((row) => !row.effect_ok)).toEqual([]);

    // Every run's story: queued first, completed last, one `started` per attempt, and an attempt
    // ends (retrying) before the next one starts.
    const stories = await db.$client<{ run_id: string; kinds: string[]; attempts: number }[]>`
      select r.id as run_id, r.attempts, array_agg(e.kind::text order by e.id) as kinds
        from conveyor.runs r join conveyor.run_events e on e.run_id = r.id
       group by r.id, r.attempts`;
    const broken = stories.filter(({ kinds, attempts }) => {
      if (kinds[0] !== "queued" || kinds.at(-1) !== "completed") return true;
      const lifecycle = kinds.filter((kind) => kind !== "progress");
      const starts = lifecycle.filter((kind) => kind === "started").length;
      if (starts < 1 || starts > attempts) return true;
      // Between two starts there is exactly one retrying (the lost or failed attempt).
      for (let i = 1; i < lifecycle.length - 1; i++) {
        if (lifecycle[i] === "started" && lifecycle[i + 1] === "started") return true;
      }
      return false;
    });
    expect(broken).toEqual([]);

    // The kills did hit runs mid-flight: attempts were lost and taken over.
    const [lost] = await db.$client<{ count: number }[]>`
      select count(*)::int as count from conveyor.run_events where kind = 'retrying' and data->>'error' like 'worker lost%'`;
    expect(lost?.count).toBeGreaterThan(0);
    // Every run's effect was recorded; extra effects come only from attempts lost after recording theirs.
    const [effects] = await db.$client<{ total: number; runs: number }[]>`
      select count(*)::int as total, count(distinct run_id)::int as runs from public.chaos_effects`;
    expect(effects?.runs).toBe(runCount);
    expect((effects?.total ?? 0) - runCount).toBeLessThanOrEqual(lost?.count ?? 0);
  });
});
