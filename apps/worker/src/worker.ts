import { hostname } from "node:os";
import pg from "pg";
import { Logger, run, type Runner, type TaskList } from "graphile-worker";
import { closeDatabase, createDatabase, deregisterWorker, heartbeatWorker, type WorkerRegistration } from "@conveyor/db";
import type { Catalog, JobHandlers } from "@conveyor/jobs";
import { bindCatalog } from "./bind-handler";
import { executeRun } from "./execute-run";
import { RunLogger } from "./run-logger";
import { RunStarter } from "./run-starter";
import { RunStateWriter } from "./run-state-writer";

/** How often a worker records that it is alive (see `workerLivenessMs`). */
const heartbeatIntervalMs = 5_000;

export interface WorkerOptions<C extends Catalog> {
  databaseUrl: string;
  catalog: C;
  handlers: JobHandlers<C>;
  /** Runs executed at once by this process (default: 10). */
  concurrency?: number;
  /**
   * Jobs graphile-worker fetches and locks per query; 0 or 1 fetches one at a
   * time (default: 0). Larger batches raise throughput when many short runs wait.
   */
  localQueueSize?: number;
  /** Shortest time between two progress writes of one run (default: 100 ms). */
  progressIntervalMs?: number;
  /** How often to look for runs whose time has come, in ms (default: 1000). */
  pollIntervalMs?: number;
  /** Log only warnings and errors (default: false). */
  quiet?: boolean;
}

export interface ConveyorWorker {
  /** Stop taking runs, let running ones finish (their signal aborts after 5 s), write their state, close connections. */
  stop(): Promise<void>;
  /** Settles when the worker stops (rejects if it crashed). */
  readonly done: Promise<void>;
}

/**
 * Start executing the catalogue's runs. Every job type becomes a
 * graphile-worker task whose payload is just the run id.
 */
export async function startWorker<C extends Catalog>(options: WorkerOptions<C>): Promise<ConveyorWorker> {
  const concurrency = options.concurrency ?? 10;
  const logger = new RunLogger(undefined, options.quiet ?? false);
  const db = createDatabase(options.databaseUrl, { max: 4 });
  // Our own pool: when graphile-worker owns it, a job running at stop() can lose its result (see STACK.md).
  // Handlers do not use this pool (run state goes through `db`); graphile-worker needs a connection
  // only while fetching or completing a job, so a small pool serves a large concurrency.
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: Math.min(concurrency + 2, 20) });
  const onPoolError = (error: Error) => logger.line("error", "database connection error", { error: error.message });
  pool.on("error", onPoolError);
  pool.on("connect", (client) => client.on("error", onPoolError));

  const starter = new RunStarter(db.$client);
  // The writer pipelines its batches on ONE connection, which keeps each run's writes in order.
  const writerDb = createDatabase(options.databaseUrl, { max: 1 });
  const writer = new RunStateWriter(writerDb.$client, {
    progressIntervalMs: options.progressIntervalMs,
    onError: (error) => logger.line("error", "writing run state failed", { error: String(error) }),
  });
  const shutdown = new AbortController();
  const bound = bindCatalog(options.catalog, options.handlers);

  const taskList: TaskList = {};
  for (const [name, job] of bound) {
    taskList[name] = async (payload, helpers) => {
      const runId = readRunId(payload);
      const started = await starter.start(runId);
      if (!started) return; // finished or cancelled before it could start: nothing to do
      writer.recordStart({ id: started.id, attempt: started.attempts, startedAt: new Date().toISOString() });
      await executeRun(started, job, { writer, logger, stopSignals: [shutdown.signal, helpers.abortSignal] });
    };
  }

  const localQueueSize = options.localQueueSize ?? 0;
  const runner: Runner = await run({
    pgPool: pool,
    taskList,
    // Schedules arrive with the lifecycle work; until then, no crontab file is read.
    crontab: "",
    concurrency,
    noHandleSignals: true,
    pollInterval: options.pollIntervalMs ?? 1000,
    logger: graphileLogger(logger),
    preset: {
      worker: {
        ...(localQueueSize > 1 ? { localQueue: { size: localQueueSize } } : {}),
        // Jobs finished in the same turn of the event loop are completed (or failed) by one statement.
        // A crash in that moment re-delivers them, and the run's status guard makes that a no-op.
        completeJobBatchDelay: 0,
        failJobBatchDelay: 0,
      },
    },
  });
  const registration: WorkerRegistration = {
    id: `${hostname()}-${process.pid}-${crypto.randomUUID().slice(0, 8)}`,
    hostname: hostname(),
    pid: process.pid,
    concurrency,
    jobTypes: [...bound.keys()],
  };
  const heartbeat = () =>
    heartbeatWorker(db, registration).catch((error: unknown) =>
      logger.line("warn", "heartbeat failed", { error: String(error) }),
    );
  await heartbeat();
  const heartbeats = setInterval(heartbeat, heartbeatIntervalMs);
  heartbeats.unref();
  logger.line("info", "worker started", { workerId: registration.id, concurrency, jobTypes: registration.jobTypes });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(heartbeats);
      await runner.stop();
      await writer.drain();
      await closeDatabase(writerDb);
      await deregisterWorker(db, registration.id).catch(() => {});
      await pool.end();
      await closeDatabase(db);
      logger.line("info", "worker stopped");
    })());

  return { stop, done: runner.promise };
}

function readRunId(payload: unknown): string {
  if (typeof payload === "object" && payload !== null && "runId" in payload && typeof payload.runId === "string") {
    return payload.runId;
  }
  throw new Error(`job payload has no runId: ${JSON.stringify(payload)}`);
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
