import { and, eq, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { TablesRelationalConfig } from "drizzle-orm";
import type { Catalog, JobInput, JobType, RunStatus, SubmitOptions } from "@conveyor/jobs";
import { runEvents, runs } from "../schema";
import { prepareSubmission, type PreparedSubmission } from "./prepare-submission";

/** A submission typed by the catalogue: `input` must match the contract named by `type`. */
export interface SubmitRequest<C extends Catalog, K extends JobType<C> = JobType<C>> {
  type: K;
  input: JobInput<C[K]>;
  options?: SubmitOptions;
  /** Who the run belongs to (default: "anonymous"). */
  ownerId?: string;
}

export interface Submitted {
  id: string;
  status: RunStatus;
  /** True when an unfinished run with the same idempotency key was returned instead. */
  deduplicated: boolean;
}

/**
 * Enqueue a run inside the caller's own Drizzle transaction: the run row, its
 * `queued` event and the graphile-worker job commit or roll back together
 * with the caller's data. Validates first; a bad request writes nothing.
 *
 * @example
 * await db.transaction(async (tx) => {
 *   const order = await tx.insert(orders).values(values).returning();
 *   await enqueue(tx, catalog, { type: "webhook.deliver", input: { url, payload: order } });
 * });
 */
export async function enqueue<C extends Catalog, K extends JobType<C>, Q extends PgQueryResultHKT, F extends Record<string, unknown>, S extends TablesRelationalConfig>(
  tx: PgDatabase<Q, F, S>,
  catalog: C,
  request: SubmitRequest<C, K>,
): Promise<Submitted> {
  return insertPrepared(tx, prepareSubmission(catalog, request));
}

/**
 * Write an already validated submission. The graphile-worker job carries only
 * the run id: the input lives in the run row, the one source of truth.
 */
export async function insertPrepared<Q extends PgQueryResultHKT, F extends Record<string, unknown>, S extends TablesRelationalConfig>(
  tx: PgDatabase<Q, F, S>,
  prepared: PreparedSubmission,
): Promise<Submitted> {
  const { row, jobPriority } = prepared;
  const inserted = await tx
    .insert(runs)
    .values(row)
    .onConflictDoNothing({
      target: [runs.ownerId, runs.idempotencyKey],
      where: sql`${runs.idempotencyKey} is not null`,
    })
    .returning({ id: runs.id, status: runs.status });
  const created = inserted[0];
  if (!created) return findDuplicate(tx, row.ownerId ?? "anonymous", row.idempotencyKey ?? "");

  await tx.insert(runEvents).values({ runId: created.id, kind: "queued", data: null });
  await tx.execute(sql`select graphile_worker.add_job(
    identifier => ${row.type}::text,
    payload => json_build_object('runId', ${created.id}::text),
    run_at => ${row.runAt.toISOString()}::timestamptz,
    max_attempts => ${row.maxAttempts}::int,
    priority => ${jobPriority}::int
  )`);
  return { id: created.id, status: created.status, deduplicated: false };
}

async function findDuplicate<Q extends PgQueryResultHKT, F extends Record<string, unknown>, S extends TablesRelationalConfig>(
  tx: PgDatabase<Q, F, S>,
  ownerId: string,
  idempotencyKey: string,
): Promise<Submitted> {
  const [existing] = await tx
    .select({ id: runs.id, status: runs.status })
    .from(runs)
    .where(and(eq(runs.ownerId, ownerId), eq(runs.idempotencyKey, idempotencyKey)));
  if (!existing) throw new Error(`idempotency key ${idempotencyKey} conflicted but no run holds it`);
  return { ...existing, deduplicated: true };
}
