import { count, eq, gt, sql } from "drizzle-orm";
import type { Database } from "../client";
import { workers } from "../schema";

/** A worker that has not heartbeated for this long is counted as gone. */
export const workerLivenessMs = 30_000;

export interface WorkerRegistration {
  id: string;
  hostname: string;
  pid: number;
  concurrency: number;
  jobTypes: string[];
}

/** Record (or refresh) a worker's sign of life. */
export async function heartbeatWorker(db: Database, worker: WorkerRegistration): Promise<void> {
  await db
    .insert(workers)
    .values(worker)
    .onConflictDoUpdate({ target: workers.id, set: { heartbeatAt: sql`now()` } });
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
    .where(gt(workers.heartbeatAt, sql`now() - ${`${workerLivenessMs} milliseconds`}::interval`));
  return row?.live ?? 0;
}
