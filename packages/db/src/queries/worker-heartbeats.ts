import { count, eq, gt, sql } from "drizzle-orm";
import type { Database } from "../client";
import { workers } from "../schema";

/**
 * A worker that has not heartbeated for this long is presumed dead: its runs
 * are taken over (see `reapLostWorkers`). Workers heartbeat every 5 s.
 */
export const workerLivenessMs = 15_000;

/** `workerLivenessMs` as a PostgreSQL interval literal, for `now() - …::interval`. */
export const workerLivenessInterval = `${workerLivenessMs} milliseconds`;

export interface WorkerRegistration {
  id: string;
  hostname: string;
  pid: number;
  concurrency: number;
  jobTypes: string[];
  /** graphile-worker's ids for this process's pools (what its job locks name). */
  graphileWorkerIds: string[];
}

/** Record (or refresh) a worker's sign of life. */
export async function heartbeatWorker(db: Database, worker: WorkerRegistration): Promise<void> {
  await db
    .insert(workers)
    .values(worker)
    .onConflictDoUpdate({
      target: workers.id,
      set: { heartbeatAt: sql`now()`, graphileWorkerIds: worker.graphileWorkerIds },
    });
}

/** A worker that stops cleanly says so, rather than waiting to be presumed dead. */
export async function deregisterWorker(db: Database, workerId: string): Promise<void> {
  await db.delete(workers).where(eq(workers.id, workerId));
}

/** Workers that heartbeated within `workerLivenessMs`. */
export async function countLiveWorkers(db: Database): Promise<number> {
  const [row] = await db
    .select({ live: count() })
    .from(workers)
    .where(gt(workers.heartbeatAt, sql`now() - ${workerLivenessInterval}::interval`));
  return row?.live ?? 0;
}
