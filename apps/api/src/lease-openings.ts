import { subscriptionLeaseMs, type Database } from "@conveyor/db";

/**
 * Open up to `count` subscription leases for one token, as many as its cap
 * leaves room for, in one transaction: the token's row lock (which
 * serialises its lease openings across API processes), then one statement
 * that drops its expired leases, counts the live ones and inserts the new
 * ones. Returns the ids opened, fewer than `count` at the cap.
 */
export function openSubscriptionLeases(db: Database, tokenId: string, count: number, cap: number): Promise<string[]> {
  return db.$client.begin(async (sql) => {
    await sql`select 1 from conveyor.api_tokens where id = ${tokenId} for update`;
    // Read committed: this statement's snapshot is taken after the lock, so it sees every lease committed before it.
    const rows = await sql<{ id: string }[]>`
      with expired as (
        delete from conveyor.subscription_leases where token_id = ${tokenId} and expires_at <= now()
      ), live as (
        select count(*)::int as count from conveyor.subscription_leases where token_id = ${tokenId} and expires_at > now()
      )
      insert into conveyor.subscription_leases (token_id, expires_at)
      select ${tokenId}, now() + ${`${subscriptionLeaseMs} milliseconds`}::interval
        from live, generate_series(1, ${count}::int) as n
       where n <= ${cap}::int - live.count
      returning id`;
    return rows.map((row) => row.id);
  });
}
