/**
 * Per-token limits, kept in Postgres so they hold across every API process:
 * a token bucket for submissions, a cap on the owner's unfinished runs, and
 * a cap on open subscriptions (leases that their API process renews).
 */
import { sql } from "drizzle-orm";
import type { Database } from "../client";
import { LimitExceededError } from "../errors";
import type { Principal } from "./tokens";
import { unfinishedRunsOf } from "../queries/run-counts";

/** What a token's null limits mean. Each API process reads them from its settings. */
export interface LimitDefaults {
  /** Runs per second a token may submit, sustained (default: 10). */
  submitRate: number;
  /** Runs a token may submit at once after a quiet spell (default: 100). */
  submitBurst: number;
  /** Subscriptions a token may hold open at once (default: 20). */
  maxSubscriptions: number;
  /** Unfinished runs an owner may have (default: 10,000). */
  maxUnfinishedRuns: number;
}

export const defaultLimits: LimitDefaults = Object.freeze({
  submitRate: 10,
  submitBurst: 100,
  maxSubscriptions: 20,
  maxUnfinishedRuns: 10_000,
});

/** How long a subscription lease lives without renewal: a dead API process's streams stop counting after this. */
export const subscriptionLeaseMs = 60_000;

/** A transaction of Conveyor's database, as `db.transaction` hands it over. */
type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

/** The limits that hold for a principal, its nulls filled from the API's defaults. */
export function effectiveLimits(principal: Principal, defaults: LimitDefaults) {
  return {
    rate: principal.limits.submitRate ?? defaults.submitRate,
    burst: principal.limits.submitBurst ?? defaults.submitBurst,
    maxUnfinished: principal.limits.maxUnfinishedRuns ?? defaults.maxUnfinishedRuns,
  };
}

/** Refuse at once a batch larger than the token's burst: no wait would let it through. */
export function checkBurst(principal: Principal, count: number, defaults: LimitDefaults): void {
  const { burst } = effectiveLimits(principal, defaults);
  if (count > burst) {
    throw new LimitExceededError(
      `a batch of ${count} runs is more than this token's burst of ${burst}: send smaller batches, or ask an admin for a token with a larger burst`,
      null,
    );
  }
}

/** The refusal of a submission that found `available` in its token's bucket. */
export function rateLimitError(principal: Principal, count: number, available: number, defaults: LimitDefaults): LimitExceededError {
  const { rate, burst } = effectiveLimits(principal, defaults);
  const retryAfterMs = Math.max(1, Math.ceil(((count - available) / rate) * 1000));
  return new LimitExceededError(
    `rate limit: this token may submit ${rate} ${rate === 1 ? "run" : "runs"} per second (bursts of ${burst}); try again in ${Math.ceil(retryAfterMs / 1000)} s`,
    retryAfterMs,
  );
}

/** The refusal of a submission that would take its owner past the unfinished-runs cap. */
export function unfinishedCapError(principal: Principal, open: number, defaults: LimitDefaults): LimitExceededError {
  const { maxUnfinished } = effectiveLimits(principal, defaults);
  return new LimitExceededError(
    `${principal.ownerId} has ${open} unfinished runs and may have at most ${maxUnfinished}: wait for some to finish, or cancel some`,
    null,
  );
}

/**
 * Take `count` submissions from the token's bucket and check the owner's
 * unfinished runs, inside the transaction that writes the runs: a refusal
 * throws `LimitExceededError` and rolls everything back, and a failed write
 * gives the allowance back. The unfinished runs are read from `run_counts`
 * without a lock, so concurrent submissions may overshoot the cap by at most
 * their own number (see the README). Used for submissions with an
 * idempotency key; the others go through `submitWithinLimits`, many per statement.
 */
export async function takeSubmissionAllowance(
  tx: Transaction,
  principal: Principal,
  count: number,
  defaults: LimitDefaults,
): Promise<void> {
  checkBurst(principal, count, defaults);
  const { rate, burst, maxUnfinished } = effectiveLimits(principal, defaults);
  const [bucket] = await tx.execute<{ level: number; taken: boolean }>(sql`
    with current as (
      select id, least(${burst}::float8,
                       coalesce(bucket_level, ${burst})::float8
                       -- never negative: a transaction that waited for this row lock may have begun before the last write
                       + greatest(0, extract(epoch from now() - coalesce(bucket_at, now())))::float8 * ${rate}::float8) as level
        from conveyor.api_tokens where id = ${principal.tokenId} for update
    ), taken as (
      update conveyor.api_tokens t set bucket_level = c.level - ${count}, bucket_at = greatest(t.bucket_at, now())
        from current c where t.id = c.id and c.level >= ${count}
      returning t.id
    )
    select c.level as level, exists (select 1 from taken) as taken from current c`);
  if (!bucket) throw new LimitExceededError("the token no longer exists", null);
  if (!bucket.taken) throw rateLimitError(principal, count, bucket.level, defaults);

  const open = await unfinishedRunsOf(tx, principal.ownerId);
  if (open + count > maxUnfinished) throw unfinishedCapError(principal, open, defaults);
}

/** Open a subscription lease for the token, refused with `LimitExceededError` at its cap. */
export async function openSubscriptionLease(db: Database, principal: Principal, defaults: LimitDefaults): Promise<string> {
  const cap = principal.limits.maxSubscriptions ?? defaults.maxSubscriptions;
  return db.transaction(async (tx) => {
    // The token's row lock serialises this token's lease openings across API processes.
    await tx.execute(sql`select 1 from conveyor.api_tokens where id = ${principal.tokenId} for update`);
    await tx.execute(sql`delete from conveyor.subscription_leases where token_id = ${principal.tokenId} and expires_at <= now()`);
    const [open] = await tx.execute<{ count: number }>(sql`
      select count(*)::int as count from conveyor.subscription_leases where token_id = ${principal.tokenId}`);
    if ((open?.count ?? 0) >= cap) {
      throw new LimitExceededError(`this token already has ${cap} subscriptions open, its limit: close one first`, null);
    }
    const [lease] = await tx.execute<{ id: string }>(sql`
      insert into conveyor.subscription_leases (token_id, expires_at)
      values (${principal.tokenId}, now() + ${`${subscriptionLeaseMs} milliseconds`}::interval)
      returning id`);
    if (!lease) throw new Error("inserting a subscription lease returned no row");
    return lease.id;
  });
}

/**
 * Keep the leases of this process's live subscriptions. Returns the leases
 * whose token was revoked, has expired or is gone since: their streams must
 * end. A lease that expired meanwhile (PostgreSQL was away longer than a
 * lease lives, and an opening of the same token cleared it) is written again
 * while its token is valid: its stream lived on, so its slot is still taken.
 */
export async function renewSubscriptionLeases(db: Database, leases: readonly { id: string; tokenId: string }[]): Promise<string[]> {
  if (leases.length === 0) return [];
  const rows = await db.$client<{ id: string }[]>`
    insert into conveyor.subscription_leases (id, token_id, expires_at)
    select l.id, l."tokenId", now() + ${`${subscriptionLeaseMs} milliseconds`}::interval
      from jsonb_to_recordset(${JSON.stringify(leases)}::jsonb) as l(id uuid, "tokenId" uuid)
      join conveyor.api_tokens t on t.id = l."tokenId"
     where t.revoked_at is null and (t.expires_at is null or t.expires_at > now())
        on conflict (id) do update set expires_at = excluded.expires_at
    returning id`;
  const renewed = new Set(rows.map((row) => row.id));
  return leases.filter((lease) => !renewed.has(lease.id)).map((lease) => lease.id);
}

/**
 * Close subscription leases in one statement. Streams end together (every
 * watcher of a run when it finishes): one delete each was 1,000 statements
 * through the pool at the moment the other runs' events were being fanned out.
 */
export async function closeSubscriptionLeases(db: Database, leaseIds: readonly string[]): Promise<void> {
  if (leaseIds.length === 0) return;
  await db.$client`delete from conveyor.subscription_leases where id = any(${leaseIds}::uuid[])`;
}
