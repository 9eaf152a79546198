import type { Catalog, JobType } from "@conveyor/jobs";
import type { Database } from "../client";
import { insertPrepared, type SubmitRequest, type Submitted } from "./enqueue";
import { prepareSubmission } from "./prepare-submission";

/**
 * Submit one run in its own transaction: the run row, its `queued` event and
 * the graphile-worker job are written together or not at all.
 */
export async function submit<C extends Catalog, K extends JobType<C>>(
  db: Database,
  catalog: C,
  request: SubmitRequest<C, K>,
): Promise<Submitted> {
  return submitUnchecked(db, catalog, request);
}

/** `submit` for requests whose type and input arrive untyped (the API validates them here). */
export async function submitUnchecked(
  db: Database,
  catalog: Catalog,
  request: { type: string; input: unknown; options?: unknown; ownerId?: string },
): Promise<Submitted> {
  const prepared = prepareSubmission(catalog, request);
  return db.transaction((tx) => insertPrepared(tx, prepared));
}
