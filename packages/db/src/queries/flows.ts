import { eq } from "drizzle-orm";
import type { Catalog, ChildOutcome, RunStatus } from "@conveyor/jobs";
import type { Database, SqlClient } from "../client";
import { insertPrepared } from "./enqueue";
import { prepareSubmission } from "./prepare-submission";
import { runs } from "../schema";

/**
 * Submit child number `index` of a parent run. The key (parent and index)
 * makes a retried parent attempt get the child it already started back.
 */
export async function submitChild(
  db: Database,
  catalog: Catalog,
  parentId: string,
  index: number,
  request: { type: string; input: unknown },
  /** The parent attempt's trace context, so the child's attempts join its trace. */
  traceParent: string | null = null,
): Promise<{ id: string }> {
  return db.transaction(async (tx) => {
    const [parent] = await tx.select({ ownerId: runs.ownerId }).from(runs).where(eq(runs.id, parentId));
    const prepared = prepareSubmission(catalog, {
      ...request,
      options: { idempotencyKey: `child:${parentId}:${index}` },
      ownerId: parent?.ownerId,
    });
    prepared.row.parentId = parentId;
    prepared.row.traceParent = traceParent;
    const submitted = await insertPrepared(tx, prepared);
    return { id: submitted.id };
  });
}

export interface ChildState extends Omit<ChildOutcome, "status"> {
  status: RunStatus;
  percent: number;
}

/** A parent's children in submit order, with their state. */
export async function readChildren(sql: SqlClient, parentId: string): Promise<ChildState[]> {
  return sql<ChildState[]>`
    select id, type, status, output, error, progress_percent as percent
      from conveyor.runs
     where parent_id = ${parentId}
     order by split_part(idempotency_key, ':', 3)::int, created_at`;
}
