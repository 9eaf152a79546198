import type { TablesRelationalConfig } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { Catalog, JobType } from "@conveyor/jobs";
import { insertPrepared, type SubmitRequest, type Submitted } from "./enqueue";
import { prepareSubmission } from "./prepare-submission";

/**
 * Submit one run in its own transaction: the run row, its `queued` event and
 * the graphile-worker job are written together or not at all. Takes
 * Conveyor's database or a service's own Drizzle database on the same
 * PostgreSQL (to enqueue inside a transaction of the service, use `enqueue`).
 */
export async function submit<
  C extends Catalog,
  K extends JobType<C>,
  Q extends PgQueryResultHKT,
  F extends Record<string, unknown>,
  S extends TablesRelationalConfig,
>(db: PgDatabase<Q, F, S>, catalog: C, request: SubmitRequest<C, K>): Promise<Submitted> {
  return submitUnchecked(db, catalog, request);
}

/** `submit` for requests whose type and input arrive untyped (validated here). */
export async function submitUnchecked<Q extends PgQueryResultHKT, F extends Record<string, unknown>, S extends TablesRelationalConfig>(
  db: PgDatabase<Q, F, S>,
  catalog: Catalog,
  request: { type: string; input: unknown; options?: unknown; ownerId?: string },
): Promise<Submitted> {
  const prepared = prepareSubmission(catalog, request);
  return db.transaction((tx) => insertPrepared(tx, prepared));
}
