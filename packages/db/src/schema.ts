import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  customType,
  doublePrecision,
  index,
  primaryKey,
  integer,
  jsonb,
  pgSchema,
  real,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { priorities, runEventKinds, runStatuses, type AuditAction } from "@conveyor/jobs";

/** Raw bytes (drizzle has no bytea column of its own; postgres.js reads and writes Buffers). */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

/**
 * Conveyor keeps its tables in their own schema so they never collide with
 * the tables of an application that enqueues runs inside its own transactions.
 */
export const conveyor = pgSchema("conveyor");

export const runStatus = conveyor.enum("run_status", runStatuses);
export const runEventKind = conveyor.enum("run_event_kind", runEventKinds);
export const runPriority = conveyor.enum("run_priority", priorities);

/** What each kind of event carries in its `data`. */
export type RunEventData = {
  /** started, retrying, failed: the attempt it concerns. */
  attempt?: number;
  /** started: the worker process that took the attempt. */
  workerId?: string;
  /** progress */
  percent?: number;
  /** progress: its message; log: the line. */
  message?: string | null;
  data?: unknown;
  /** log: how the handler wrote it (`ctx.log` is info) and its fields. */
  level?: "info" | "warn";
  fields?: Record<string, unknown> | null;
  /** retrying, failed */
  error?: string;
  /** retrying: when the next attempt may start (ISO 8601). */
  nextAttemptAt?: string;
  /** queued: the time a run submitted for later waits for (it is `scheduled` until then). */
  runAt?: string;
  /** queued again by jobs.retry; cancelled by jobs.cancel. */
  reason?: string;
} | null;

/** One submission of a job type: what users see and what the worker executes. */
export const runs = conveyor.table(
  "runs",
  {
    id: uuid("id").primaryKey().default(sql`gen_random_uuid()`),
    type: text("type").notNull(),
    /** A short human label from the contract, so lists never need the (possibly huge) input. */
    label: text("label").notNull().default(""),
    queue: text("queue").notNull(),
    /** graphile-worker's job queue for the run (see `laneOf`); null in the default queue. */
    lane: text("lane"),
    status: runStatus("status").notNull().default("queued"),
    priority: runPriority("priority").notNull().default("normal"),
    input: jsonb("input").notNull(),
    output: jsonb("output"),
    error: text("error"),
    progressPercent: real("progress_percent").notNull().default(0),
    progressMessage: text("progress_message"),
    progressData: jsonb("progress_data"),
    attempts: integer("attempts").notNull().default(0),
    /** The run that started this one as a child (flows); deleting the parent deletes its children. */
    parentId: uuid("parent_id").references((): AnyPgColumn => runs.id, { onDelete: "cascade" }),
    /** The worker executing the current attempt (see `workers`): how a lost attempt is found. */
    workerId: text("worker_id"),
    maxAttempts: integer("max_attempts").notNull(),
    /** Attempts one submission (or one jobs.retry) grants; max_attempts grows by it on each retry. */
    attemptBudget: integer("attempt_budget").notNull().default(3),
    /**
     * Attempts lost because their worker died (SIGKILL, out of memory, a lost host). Each is
     * retried at once and given back to max_attempts: a lost attempt is not the job's failure.
     */
    lostAttempts: integer("lost_attempts").notNull().default(0),
    /** The contract's maxLostAttempts when submitted: the run fails when it has lost this many. */
    maxLostAttempts: integer("max_lost_attempts").notNull().default(3),
    timeoutMs: integer("timeout_ms").notNull(),
    /** Who submitted the run (a token's owner; "system" for scheduled runs). Users see only their own. */
    ownerId: text("owner_id").notNull().default("system"),
    /**
     * The input's sensitive fields (see `sensitive()` in a contract), kept out of `input` so that
     * no read of runs can return them, sealed with AES-256-GCM (see secrets-at-rest.ts); only the
     * worker opens them and merges them back.
     */
    sealedSecrets: bytea("sealed_secrets"),
    /** The id of the key that sealed `sealedSecrets` (a hash of it, never the key). */
    secretsKeyId: text("secrets_key_id"),
    /**
     * Secrets in plaintext, as runs submitted before migration 0017 kept them; never written now.
     * `pnpm conveyor secrets rotate` seals them and clears this column.
     */
    secrets: jsonb("secrets").$type<Record<string, unknown>>(),
    /** W3C traceparent of the span that submitted the run: each attempt's span joins that trace. */
    traceParent: text("trace_parent"),
    idempotencyKey: text("idempotency_key"),
    // Millisecond precision, so a list cursor built from a JS Date matches the row exactly.
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date", precision: 3 }).notNull().defaultNow(),
    runAt: timestamp("run_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    // jobs.list pages newest first, optionally filtered; the id breaks ties in the cursor.
    index("runs_created_at_id_idx").on(t.createdAt.desc(), t.id.desc()),
    index("runs_status_created_at_idx").on(t.status, t.createdAt.desc()),
    index("runs_type_created_at_idx").on(t.type, t.createdAt.desc()),
    index("runs_queue_created_at_idx").on(t.queue, t.createdAt.desc()),
    // Users list their own runs, newest first. (Their unfinished runs are counted in `run_counts`.)
    index("runs_owner_created_at_id_idx").on(t.ownerId, t.createdAt.desc(), t.id.desc()),
    // queues.stats' last hour and the prune's retention; a run gets an entry only when it finishes.
    index("runs_finished_at_idx").on(t.finishedAt).where(sql`${t.finishedAt} is not null`),
    index("runs_parent_id_idx").on(t.parentId).where(sql`${t.parentId} is not null`),
    uniqueIndex("runs_owner_idempotency_key_idx")
      .on(t.ownerId, t.idempotencyKey)
      .where(sql`${t.idempotencyKey} is not null`),
  ],
);

/**
 * Every change in a run's life, in order. The id is what a subscriber
 * resumes from; every insert is announced by a NOTIFY (see the migration's
 * trigger), so API processes learn of events from Postgres, never from memory.
 * `run_id` has no foreign key: a check per inserted event is the hot path's
 * cost, and every writer inserts events only for runs its statement just
 * updated. Deleting runs deletes their events (a trigger; see 0012).
 */
export const runEvents = conveyor.table(
  "run_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    runId: uuid("run_id").notNull(),
    kind: runEventKind("kind").notNull(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    data: jsonb("data").$type<RunEventData>(),
  },
  (t) => [index("run_events_run_id_id_idx").on(t.runId, t.id)],
);

/**
 * How many runs each (owner, queue, type) has in each status, kept by
 * statement-level triggers on `runs` (see 0012) so that limits and
 * `queues.stats` never count rows. Triggers only append to
 * `run_count_changes` (no row is updated, so no writer waits for another);
 * `compactRunCounts` folds the changes into `run_counts` every few seconds.
 * A count is the sum of both.
 */
export const runCounts = conveyor.table(
  "run_counts",
  {
    ownerId: text("owner_id").notNull(),
    queue: text("queue").notNull(),
    type: text("type").notNull(),
    status: runStatus("status").notNull(),
    n: bigint("n", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.ownerId, t.queue, t.type, t.status] })],
);

/** Changes to `run_counts` not folded in yet (appended by the triggers). */
export const runCountChanges = conveyor.table("run_count_changes", {
  ownerId: text("owner_id").notNull(),
  queue: text("queue").notNull(),
  type: text("type").notNull(),
  status: runStatus("status").notNull(),
  n: bigint("n", { mode: "number" }).notNull(),
});

/**
 * Runs finished per minute, kept by the same triggers as `run_counts` (see
 * 0014) so that `queues.stats` reads a few hundred rows instead of the last
 * hour's runs: per (minute, owner, queue, type, status) and, for completed
 * runs, per duration bucket (`conveyor.duration_bucket`: 10%-wide, so a
 * percentile read from them is within 5% of the true one); failed runs have
 * bucket -1. Only runs finished within the last 2 hours are counted, and the
 * hourly prune deletes older minutes. A figure is the sum of both tables.
 */
const runMinuteColumns = () => ({
  minute: timestamp("minute", { withTimezone: true, mode: "date" }).notNull(),
  ownerId: text("owner_id").notNull(),
  queue: text("queue").notNull(),
  type: text("type").notNull(),
  status: runStatus("status").notNull(),
  bucket: smallint("bucket").notNull(),
  n: bigint("n", { mode: "number" }).notNull(),
  /** Sum of the counted runs' durations (start to finish), for the average. */
  durationMs: doublePrecision("duration_ms").notNull(),
});
export const runMinutes = conveyor.table("run_minutes", runMinuteColumns(), (t) => [
  primaryKey({ columns: [t.minute, t.ownerId, t.queue, t.type, t.status, t.bucket] }),
]);

/** Changes to `run_minutes` not folded in yet (appended by the triggers; `compactRunCounts` folds them). */
export const runMinuteChanges = conveyor.table("run_minute_changes", runMinuteColumns());

export type RunRow = typeof runs.$inferSelect;
export type NewRunRow = typeof runs.$inferInsert;
export type RunEventRow = typeof runEvents.$inferSelect;

/**
 * Worker processes and their last sign of life. `health` counts the live
 * ones; a worker that stops heartbeating is known to be gone.
 */
export const workers = conveyor.table("workers", {
  id: text("id").primaryKey(),
  hostname: text("hostname").notNull(),
  pid: integer("pid").notNull(),
  concurrency: integer("concurrency").notNull(),
  jobTypes: text("job_types").array().notNull(),
  /** The ids graphile-worker locks this process's jobs with, to release them if the process dies. */
  graphileWorkerIds: text("graphile_worker_ids").array().notNull().default(sql`'{}'::text[]`),
  startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  heartbeatAt: timestamp("heartbeat_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

export type WorkerRow = typeof workers.$inferSelect;

/**
 * Rate-limit windows: how many runs of a bucket (a job type, or a job type
 * and a key from the input) started in each fixed window. Shared by every
 * worker, so a limit holds across all of them.
 */
export const rateWindows = conveyor.table(
  "rate_windows",
  {
    bucket: text("bucket").notNull(),
    windowStart: timestamp("window_start", { withTimezone: true, mode: "date" }).notNull(),
    used: integer("used").notNull(),
  },
  (t) => [primaryKey({ columns: [t.bucket, t.windowStart] })],
);

export const tokenRoles = ["user", "admin"] as const;
export type TokenRole = (typeof tokenRoles)[number];
export const tokenRole = conveyor.enum("token_role", tokenRoles);

/**
 * API tokens. Only a SHA-256 hash of each token is kept (tokens are 256
 * random bits, so a slow hash adds nothing); the token itself is shown once.
 * Limits left null take the API's defaults. The submission bucket (a token
 * bucket refilled at `submitRate` per second up to `submitBurst`) lives here
 * so that it holds across every API process.
 */
export const apiTokens = conveyor.table(
  "api_tokens",
  {
    id: uuid("id").primaryKey().default(sql`gen_random_uuid()`),
    ownerId: text("owner_id").notNull(),
    role: tokenRole("role").notNull().default("user"),
    /** What the token is for, e.g. "ci" or "alice's laptop". */
    name: text("name").notNull().default(""),
    hash: text("hash").notNull(),
    /** The token's first characters, so people can tell their tokens apart in lists. */
    prefix: text("prefix").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, mode: "date" }),
    /** Runs per second this token may submit, sustained. */
    submitRate: real("submit_rate"),
    /** Runs this token may submit at once after a quiet spell. */
    submitBurst: integer("submit_burst"),
    /** Subscriptions open at once, across all API processes. */
    maxSubscriptions: integer("max_subscriptions"),
    /** Unfinished runs (queued, scheduled, running) its owner may have. */
    maxUnfinishedRuns: integer("max_unfinished_runs"),
    bucketLevel: real("bucket_level"),
    bucketAt: timestamp("bucket_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [uniqueIndex("api_tokens_hash_idx").on(t.hash), index("api_tokens_owner_idx").on(t.ownerId)],
);

export type ApiTokenRow = typeof apiTokens.$inferSelect;

/**
 * Open subscriptions, one row each, so a per-token cap holds across API
 * processes. Each process renews its leases while the streams live; the
 * leases of a process that died expire on their own.
 */
export const subscriptionLeases = conveyor.table(
  "subscription_leases",
  {
    id: uuid("id").primaryKey().default(sql`gen_random_uuid()`),
    tokenId: uuid("token_id")
      .notNull()
      .references(() => apiTokens.id, { onDelete: "cascade" }),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [index("subscription_leases_token_idx").on(t.tokenId, t.expiresAt)],
);

/**
 * Who did what, and when: token creation and revocation, cancels, retries and
 * bulk retries, each written by the statement (or transaction) of the action
 * itself, so no action happens without its entry. Append-only; admins read it.
 */
export const auditLog = conveyor.table(
  "audit_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp("at", { withTimezone: true, mode: "date", precision: 3 }).notNull().defaultNow(),
    /** The owner the acting token stands for (`cli:<os user>` for the command line, `system` for the platform). */
    actorOwnerId: text("actor_owner_id").notNull(),
    actorRole: tokenRole("actor_role").notNull(),
    /** The token that made the request; null for the command line and the platform. Not a foreign key: entries outlive tokens. */
    actorTokenId: uuid("actor_token_id"),
    action: text("action").$type<AuditAction>().notNull(),
    /** The run or token acted on; null for bulk actions (their filter is in `details`). */
    targetId: text("target_id"),
    details: jsonb("details").$type<Record<string, unknown>>(),
  },
  (t) => [index("audit_log_actor_idx").on(t.actorOwnerId, t.id.desc()), index("audit_log_action_idx").on(t.action, t.id.desc())],
);

export type AuditLogRow = typeof auditLog.$inferSelect;
