/**
 * Many callers' submissions written by ONE statement: their tokens'
 * allowances taken, their owners' caps checked, the runs, their `queued`
 * events and their graphile-worker jobs inserted, all in one atomic round
 * trip. The API gathers the submissions that arrive while the previous
 * statement is out (see apps/api's SubmitBatcher), so one commit serves many
 * requests; each request is still granted or refused on its own.
 */
import { sql } from "drizzle-orm";
import { executePrepared, type SqlClient } from "../client";
import type { LimitExceededError } from "../errors";
import type { PreparedSubmission } from "../queries/prepare-submission";
import type { Submitted } from "../queries/submit-many";
import { unfinishedRunsSql } from "../queries/run-counts";
import { effectiveLimits, rateLimitError, unfinishedCapError, type LimitDefaults } from "./limits";
import type { Principal } from "./tokens";

export interface SubmissionRequest {
  principal: Principal;
  /** Validated runs owned by the principal, without idempotency keys (those take `takeSubmissionAllowance`). */
  prepared: readonly PreparedSubmission[];
}

export type SubmissionOutcome = { ok: true; submitted: Submitted[] } | { ok: false; error: LimitExceededError };

type Decision = {
  n: number;
  rateOk: boolean;
  granted: boolean;
  /** What the token's bucket held before this request's turn. */
  available: number;
  /** The owner's unfinished runs before this request's turn. */
  open: string;
};

/**
 * Write the requests that their limits allow and refuse the others, in
 * order: within one token, earlier requests are served first. The cap on
 * unfinished runs is read from `run_counts` without a lock, so statements
 * running at once may overshoot it by at most their own runs. A request with
 * a token that no longer exists is refused by the rate limit (it finds an
 * empty bucket). Burst checks (a batch larger than the burst) are the
 * caller's, before this.
 */
export async function submitWithinLimits(
  client: SqlClient,
  requests: readonly SubmissionRequest[],
  defaults: LimitDefaults,
): Promise<SubmissionOutcome[]> {
  if (requests.length === 0) return [];
  const asked = requests.map(({ principal, prepared }, n) => {
    const limits = effectiveLimits(principal, defaults);
    return { n, tokenId: principal.tokenId, ownerId: principal.ownerId, count: prepared.length, ...limits };
  });
  const items = requests.flatMap(({ prepared }, n) =>
    prepared.map(({ row, jobPriority }) => {
      if (row.idempotencyKey) throw new Error("submitWithinLimits takes no idempotency keys");
      return {
        n,
        id: row.id,
        type: row.type,
        label: row.label ?? "",
        queue: row.queue,
        lane: row.lane ?? null,
        status: row.status ?? "queued",
        priority: row.priority ?? "normal",
        input: row.input,
        // Bytes travel in the JSON as base64 (decoded by the statement).
        sealedSecrets: row.sealedSecrets ? row.sealedSecrets.toString("base64") : null,
        secretsKeyId: row.secretsKeyId ?? null,
        maxAttempts: row.maxAttempts,
        maxLostAttempts: row.maxLostAttempts,
        attemptBudget: row.attemptBudget ?? row.maxAttempts,
        timeoutMs: row.timeoutMs,
        ownerId: row.ownerId,
        traceParent: row.traceParent ?? null,
        runAt: row.runAt.toISOString(),
        // A run that waits for its runAt says so in its first event (a subscriber shows it as scheduled).
        queuedData: row.status === "scheduled" ? { runAt: row.runAt.toISOString() } : null,
        // One job per attempt, keyed by the run (see conveyor.schedule_attempt in the migrations).
        job: { identifier: row.type, payload: { runId: row.id, attempt: 1 }, queue_name: row.lane ?? null, run_at: row.runAt.toISOString(), max_attempts: 25, job_key: `run:${row.id}`, priority: jobPriority },
      };
    }),
  );

  const decisions = await executePrepared<Decision>(client, sql`
    with asked as (
      select * from jsonb_to_recordset(${JSON.stringify(asked)}::jsonb)
        as x(n int, "tokenId" uuid, "ownerId" text, count int, rate float8, burst float8, "maxUnfinished" int8)
    ), bucket as (
      -- Locked in id order, so two statements locking the same tokens never wait on each other in a circle.
      select t.id,
             least(a.burst, coalesce(t.bucket_level, a.burst)
                   -- never negative: a statement that waited for this row lock may have begun before the last write
                   + greatest(0, extract(epoch from now() - coalesce(t.bucket_at, now())))::float8 * a.rate) as level
        from conveyor.api_tokens t
        join (select "tokenId", max(rate) as rate, max(burst) as burst from asked group by "tokenId") a on a."tokenId" = t.id
       order by t.id
         for update of t
    ), owners as (
      select o."ownerId", ${unfinishedRunsSql(sql`o."ownerId"`)} as open from (select distinct "ownerId" from asked) o
    ), rated as (
      select asked.*, coalesce(bucket.level, 0) - (sum(asked.count) over w - asked.count) as available,
             coalesce(sum(asked.count) over w <= bucket.level, false) as "rateOk"
        from asked left join bucket on bucket.id = asked."tokenId"
      window w as (partition by asked."tokenId" order by asked.n)
    ), decided as (
      -- Once a request does not fit, later ones of the owner do not either (the sum only grows): no greedy packing.
      select rated.*, owners.open,
             "rateOk" and owners.open + sum(case when "rateOk" then count else 0 end) over w <= "maxUnfinished" as granted
        from rated join owners on owners."ownerId" = rated."ownerId"
      window w as (partition by rated."ownerId" order by rated.n)
    ), told as (
      -- What a refused request is told: the owner's unfinished runs with those granted before it.
      select decided.*, open + coalesce(sum(case when granted then count else 0 end) over w, 0) as "openBefore"
        from decided
      window w as (partition by "ownerId" order by n rows between unbounded preceding and 1 preceding)
    ), charged as (
      update conveyor.api_tokens t set bucket_level = bucket.level - taken.count, bucket_at = greatest(t.bucket_at, now())
        from bucket join (select "tokenId", sum(count) as count from decided where granted group by "tokenId") taken on taken."tokenId" = bucket.id
       where t.id = bucket.id
    ), item as (
      select x.* from jsonb_to_recordset(${JSON.stringify(items)}::jsonb)
        as x(n int, id uuid, type text, label text, queue text, lane text, status conveyor.run_status, priority conveyor.run_priority,
             input jsonb, "sealedSecrets" text, "secretsKeyId" text, "maxAttempts" int, "maxLostAttempts" int, "attemptBudget" int, "timeoutMs" int, "ownerId" text, "traceParent" text,
             "runAt" timestamptz, "queuedData" jsonb, job json)
       where x.n in (select n from decided where granted)
    ), inserted as (
      insert into conveyor.runs (id, type, label, queue, lane, status, priority, input, sealed_secrets, secrets_key_id, max_attempts,
                                 max_lost_attempts, attempt_budget, timeout_ms, owner_id, trace_parent, run_at)
      select id, type, label, queue, lane, status, priority, input, decode("sealedSecrets", 'base64'), "secretsKeyId", "maxAttempts",
             "maxLostAttempts", "attemptBudget", "timeoutMs", "ownerId", "traceParent", "runAt" from item
      returning id
    ), events as (
      insert into conveyor.run_events (run_id, kind, data) select id, 'queued', "queuedData" from item
    ), jobs as (
      select count(*) as added from graphile_worker.add_jobs(array(
        select json_populate_record(null::graphile_worker.job_spec, job) from item))
    )
    -- Referencing jobs makes Postgres run it.
    select n, "rateOk", granted, available, "openBefore"::text as open from told where (select added from jobs) >= 0 order by n`);

  const byRequest = new Map(decisions.map((decision) => [decision.n, decision]));
  return requests.map(({ principal, prepared }, n): SubmissionOutcome => {
    const decision = byRequest.get(n);
    if (decision?.granted) {
      return { ok: true, submitted: prepared.map(({ row }) => ({ id: row.id, status: row.status ?? "queued", deduplicated: false })) };
    }
    if (!decision?.rateOk) return { ok: false, error: rateLimitError(principal, prepared.length, decision?.available ?? 0, defaults) };
    return { ok: false, error: unfinishedCapError(principal, Number(decision.open), defaults) };
  });
}
