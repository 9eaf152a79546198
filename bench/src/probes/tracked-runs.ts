/**
 * How fast can a run tracked in PostgreSQL go on graphile-worker at all, on this machine?
 *
 * Issue 12 asks Conveyor's best-setting processing for ≥ 0.6x raw graphile-worker (same batching
 * and concurrency). Conveyor does more per run than graphile-worker (a run row that moves from
 * queued to running to completed, an event per transition, the input read back), so this probe
 * builds the least a tracked run can cost, in three shapes, and drains them beside raw
 * graphile-worker, BullMQ and Conveyor itself in one session:
 *
 * - `claim`: Conveyor's shape. A batched update starts the runs durably (and reads their input)
 *   before the handlers run; the handler's slot is freed when it returns; the outcomes are
 *   written in batches afterwards. A worker that dies at whatever moment leaves a run its successor
 *   finds by its worker.
 * - `coalesced-held`: no start write; start and finish go in one batched update, and the slot
 *   is held until it lands (so a crash before it leaves graphile-worker's job to run again).
 * - `read-held`: the same, with a batched read of the runs' input before the handlers (a
 *   tracked run's input lives in its row, not in graphile-worker's payload).
 * - `coalesced`: the same write, the slot freed before it. NOT crash-safe: a worker that dies
 *   between graphile-worker's delete of the job and the write loses the run. Here as the ceiling.
 *
 * The runs table has a primary key and three indexes (PROBE_INDEXES), the events table one;
 * each drain gets a fresh database. Run it with `pnpm --filter @conveyor/bench probe:tracked`
 * (PROBE_RUNS, PROBE_CONCURRENCY, PROBE_LOCAL_QUEUE, PROBE_ROUNDS, PROBE_SHAPES; DATABASE_URL is the server).
 */
import { Logger, run as runGraphile } from "graphile-worker";
import pg from "pg";
import { z } from "zod";
import { freshDatabase } from "../databases";
import { bullmqProcessing, conveyorProcessing, graphileProcessing } from "../scenarios/processing";
import { until } from "../stats";
import { machineCpuSeconds, postgresCpuSeconds } from "./proc-cpu";

const shapes = ["claim", "read-held", "coalesced-held", "coalesced"] as const;
type Shape = (typeof shapes)[number];

const settings = z
  .object({
    DATABASE_URL: z.string().default("postgres://postgres@127.0.0.1:5432/postgres"),
    REDIS_URL: z.string().default("redis://127.0.0.1:6379"),
    PROBE_RUNS: z.coerce.number().int().min(1_000).default(20_000),
    PROBE_CONCURRENCY: z.coerce.number().int().min(1).default(100),
    PROBE_LOCAL_QUEUE: z.coerce.number().int().min(2).default(500),
    PROBE_ROUNDS: z.coerce.number().int().min(1).default(2),
    PROBE_INDEXES: z.coerce.number().int().min(0).max(3).default(3),
    PROBE_SHAPES: z
      .string()
      .default(shapes.join(","))
      .transform((list) => list.split(","))
      .pipe(z.array(z.enum(shapes))),
  })
  .parse(process.env);

const runsIndexes = [
  "create index on runs (owner_id, created_at desc)",
  "create index on runs (type, created_at desc)",
  "create index on runs (worker_id) where worker_id is not null",
];
const jobPayload = z.object({ id: z.uuid() });

/** Waits for the next batch of one kind; the batch is sent on the next turn of the event loop, or after `delayMs`. */
class Batcher<T> {
  private waiting: { item: T; done: () => void }[] = [];
  constructor(
    private readonly write: (items: T[]) => Promise<unknown>,
    private readonly delayMs: number,
  ) {}
  add(item: T): Promise<void> {
    return new Promise((done) => {
      this.waiting.push({ item, done });
      if (this.waiting.length === 1) {
        const flush = () => void this.flush();
        if (this.delayMs > 0) setTimeout(flush, this.delayMs);
        else setImmediate(flush);
      }
    });
  }
  private async flush(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    await this.write(batch.map((entry) => entry.item));
    for (const entry of batch) entry.done();
  }
}

interface Drain {
  perSecond: number;
  postgresMicrosPerRun: number;
  otherMicrosPerRun: number;
}

async function drainTracked(shape: Shape): Promise<Drain> {
  const { PROBE_RUNS: count } = settings;
  const database = await freshDatabase(settings.DATABASE_URL, "probe", "graphile");
  const pool = new pg.Pool({ connectionString: database.url, max: 10 });
  pool.on("error", () => {});
  try {
    await pool.query(`create table runs (
      id uuid primary key, type text not null, owner_id text not null, status text not null, attempts int not null default 0,
      input jsonb, output jsonb, worker_id text, created_at timestamptz not null default now(),
      started_at timestamptz, finished_at timestamptz, updated_at timestamptz not null default now())`);
    for (const statement of runsIndexes.slice(0, settings.PROBE_INDEXES)) await pool.query(statement);
    await pool.query("create table run_events (id bigserial primary key, run_id uuid not null, kind text not null, at timestamptz not null default now(), data jsonb)");
    await pool.query("create index on run_events (run_id, id)");
    await pool.query(
      `with r as (insert into runs (id, type, owner_id, status, input)
                  select gen_random_uuid(), 'noop', 'probe', 'queued', jsonb_build_object('n', n) from generate_series(1, $1::int) n returning id),
            e as (insert into run_events (run_id, kind) select id, 'queued' from r)
       select count(*) from graphile_worker.add_jobs(array(
         select ('noop', json_build_object('id', id), null, null, null, null, null, null)::graphile_worker.job_spec from r))`,
      [count],
    );

    let finished = 0;
    const starts = new Batcher<string>(
      (ids) =>
        pool.query(
          `with c as (update runs r set status = 'running', attempts = r.attempts + 1, worker_id = 'probe', started_at = now(), updated_at = now()
                       where r.id = any($1::uuid[]) and r.status = 'queued' returning r.id, r.input),
                e as (insert into run_events (run_id, kind) select id, 'started' from c)
           select id, input from c`,
          [ids],
        ),
      0,
    );
    const reads = new Batcher<string>((ids) => pool.query("select id, input from runs where id = any($1::uuid[]) and status = 'queued'", [ids]), 0);
    // The outcome write: for `claim` it finishes started runs; for the coalesced shapes it writes the start too.
    const events = shape === "claim" ? "('completed')" : "('started'), ('completed')";
    const outcomes = new Batcher<{ id: string; startedAt: string; finishedAt: string }>(async (items) => {
      await pool.query(
        `with v as (select * from jsonb_to_recordset($1::jsonb) as x(id uuid, "startedAt" timestamptz, "finishedAt" timestamptz)),
              u as (update runs r set status = 'completed', attempts = case when r.status = 'queued' then r.attempts + 1 else r.attempts end,
                           output = 'null', started_at = coalesce(r.started_at, v."startedAt"), finished_at = v."finishedAt", worker_id = null, updated_at = now()
                      from v where r.id = v.id and r.id = any(array(select id from v)) and r.status in ('queued', 'running')
                    returning r.id, v."startedAt", v."finishedAt")
         insert into run_events (run_id, kind, at)
         select u.id, k.kind, case k.kind when 'started' then u."startedAt" else u."finishedAt" end from u, (values ${events}) k(kind)`,
        [JSON.stringify(items)],
      );
      finished += items.length;
    }, 2);

    const cpuBefore = { machine: machineCpuSeconds(), postgres: postgresCpuSeconds() };
    const startedAt = performance.now();
    const runner = await runGraphile({
      pgPool: pool,
      concurrency: settings.PROBE_CONCURRENCY,
      noHandleSignals: true,
      pollInterval: 200,
      crontab: "",
      logger: new Logger(() => () => {}),
      taskList: {
        noop: async (payload) => {
          const { id } = jobPayload.parse(payload);
          if (shape === "claim") await starts.add(id);
          if (shape === "read-held") await reads.add(id);
          const at = new Date().toISOString();
          const written = outcomes.add({ id, startedAt: at, finishedAt: new Date().toISOString() });
          if (shape.endsWith("-held")) await written;
        },
      },
      preset: { worker: { localQueue: { size: settings.PROBE_LOCAL_QUEUE }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
    });
    try {
      await until("every tracked run to finish", async () => finished >= count, 600_000, 5);
    } finally {
      await runner.stop();
    }
    const seconds = (performance.now() - startedAt) / 1000;
    const postgres = postgresCpuSeconds() - cpuBefore.postgres;
    const machine = machineCpuSeconds() - cpuBefore.machine;
    return { perSecond: count / seconds, postgresMicrosPerRun: (postgres / count) * 1e6, otherMicrosPerRun: ((machine - postgres) / count) * 1e6 };
  } finally {
    await pool.end();
    await database.drop();
  }
}

const { PROBE_RUNS: count, PROBE_CONCURRENCY: concurrency, PROBE_LOCAL_QUEUE: localQueue } = settings;
console.log(`${count} no-op runs a drain, concurrency ${concurrency}, local queue ${localQueue}, ${settings.PROBE_INDEXES} secondary indexes on runs`);
for (let round = 1; round <= settings.PROBE_ROUNDS; round++) {
  const raw = await graphileProcessing(settings.DATABASE_URL, count, concurrency, localQueue);
  const bullmq = await bullmqProcessing(settings.REDIS_URL, count, 10);
  const conveyor = await conveyorProcessing(settings.DATABASE_URL, count, concurrency, localQueue);
  const ratio = (perSecond: number) => `${(perSecond / raw.perSecond).toFixed(2)}x raw graphile-worker`;
  console.log(`round ${round}: raw graphile-worker ${Math.round(raw.perSecond)} runs/s; BullMQ c10 ${bullmq ? Math.round(bullmq.perSecond) : "(no Redis)"}; Conveyor ${Math.round(conveyor.perSecond)} (${ratio(conveyor.perSecond)})`);
  for (const shape of settings.PROBE_SHAPES) {
    const drain = await drainTracked(shape);
    console.log(`  ${shape}: ${Math.round(drain.perSecond)} runs/s (${ratio(drain.perSecond)}), PostgreSQL ${Math.round(drain.postgresMicrosPerRun)} µs/run, the rest ${Math.round(drain.otherMicrosPerRun)} µs/run`);
  }
}
process.exit(0);
