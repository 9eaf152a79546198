import { makeWorkerUtils } from "graphile-worker";
import { startReferenceRunner } from "../peers/graphile-reference-runner";
import { nowMs } from "../catalog";
import { freshDatabase } from "../databases";
import { sleep, summarise, type Percentiles } from "../stats";

/**
 * The reference for idle latency: raw graphile-worker, `addJob` → task
 * start, one job at a time (each after the previous one started), the runner
 * in the bench process with the worker's settings (concurrency 20, LISTEN
 * for new jobs, pollInterval 200).
 */
export async function graphileIdleLatency(serverUrl: string, count: number): Promise<Percentiles> {
  const database = await freshDatabase(serverUrl, "graphilelatency", "graphile");
  let onStart: (at: number) => void = () => {};
  const { pool, runner } = await startReferenceRunner(database.url, { noop: async () => onStart(nowMs()) });
  const utils = await makeWorkerUtils({ pgPool: pool });
  try {
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const started = new Promise<number>((resolve) => (onStart = resolve));
      const at = nowMs();
      await utils.addJob("noop", { n: i });
      samples.push((await started) - at);
      await sleep(20);
    }
    return summarise(samples);
  } finally {
    await utils.release();
    await runner.stop();
    await pool.end();
    await database.drop();
  }
}
