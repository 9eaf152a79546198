import type { Database } from "@conveyor/db";

/**
 * Close subscription leases in one statement. Streams end together (every
 * watcher of a run when it finishes): one delete each was 1,000 statements
 * through the pool at the moment the other runs' events were being fanned out.
 */
export async function closeSubscriptionLeases(db: Database, leaseIds: readonly string[]): Promise<void> {
  if (leaseIds.length === 0) return;
  await db.$client`delete from conveyor.subscription_leases where id = any(${leaseIds}::uuid[])`;
}
