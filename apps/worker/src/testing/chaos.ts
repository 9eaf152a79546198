/**
 * What the chaos tests share: the kills (with one PostgreSQL restart among
 * them), the wait for every run to complete, and the checks of each run's
 * story, whatever job type the runs are of.
 */
import { unrecordedStartLostError, workerLostError, type Database } from "@conveyor/db";
import { waitFor, type OwnPostgres } from "@conveyor/db/testing";
import type { SpawnedWorker } from "./spawn-worker";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * SIGKILL a random worker `kills` times, 300-1,200 ms apart, starting a new
 * one in its place each time; halfway through, PostgreSQL stops under load
 * and comes back on the same port with the same data.
 */
export async function killWorkersRepeatedly(workers: SpawnedWorker[], startWorker: () => Promise<SpawnedWorker>, server: OwnPostgres, kills: number): Promise<void> {
  for (let kill = 0; kill < kills; kill++) {
    await pause(300 + Math.random() * 900);
    const victim = Math.floor(Math.random() * workers.length);
    await workers[victim]!.kill();
    if (kill === Math.floor(kills / 2)) {
      await server.stop();
      await server.start();
    }
    workers[victim] = await startWorker();
  }
}

/**
 * Wait until all `runCount` runs have completed (2 minutes at most); on a
 * timeout the error shows where each unfinished run stands (its row, its
 * events, its graphile-worker job). Resolves with the count of runs by status.
 */
export async function waitForEveryRunToComplete(db: Database, runCount: number): Promise<{ status: string; count: number }[]> {
  return waitFor(
    "every run to complete",
    async () => {
      const rows = await db.$client<{ status: string; count: number }[]>`
        select status, count(*)::int as count from conveyor.runs group by status`;
      const completed = rows.find((row) => row.status === "completed")?.count ?? 0;
      return completed === runCount ? rows : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 250 },
  ).catch(async (error: unknown) => {
    throw new Error(`${String(error)}\n${JSON.stringify(await unfinishedRuns(db), null, 1)}`);
  });
}

async function unfinishedRuns(db: Database) {
  return db.$client`
    select r.id, r.status, r.attempts, r.max_attempts, r.lost_attempts, r.worker_id, r.run_at, r.error,
           (select array_agg(e.kind || coalesce(' ' || (e.data->>'error'), '') order by e.id) from conveyor.run_events e where e.run_id = r.id) as events,
           (select json_agg(json_build_object('id', j.id, 'payload', j.payload, 'run_at', j.run_at, 'attempts', j.attempts,
                                              'locked_by', j.locked_by, 'locked_at', j.locked_at, 'last_error', j.last_error))
              from graphile_worker._private_jobs j where j.payload->>'runId' = r.id::text) as jobs,
           (select json_agg(w) from conveyor.workers w) as workers
      from conveyor.runs r where r.status <> 'completed' limit 10`;
}

/** Runs whose `completed` event is not exactly one. */
export async function runsNotCompletedOnce(db: Database): Promise<{ run_id: string; completions: number }[]> {
  const rows = await db.$client<{ run_id: string; completions: number }[]>`
    select r.id as run_id, (select count(*)::int from conveyor.run_events e where e.run_id = r.id and e.kind = 'completed') as completions
      from conveyor.runs r`;
  return rows.filter((row) => row.completions !== 1);
}

/**
 * Runs whose events do not tell a consistent story: queued first, completed
 * last, one `started` per attempt at most, and an attempt ends (retrying)
 * before the next one starts.
 */
export async function runsWithBrokenStories(db: Database): Promise<{ run_id: string; kinds: string[] }[]> {
  const stories = await db.$client<{ run_id: string; kinds: string[]; attempts: number }[]>`
    select r.id as run_id, r.attempts, array_agg(e.kind::text order by e.id) as kinds
      from conveyor.runs r join conveyor.run_events e on e.run_id = r.id
     group by r.id, r.attempts`;
  return stories.filter(({ kinds, attempts }) => {
    if (kinds[0] !== "queued" || kinds.at(-1) !== "completed") return true;
    const lifecycle = kinds.filter((kind) => kind !== "progress" && kind !== "log");
    const starts = lifecycle.filter((kind) => kind === "started").length;
    if (starts < 1 || starts > attempts) return true;
    for (let i = 1; i < lifecycle.length - 1; i++) {
      if (lifecycle[i] === "started" && lifecycle[i + 1] === "started") return true;
    }
    return false;
  });
}

/** Attempts lost to a dead worker (or that may have begun there unrecorded), as the takeover recorded them. */
export async function lostAttemptCount(db: Database): Promise<number> {
  const [row] = await db.$client<{ count: number }[]>`
    select count(*)::int as count from conveyor.run_events where kind = 'retrying' and data->>'error' in (${workerLostError}, ${unrecordedStartLostError})`;
  return row?.count ?? 0;
}
