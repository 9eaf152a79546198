import { EventEmitter } from "node:events";
import { hostname } from "node:os";
import pg from "pg";
import { Logger, run, type Runner, type TaskList, type WorkerEvents } from "graphile-worker";
import {
  cancelChannel,
  closeDatabase,
  createDatabase,
  cronItemsOf,
  compactRunCounts,
  scheduleTask,
  deregisterWorker,
  heartbeatWorker,
  reapLostWorkers,
  releaseOrphanedJobLocks,
  deferRun,
  takeRateSlot,
  type AttemptJob,
  type StartedRun,
  type SqlClient,
  type WorkerRegistration,
  pendingMigrations,
  secretsKeyring,
} from "@conveyor/db";
import type { Catalog, JobHandlers } from "@conveyor/jobs";
import { serveOps } from "@conveyor/observability";
import { bindCatalog, type BoundJob } from "./bind-handler";
import { executeRun } from "./execute-run";
import { fireSchedule } from "./fire-schedule";
import { childRunsFactory } from "./child-runs";
import { RunLogger } from "./run-logger";
import { WorkerMetrics } from "./worker-metrics";
import { RunStarter } from "./run-starter";
import { RunStateWriter } from "./run-state-writer";
import { RunningAttempts } from "./running-attempts";

/** How often a worker records that it is alive (see `workerLivenessMs`). */
const heartbeatIntervalMs = 5_000;
/** How often a worker looks for job locks that no worker row names (see releaseOrphanedJobLocks). */
const orphanSweepIntervalMs = 60_000;
export const defaultConcurrency = 50;
export const defaultLocalQueueSize = 100;

/** Connections graphile-worker gets: one per slot fetching alone, a few when jobs come in batches. */
export function graphilePoolSize(concurrency: number, localQueueSize: number): number {
  return Math.min(concurrency + 2, localQueueSize > 1 ? 10 : 20);
}

export interface WorkerOptions<C extends Catalog> {
  databaseUrl: string;
  catalog: C;
  handlers: JobHandlers<C>;
  /** Runs executed at once by this process (default: 50; handlers mostly wait on I/O). */
  concurrency?: number;
  /**
   * Jobs graphile-worker fetches and locks per query, so that many runs are
   * started (and written) by one statement; 0 or 1 fetches one at a time
   * (default: 100). Fetched jobs wait in this process: a worker that dies
   * with some is taken over like any lost worker (see reapLostWorkers).
   */
  localQueueSize?: number;
  /** Shortest time between two progress writes of one run (default: 100 ms). */
  progressIntervalMs?: number;
  /** How often to look for runs whose time has come, in ms (default: 1000). */
  pollIntervalMs?: number;
  /** Log only warnings and errors (default: false). */
  quiet?: boolean;
  /** Where the JSON log lines go (default: stdout). */
  writeLog?: (line: string) => void;
  /**
   * Serve /metrics, /healthz and /readyz on this port (0: a free port;
   * default: none). `main.ts` uses CONVEYOR_WORKER_OPS_PORT.
   */
  opsPort?: number;
  /** Interface of the operations endpoints (default: 127.0.0.1). */
  opsHost?: string;
  /**
   * On stop, how long running attempts may finish before their signal aborts
   * and they are released for another attempt (default: 5000 ms).
   */
  shutdownGraceMs?: number;
}

export interface ConveyorWorker {
  /** Stop taking runs, let running ones finish within `shutdownGraceMs` (then abort and release them), write their state, close connections. */
  stop(): Promise<void>;
  /** Settles when the worker stops (rejects if it crashed). */
  readonly done: Promise<void>;
  /** Where /metrics, /healthz and /readyz are served, when `opsPort` was given. */
  readonly opsUrl: string | null;
}

/**
 * Start executing the catalogue's runs. Every job type becomes a
 * graphile-worker task whose payload names the run and the attempt it is for;
 * the catalogue's schedules become graphile-worker cron items.
 */
export async function startWorker<C extends Catalog>(options: WorkerOptions<C>): Promise<ConveyorWorker> {
  const concurrency = options.concurrency ?? defaultConcurrency;
  const localQueueSize = options.localQueueSize ?? defaultLocalQueueSize;
  const shutdownGraceMs = options.shutdownGraceMs ?? 5_000;
  const logger = new RunLogger(options.writeLog, options.quiet ?? false);
  // A malformed key stops the worker here, with the variable named, rather than at the first run with secrets.
  const keyring = secretsKeyring();
  const db = createDatabase(options.databaseUrl, { max: 4 });
  // Our own pool: when graphile-worker owns it, a job running at stop() can lose its result (see STACK.md).
  // Handlers do not use this pool (run state goes through `db`); graphile-worker needs a connection
  // only while fetching or completing jobs, and with a local queue it does both a batch at a time,
  // so a small pool serves a large concurrency.
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: graphilePoolSize(concurrency, localQueueSize) });
  const onPoolError = (error: Error) => logger.line("error", "database connection error", { error: error.message });
  pool.on("error", onPoolError);
  pool.on("connect", (client) => client.on("error", onPoolError));

  // The writer pipelines its batches on ONE connection, which keeps each run's writes in order.
  const writerDb = createDatabase(options.databaseUrl, { max: 1 });
  const writer = new RunStateWriter(writerDb.$client, {
    progressIntervalMs: options.progressIntervalMs,
    onError: (error) => logger.line("error", "writing run state failed", { error: String(error) }),
  });
  const bound = bindCatalog(options.catalog, options.handlers);
  const running = new RunningAttempts();
  const childRuns = childRunsFactory(db, options.catalog);
  const metrics = new WorkerMetrics(pool, () => running.runIds.length);
  const registration: WorkerRegistration = {
    id: `${hostname()}-${process.pid}-${crypto.randomUUID().slice(0, 8)}`,
    hostname: hostname(),
    pid: process.pid,
    concurrency,
    jobTypes: [...bound.keys()],
    graphileWorkerIds: [],
  };
  const starter = new RunStarter(db.$client, registration.id);

  // A cancel from any API process arrives here within milliseconds and aborts the attempt's signal.
  const cancels = await db.$client.listen(
    cancelChannel,
    (runId) => running.cancel(runId),
    () => void abortCancelledWhileAway(db.$client, running),
  );

  const taskList: TaskList = {};
  for (const [name, job] of bound) {
    taskList[name] = async (payload, helpers) => {
      const attemptJob = readAttemptJob(payload);
      const waiting = await starter.read(attemptJob);
      if (!waiting) return; // finished, cancelled, or a job that outlived its attempt: nothing to do
      let started: StartedRun | undefined = waiting;
      // Written by the state writer once the handler has begun; settled at once for a claimed run.
      let startWritten: Promise<boolean> | undefined;
      // A job delivered before (graphile-worker counts its fetches) came back from a lost worker: the
      // claim starts it durably before the handler, counting a lost attempt, so a handler that kills
      // every worker it runs on is stopped by its lost-attempt budget.
      const cameBack = waiting.foundRunning || helpers.job.attempts > 1;
      if (job.job.rateLimit || cameBack) {
        // The limit's key comes from the input: take a start from its window, then claim the run.
        if (job.job.rateLimit && !(await withinRateLimit(db.$client, job, waiting))) return; // deferred to the limit's next window
        // Handed out before and not failed by its task (graphile-worker records a thrown error): the
        // worker it went to was lost, maybe after its handler had begun but before the start was
        // written (a rate-limited type's start always is), so the claim counts that attempt as lost.
        const redelivered = helpers.job.attempts > 1 && helpers.job.last_error === null && !job.job.rateLimit;
        started = await starter.claim({ ...attemptJob, redelivered });
        if (!started) return;
      } else {
        startWritten = writer.start({ id: waiting.id, attempt: waiting.attempts, workerId: registration.id, startedAt: new Date().toISOString() });
        // Cancelled between the read and the start's write: the attempt stops (its outcome would be discarded).
        void startWritten.then((applied) => applied || running.cancel(waiting.id));
      }
      const run = started;
      const finished = metrics.attemptStarted(run.type);
      const { written } = await executeRun(run, job, {
        writer,
        logger,
        running,
        childRuns,
        onProgress: () => metrics.progressReported(run.type),
        // graphile-worker aborts this when the grace period of a stop is over.
        stopSignals: [helpers.abortSignal],
      });
      void written.then(finished);
      // The slot (and graphile-worker's job) is released once the handler is done AND the start is
      // written, without waiting for the outcome's write. A quick run's start is written with its
      // outcome, so it waits for that one write. Until the start is written the job stays locked by
      // this worker, so a crash gives it back (see reapLostWorkers); after, a crash before the
      // outcome's write is a lost attempt that the crash takeover retries.
      if (startWritten) await startWritten;
    };
  }

  // A schedule's firing (graphile-worker's cron, once per slot across all workers) submits an ordinary run.
  taskList[scheduleTask] = (payload) => fireSchedule(db, options.catalog, payload);

  // graphile-worker locks jobs in the name of its pool; remember that id so that, if this process
  // dies, another worker can release them (see reapLostWorkers).
  const events: WorkerEvents = new EventEmitter();
  // The id is written at once, not at the first heartbeat after run() resolves: graphile-worker starts
  // fetching (and locking) jobs right after this event, and a worker killed before its ids are written
  // would leave those jobs locked for graphile-worker's 4 hours, out of the takeover's reach.
  events.on("pool:create", ({ workerPool }) => {
    registration.graphileWorkerIds.push(workerPool.id);
    heartbeatWorker(db, registration).catch((error: unknown) => logger.line("warn", "heartbeat failed", { error: String(error) }));
  });

  // Registered before graphile-worker starts: a run this worker claims always names a worker row,
  // so if the process dies the takeover finds the run by that row's silence.
  await heartbeatWorker(db, registration);
  const runner: Runner = await run({
    pgPool: pool,
    taskList,
    // The catalogue's schedules; no crontab file is read.
    parsedCronItems: cronItemsOf(options.catalog),
    concurrency,
    noHandleSignals: true,
    pollInterval: options.pollIntervalMs ?? 1000,
    logger: graphileLogger(logger),
    events,
    preset: {
      worker: {
        ...(localQueueSize > 1 ? { localQueue: { size: localQueueSize } } : {}),
        // graphile-worker's statements unnamed, so each is planned with its own parameters: a named
        // statement's generic plan, made while the jobs table was empty and analyzed (as autovacuum
        // can leave it after a drain), was kept for the connection's life and joined a batch of 500
        // jobs by a scan per job (1.2 s per fetch at 20,000 jobs instead of 20 ms). Parsing a batch's
        // statement afresh costs well under a millisecond; unnamed statements also pass through
        // PgBouncer in transaction mode, which a startup `options` setting would not.
        preparedStatements: false,
        // Jobs finished in the same turn of the event loop are completed (or failed) by one statement.
        // A crash in that moment re-delivers them, and the run's status guard makes that a no-op.
        completeJobBatchDelay: 0,
        failJobBatchDelay: 0,
        gracefulShutdownAbortTimeout: shutdownGraceMs,
      },
    },
  });
  // Every heartbeat also takes over from workers that stopped heartbeating.
  const heartbeat = async () => {
    try {
      await heartbeatWorker(db, registration);
      await compactRunCounts(db.$client);
      const reaped = await reapLostWorkers(db);
      if (reaped.workers.length > 0) logger.line("warn", "took over from lost workers", { ...reaped });
    } catch (error) {
      logger.line("warn", "heartbeat failed", { error: String(error) });
    }
  };
  await heartbeat();
  const heartbeats = setInterval(heartbeat, heartbeatIntervalMs);
  heartbeats.unref();
  const orphanSweeps = setInterval(() => {
    releaseOrphanedJobLocks(db)
      .then((poolIds) => {
        if (poolIds.length > 0) logger.line("warn", "released jobs locked by pools no worker names", { poolIds });
      })
      .catch((error: unknown) => logger.line("warn", "releasing orphaned job locks failed", { error: String(error) }));
  }, orphanSweepIntervalMs);
  orphanSweeps.unref();
  let runnerStopped = false;
  const ops =
    options.opsPort === undefined
      ? null
      : await serveOps(
          {
            registry: metrics.registry,
            readiness: async () => {
              const pending = await pendingMigrations(db.$client).catch(() => null);
              const checks = { database: pending !== null, migrations: pending === 0, runner: !runnerStopped };
              return { ready: checks.database && checks.migrations && checks.runner, checks };
            },
          },
          options.opsPort,
          options.opsHost ?? "127.0.0.1",
        );
  logger.line("info", "worker started", {
    workerId: registration.id,
    concurrency,
    jobTypes: registration.jobTypes,
    opsUrl: ops?.url ?? null,
    // Which keys this worker opens secrets with (ids: hashes, not keys).
    secretsKeyIds: keyring.keyIds,
  });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.line("info", "worker stopping: finishing running attempts", { running: running.runIds.length });
      clearInterval(heartbeats);
      clearInterval(orphanSweeps);
      runnerStopped = true;
      // graphile-worker's stop returns once its jobs are released, within the grace period; after a
      // network partition it sometimes never returns (1 stop in 4 in the partition test, with every
      // connection healthy again). Past the grace period and 10 s more, the stop goes on without it.
      const runnerStoppedInTime = await resolvesWithin(runner.stop(), shutdownGraceMs + 10_000);
      if (!runnerStoppedInTime) logger.line("warn", "graphile-worker did not stop in time: its locked jobs are left to the crash takeover");
      await cancels.unlisten();
      const allWritten = await writer.drain();
      await closeDatabase(writerDb);
      // With outcomes unwritten (the database is away), the registration stays: when it stops
      // heartbeating, another worker takes those runs over.
      // (and so does a runner that did not stop: the takeover releases the jobs it still holds).
      if (allWritten && runnerStoppedInTime) await deregisterWorker(db, registration.id).catch(() => {});
      else if (!allWritten) logger.line("error", "worker stopped with outcomes unwritten: its runs are left to the crash takeover");
      // A pool whose clients graphile-worker still holds would wait for them forever.
      if (runnerStoppedInTime) await pool.end();
      await closeDatabase(db);
      await ops?.close();
      logger.line("info", "worker stopped");
    })());

  return { stop, done: runner.promise, opsUrl: ops?.url ?? null };
}

/** Whether `promise` resolves within `ms` (it is left to run either way; a rejection is thrown). */
async function resolvesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The job's payload: the run and the attempt it was created for (jobs from before attempts were numbered: 1). */
function readAttemptJob(payload: unknown): AttemptJob {
  if (typeof payload === "object" && payload !== null && "runId" in payload && typeof payload.runId === "string") {
    const attempt = "attempt" in payload && typeof payload.attempt === "number" ? payload.attempt : 1;
    return { runId: payload.runId, attempt };
  }
  throw new Error(`job payload has no runId: ${JSON.stringify(payload)}`);
}

/**
 * Take a start from the run's rate limit, if its job type has one. When the
 * window is full, the run goes back to `scheduled` for the next window (no
 * attempt spent) and false is returned.
 */
async function withinRateLimit(sql: SqlClient, bound: BoundJob, run: StartedRun): Promise<boolean> {
  const limit = bound.job.rateLimit;
  if (!limit) return true;
  let key: string;
  try {
    key = limit.key(run.input);
  } catch {
    return true; // input that no longer parses fails in the attempt itself, with its field errors
  }
  const decision = await takeRateSlot(sql, `${bound.job.name}:${key}`, limit.max, limit.perMs);
  if (decision.granted) return true;
  await deferRun(sql, run.id, run.attempts, decision.retryAt);
  return false;
}

/** After the cancel listener reconnects: abort the attempts whose runs were cancelled meanwhile. */
async function abortCancelledWhileAway(sql: SqlClient, running: RunningAttempts): Promise<void> {
  const ids = running.runIds;
  if (ids.length === 0) return;
  const cancelled = await sql<{ id: string }[]>`
    select id from conveyor.runs where id = any(${ids}::uuid[]) and status = 'cancelled'`;
  for (const { id } of cancelled) running.cancel(id);
}

/** graphile-worker's own logs, as our JSON lines, without its per-job chatter. */
function graphileLogger(logger: RunLogger): Logger {
  return new Logger((scope) => (level, message) => {
    if (level === "debug") return;
    if (level === "info" && scope.jobId !== undefined) return;
    logger.line(level === "error" ? "error" : level === "warning" ? "warn" : "info", message, {
      source: "graphile-worker",
    });
  });
}
