import type { TablesRelationalConfig } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { Catalog, JobInput, JobType, SubmitOptions } from "@conveyor/jobs";
import { prepareSubmission, type PreparedSubmission } from "./prepare-submission";
import { insertBatch, type Submitted } from "./submit-many";

export type { Submitted } from "./submit-many";

/** A submission typed by the catalogue: `input` must match the contract named by `type`. */
export interface SubmitRequest<C extends Catalog, K extends JobType<C> = JobType<C>> {
  type: K;
  input: JobInput<C[K]>;
  options?: SubmitOptions;
  /** Who the run belongs to (default: "system", which only admins see). */
  ownerId?: string;
}

/**
 * Enqueue a run inside the caller's own Drizzle transaction: the run row, its
 * `queued` event and the graphile-worker job commit or roll back together
 * with the caller's data. Validates first; a bad request writes nothing.
 *
 * @example
 * await db.transaction(async (tx) => {
 *   const [order] = await tx.insert(orders).values(values).returning();
 *   await enqueue(tx, catalog, { type: "webhook.deliver", input: { url, payload: order } });
 * });
 */
export async function enqueue<
  C extends Catalog,
  K extends JobType<C>,
  Q extends PgQueryResultHKT,
  F extends Record<string, unknown>,
  S extends TablesRelationalConfig,
>(tx: PgDatabase<Q, F, S>, catalog: C, request: SubmitRequest<C, K>): Promise<Submitted> {
  return insertPrepared(tx, prepareSubmission(catalog, request));
}

/**
 * Write one validated submission. The graphile-worker job carries only the
 * run id: the input lives in the run row, the one source of truth. A repeated
 * idempotency key returns the run that holds it.
 */
export async function insertPrepared<Q extends PgQueryResultHKT, F extends Record<string, unknown>, S extends TablesRelationalConfig>(
  tx: PgDatabase<Q, F, S>,
  prepared: PreparedSubmission,
): Promise<Submitted> {
  const [submitted] = await insertBatch(tx, [prepared]);
  if (!submitted) throw new Error("insertBatch returned nothing for one submission");
  return submitted;
}
