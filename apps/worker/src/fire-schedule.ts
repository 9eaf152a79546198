import { findSchedule, insertPrepared, prepareSubmission, scheduleRunKey, type Database } from "@conveyor/db";
import type { Catalog } from "@conveyor/jobs";

/**
 * Submit the run for one firing of a schedule. graphile-worker fires each
 * slot once across all workers; the idempotency key (schedule and slot)
 * makes a repeated firing return the same run anyway.
 */
export async function fireSchedule(db: Database, catalog: Catalog, payload: unknown): Promise<void> {
  const firing = readFiring(payload);
  const found = findSchedule(catalog, firing.schedule);
  // A schedule removed from the catalogue since this firing was queued: nothing to run.
  if (!found) return;
  const prepared = prepareSubmission(catalog, {
    type: found.type,
    input: found.schedule.input,
    options: { idempotencyKey: scheduleRunKey(firing.schedule, firing.slot) },
  });
  await db.transaction((tx) => insertPrepared(tx, prepared));
}

function readFiring(payload: unknown): { schedule: string; slot: string } {
  if (
    typeof payload === "object" &&
    payload !== null &&
    "schedule" in payload &&
    typeof payload.schedule === "string" &&
    "_cron" in payload &&
    typeof payload._cron === "object" &&
    payload._cron !== null &&
    "ts" in payload._cron &&
    typeof payload._cron.ts === "string"
  ) {
    return { schedule: payload.schedule, slot: payload._cron.ts };
  }
  throw new Error(`schedule firing without a schedule name or slot: ${JSON.stringify(payload)}`);
}
