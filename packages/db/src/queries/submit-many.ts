import { and, eq, inArray, sql } from "drizzle-orm";
import type { TablesRelationalConfig } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { Catalog, RunStatus } from "@conveyor/jobs";
import type { Database } from "../client";
import { InvalidRequestError, UnknownJobTypeError, type FieldIssue } from "../errors";
import { runEvents, runs } from "../schema";
import { prepareSubmission, type PreparedSubmission } from "./prepare-submission";
import { systemOwner } from "../access/viewer";

export interface Submitted {
  id: string;
  status: RunStatus;
  /** True when a run with the same idempotency key was returned instead of a new one. */
  deduplicated: boolean;
}

/** Most runs one `submitMany` call accepts. */
export const maxBatchSize = 10_000;
/** Rows per INSERT: well under Postgres' 65,535 parameters per statement. */
const rowsPerStatement = 2_000;
/**
 * How long after its run finished an idempotency key still returns that run.
 * Within it, a repeated submit (a client retrying after a timeout, a double
 * click) gets the first run; after it, the key starts a new run.
 */
export const idempotencyWindowMs = 24 * 60 * 60 * 1000;
/** Issues reported for one rejected batch; the rest are summarised. */
const maxReportedIssues = 20;

export interface BatchItem {
  type: string;
  input: unknown;
  options?: unknown;
}

/**
 * Validate every item of a batch. One bad item rejects the whole batch, and
 * the error names its index and field ("items.42.input.text: …").
 */
export function prepareBatch(catalog: Catalog, items: readonly BatchItem[], ownerId?: string): PreparedSubmission[] {
  if (items.length === 0) throw new InvalidRequestError([{ path: "items", message: "must hold at least one run" }]);
  if (items.length > maxBatchSize) {
    throw new InvalidRequestError([{ path: "items", message: `must hold at most ${maxBatchSize} runs` }]);
  }
  const prepared: PreparedSubmission[] = [];
  const issues: FieldIssue[] = [];
  items.forEach((item, index) => {
    try {
      prepared.push(prepareSubmission(catalog, { ...item, ownerId }, `items.${index}.`));
    } catch (error) {
      if (error instanceof InvalidRequestError) issues.push(...error.issues);
      else if (error instanceof UnknownJobTypeError) issues.push({ path: `items.${index}.type`, message: error.message.replace(/^type: /, "") });
      else throw error;
    }
  });
  if (issues.length > 0) {
    const shown = issues.slice(0, maxReportedIssues);
    if (issues.length > shown.length) shown.push({ path: "items", message: `and ${issues.length - shown.length} more issues` });
    throw new InvalidRequestError(shown);
  }
  return prepared;
}

/**
 * Write a validated batch in the caller's transaction with a handful of
 * statements whatever its size: the runs, their `queued` events, and every
 * graphile-worker job through one `add_jobs` call.
 */
export async function insertBatch<Q extends PgQueryResultHKT, F extends Record<string, unknown>, S extends TablesRelationalConfig>(
  tx: PgDatabase<Q, F, S>,
  prepared: readonly PreparedSubmission[],
): Promise<Submitted[]> {
  await releaseExpiredKeys(tx, prepared);
  const created = new Map<string, Submitted>();
  for (let start = 0; start < prepared.length; start += rowsPerStatement) {
    const rows = prepared.slice(start, start + rowsPerStatement).map((item) => item.row);
    const inserted = await tx
      .insert(runs)
      .values(rows)
      .onConflictDoNothing({ target: [runs.ownerId, runs.idempotencyKey], where: sql`${runs.idempotencyKey} is not null` })
      .returning({ id: runs.id, status: runs.status });
    for (const row of inserted) created.set(row.id, { ...row, deduplicated: false });
  }

  const fresh = prepared.filter((item) => created.has(item.row.id));
  for (let start = 0; start < fresh.length; start += rowsPerStatement) {
    const rows = fresh.slice(start, start + rowsPerStatement).map((item) => item.row);
    // A run that waits for its runAt says so in its first event (a subscriber shows it as scheduled).
    await tx.insert(runEvents).values(
      rows.map((row) => ({ runId: row.id, kind: "queued" as const, data: row.status === "scheduled" ? { runAt: row.runAt.toISOString() } : null })),
    );
  }
  if (fresh.length > 0) {
    // One job per attempt, keyed by the run (see conveyor.schedule_attempt in the migrations).
    const specs = fresh.map(({ row, jobPriority }) => ({
      identifier: row.type,
      payload: { runId: row.id, attempt: 1 },
      // A named queue's lane: one at a time across all workers (graphile-worker's job queues).
      queue_name: row.lane ?? null,
      run_at: row.runAt.toISOString(),
      max_attempts: 25,
      job_key: `run:${row.id}`,
      priority: jobPriority,
    }));
    await tx.execute(sql`select count(*) from graphile_worker.add_jobs(array(
      select json_populate_record(null::graphile_worker.job_spec, spec)
        from json_array_elements(${JSON.stringify(specs)}::json) as spec))`);
  }

  const duplicates = prepared.filter((item) => !created.has(item.row.id));
  const existing = await findByIdempotencyKeys(tx, duplicates);
  return prepared.map((item) => {
    const submitted = created.get(item.row.id) ?? existing.get(`${item.row.ownerId}\u0000${item.row.idempotencyKey}`);
    if (!submitted) throw new Error(`run ${item.row.id} was neither created nor found by its idempotency key`);
    return submitted;
  });
}

/** Keys whose run finished longer than `idempotencyWindowMs` ago no longer deduplicate: free them. */
async function releaseExpiredKeys<Q extends PgQueryResultHKT, F extends Record<string, unknown>, S extends TablesRelationalConfig>(
  tx: PgDatabase<Q, F, S>,
  items: readonly PreparedSubmission[],
): Promise<void> {
  const keyed = items.flatMap(({ row }) => (row.idempotencyKey ? [{ owner: row.ownerId ?? systemOwner, key: row.idempotencyKey }] : []));
  if (keyed.length === 0) return;
  await tx.execute(sql`
    update conveyor.runs r set idempotency_key = null
      from jsonb_to_recordset(${JSON.stringify(keyed)}::jsonb) as k(owner text, key text)
     where r.owner_id = k.owner and r.idempotency_key = k.key
       and r.finished_at < now() - ${`${idempotencyWindowMs} milliseconds`}::interval`);
}

async function findByIdempotencyKeys<Q extends PgQueryResultHKT, F extends Record<string, unknown>, S extends TablesRelationalConfig>(
  tx: PgDatabase<Q, F, S>,
  items: readonly PreparedSubmission[],
): Promise<Map<string, Submitted>> {
  const found = new Map<string, Submitted>();
  const keys = [...new Set(items.map((item) => item.row.idempotencyKey).filter((key): key is string => Boolean(key)))];
  if (keys.length === 0) return found;
  const owners = [...new Set(items.map((item) => item.row.ownerId ?? systemOwner))];
  const rows = await tx
    .select({ id: runs.id, status: runs.status, ownerId: runs.ownerId, key: runs.idempotencyKey })
    .from(runs)
    .where(and(inArray(runs.ownerId, owners), inArray(runs.idempotencyKey, keys)));
  for (const row of rows) found.set(`${row.ownerId}\u0000${row.key}`, { id: row.id, status: row.status, deduplicated: true });
  return found;
}

/** Submit a batch in one transaction: all runs are created, or (on any invalid item) none. */
export async function submitMany(db: Database, catalog: Catalog, items: readonly BatchItem[], ownerId?: string): Promise<Submitted[]> {
  const prepared = prepareBatch(catalog, items, ownerId);
  return db.transaction((tx) => insertBatch(tx, prepared));
}
