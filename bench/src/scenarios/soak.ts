import { closeDatabase, createDatabase } from "@conveyor/db";
import { startApiProcess } from "../api-process";
import { freshDatabase } from "../databases";
import { apiCatalogWorkerEntry } from "../api-catalog-worker-entry";
import { startChild } from "../processes";
import { subscribeOverSse } from "../sse-subscription";
import { round, until } from "../stats";
import { postJson, submitLoop, webhookInput } from "../submit-loop";
import { benchToken } from "../token";
import { atLeast, atMost, finishRow, type BenchRow } from "../report";

export interface SoakOptions {
  minutes: number;
  subscribers: number;
  /** Concurrent submitting clients, as in the submit scenario. */
  clients: number;
  log: (line: string) => void;
}

/** One reading of the processes, taken every `sampleEveryMs`. */
export interface SoakSample {
  atSeconds: number;
  apiRssMb: number;
  workerRssMb: number;
  /** Client connections to the soak's database (pg_stat_activity), the bench's own included; not autovacuum's workers. */
  connections: number;
  /** Dead rows of the busiest tables (pg_stat_user_tables), to tell a slowing stack's bloat from its load. */
  deadRows: Record<string, number>;
  submitted: number;
  completed: number;
}

export interface SoakResult {
  capacityPerSecond: number;
  targetPerSecond: number;
  achievedPerSecond: number;
  completed: number;
  subscriptionsOpened: number;
  errors: { submits: number; subscriptions: number; firstFew: string[] };
  samples: SoakSample[];
}

const sampleEveryMs = 10_000;

/**
 * The soak (`pnpm bench --soak`): the API and a worker as in production, on
 * a fresh database. First the single-submit capacity is measured (the submit
 * scenario's loop, 20 clients); then for `minutes` submits arrive at half of
 * it, paced evenly, the worker processes them, and `subscribers` loops each
 * follow a recent run over SSE until it ends, pause a second or so, and pick
 * another (dashboard users watching runs). Every 10 s it records the API's and
 * the worker's RSS, the database's connections and the counts.
 */
export async function soak(serverUrl: string, options: SoakOptions): Promise<SoakResult> {
  const database = await freshDatabase(serverUrl, "soak", "conveyor");
  const db = createDatabase(database.url, { max: 2 });
  const api = await startApiProcess(database.url);
  // The API accepts its own catalogue's types: webhook deliveries, which this worker answers at once without sending.
  const worker = await startChild(apiCatalogWorkerEntry, { DATABASE_URL: database.url, BENCH_CONCURRENCY: "50" }, "ready");
  // The followers watch until this time (once the soak's end is known; at once if the bench fails).
  let followUntil = Number.POSITIVE_INFINITY;
  try {
    const token = await benchToken(db);
    const url = `${api.trpcUrl}/jobs.submit`;
    const authorization = { authorization: `Bearer ${token}` };
    const send = (n: number) => postJson(url, { type: "webhook.deliver", input: webhookInput(n) }, authorization);
    const clients = Array.from({ length: options.clients }, () => url);
    const errors: SoakResult["errors"] = { submits: 0, subscriptions: 0, firstFew: [] };
    const noteError = (kind: "submits" | "subscriptions", error: unknown) => {
      errors[kind]++;
      if (errors.firstFew.length < 5) errors.firstFew.push(`${kind}: ${error instanceof Error ? error.message : String(error)}`);
    };
    const recent: string[] = [];
    const remember = (answer: unknown) => {
      const id = runIdOf(answer);
      if (!id) return;
      recent.push(id);
      if (recent.length > 200) recent.shift();
    };
    // The followers start first and watch through both phases: capacity is that of the whole
    // workload (submits, processing and the subscribers), so half of it is a load the stack sustains.
    // (Measured without them, half of it was 20% more than the stack kept up with: each follower
    // opens a stream a second or so, and 200 of them cost the API and PostgreSQL as much as the submits.)
    /** Closers of the streams open now: those still open when the soak ends are closed with it. */
    const openStreams = new Set<() => void>();
    let subscriptionsOpened = 0;
    const watching = Promise.all(
      Array.from({ length: options.subscribers }, async (_, n) => {
        await pause((n % 50) * 20);
        while (performance.now() < followUntil) {
          const id = recent[Math.floor(Math.random() * recent.length)];
          if (!id) {
            await pause(200);
            continue;
          }
          subscriptionsOpened++;
          let close = () => {};
          await new Promise<void>((resolve) => {
            const subscription = subscribeOverSse(api.trpcUrl, token, { id }, {
              onStarted: () => {},
              onData: () => {},
              onComplete: resolve,
              onError: (error) => {
                noteError("subscriptions", error);
                resolve();
              },
            });
            close = () => (subscription.unsubscribe(), resolve());
            openStreams.add(close);
          });
          openStreams.delete(close);
          await pause(700 + Math.random() * 600);
        }
      }),
    );

    // Capacity is what the stack sustains end to end: runs submitted as fast as the clients can while
    // the worker processes them and the followers watch, counted when the last of them has completed.
    // (Submits alone go about twice as fast, but the worker and PostgreSQL share the machine with the
    // API: a soak at half of that was a soak at full load, and fell behind.)
    const capacityRuns = Math.max(200, Math.round(options.minutes * 600));
    const capacityStartedAt = performance.now();
    const submitsPerSecond = await submitLoop(capacityRuns, clients, (_, n) => send(n).then(remember));
    await until("the capacity runs to complete", async () => (await completedCount()) >= (await submittedCount()), 300_000, 100);
    // Every run in the fresh database, the loop's warm-up included: all were submitted and completed in that time.
    const capacityPerSecond = (await submittedCount()) / ((performance.now() - capacityStartedAt) / 1000);
    // BENCH_SOAK_RATE sets the pace by hand (to find at what rate a slowdown begins).
    const targetPerSecond = Number(process.env.BENCH_SOAK_RATE ?? capacityPerSecond / 2);
    options.log(
      `soak: capacity ${round(capacityPerSecond)} runs/s submitted and completed with ${options.subscribers} subscribers (submits in it ${round(submitsPerSecond)}/s); ${options.minutes} min at ${round(targetPerSecond)}/s`,
    );

    const startedAt = performance.now();
    const endsAt = startedAt + options.minutes * 60_000;
    followUntil = endsAt;
    const closeStreams = setTimeout(() => openStreams.forEach((close) => close()), endsAt - performance.now() + 1_000);
    const openedBeforeSoak = subscriptionsOpened;
    let submitted = 0;

    // Paced: the n-th submit goes at start + n / rate, whichever client is free takes it.
    let next = 0;
    const submitting = Promise.all(
      clients.map(async () => {
        for (;;) {
          const n = next++;
          const due = startedAt + (n / targetPerSecond) * 1000;
          // The soak lasts its minutes: a stack that falls behind the pace shows as a lower rate, not a longer soak.
          if (due >= endsAt || performance.now() >= endsAt) return;
          const wait = due - performance.now();
          if (wait > 0) await pause(wait);
          try {
            remember(await send(n));
            submitted++;
          } catch (error) {
            noteError("submits", error);
          }
        }
      }),
    );

    const samples: SoakSample[] = [];
    const sample = async () => {
      const [row] = await db.$client<{ connections: number }[]>`
        select /* bench */ count(*)::int as connections from pg_stat_activity
         where datname = current_database() and backend_type = 'client backend'`;
      samples.push({
        atSeconds: round((performance.now() - startedAt) / 1000),
        apiRssMb: round(api.rssMb()),
        workerRssMb: round(worker.rssMb()),
        connections: row?.connections ?? 0,
        deadRows: await deadRows(),
        submitted,
        completed: await completedCount(),
      });
    };
    await sample();
    const sampler = setInterval(() => void sample(), sampleEveryMs);
    try {
      await Promise.all([submitting, watching]);
    } finally {
      clearInterval(sampler);
      clearTimeout(closeStreams);
    }
    await sample();
    const completed = (await completedCount()) - (samples[0]?.completed ?? 0);
    return {
      capacityPerSecond,
      targetPerSecond,
      achievedPerSecond: submitted / ((performance.now() - startedAt) / 1000),
      completed,
      subscriptionsOpened: subscriptionsOpened - openedBeforeSoak,
      errors,
      samples,
    };
  } finally {
    followUntil = 0;
    await worker.stop();
    await api.stop();
    await closeDatabase(db);
    await database.drop();
  }

  async function completedCount(): Promise<number> {
    const [row] = await db.$client<{ n: number }[]>`select /* bench */ count(*)::int as n from conveyor.runs where status = 'completed'`;
    return row?.n ?? 0;
  }
  async function deadRows(): Promise<Record<string, number>> {
    const rows = await db.$client<{ table: string; dead: number }[]>`
      select /* bench */ schemaname || '.' || relname as table, n_dead_tup::int as dead from pg_stat_user_tables
       where schemaname in ('conveyor', 'graphile_worker') order by n_dead_tup desc limit 6`;
    return Object.fromEntries(rows.map((row) => [row.table, row.dead]));
  }
  async function submittedCount(): Promise<number> {
    const [row] = await db.$client<{ n: number }[]>`select /* bench */ count(*)::int as n from conveyor.runs`;
    return row?.n ?? 0;
  }
}

/** How much a figure grew from the samples around `fromSeconds` to the last ones (a minute's mean each, so one GC does not decide). */
export function growthPercent(samples: readonly SoakSample[], fromSeconds: number, pick: (sample: SoakSample) => number): number {
  const last = samples.at(-1)?.atSeconds ?? 0;
  const around = (from: number, to: number) => {
    const window = samples.filter((sample) => sample.atSeconds >= from && sample.atSeconds <= to).map(pick);
    return window.reduce((sum, value) => sum + value, 0) / Math.max(1, window.length);
  };
  const before = around(fromSeconds - 30, fromSeconds + 30);
  const after = around(last - 60, last);
  return before > 0 ? ((after - before) / before) * 100 : Number.NaN;
}

function runIdOf(answer: unknown): string | undefined {
  if (typeof answer !== "object" || answer === null || !("result" in answer)) return undefined;
  const { result } = answer;
  if (typeof result !== "object" || result === null || !("data" in result)) return undefined;
  const { data } = result;
  return typeof data === "object" && data !== null && "id" in data && typeof data.id === "string" ? data.id : undefined;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The soak as report rows, each target decided from this run (see the issue: zero errors, RSS up ≤ 10% over the last 5 minutes, connections flat). */
export function soakRows(result: SoakResult, minutes: number): BenchRow[] {
  const fromSeconds = Math.max(0, minutes * 60 - 5 * 60);
  const window = result.samples.filter((sample) => sample.atSeconds >= fromSeconds);
  const connections = window.map((sample) => sample.connections);
  const last = `over the last ${Math.min(5, minutes)} min`;
  return [
    { scenario: "soak: capacity, runs submitted (20 clients) and completed, subscribers following", figure: result.capacityPerSecond, unit: "runs/s" },
    { scenario: `soak: submits at half of it, for ${minutes} min`, figure: result.achievedPerSecond, unit: "submits/s", target: atLeast(result.targetPerSecond * 0.95, `>= 95% of ${round(result.targetPerSecond)}/s`) },
    { scenario: "soak: runs completed", figure: result.completed, unit: "runs" },
    { scenario: "soak: subscriptions opened (each follows a recent run to its end)", figure: result.subscriptionsOpened, unit: "streams" },
    { scenario: "soak: errors (submits and subscriptions)", figure: result.errors.submits + result.errors.subscriptions, unit: "errors", target: atMost(0, "= 0") },
    { scenario: `soak: API RSS growth ${last}`, figure: growthPercent(result.samples, fromSeconds, (sample) => sample.apiRssMb), unit: "%", target: atMost(10) },
    { scenario: `soak: worker RSS growth ${last}`, figure: growthPercent(result.samples, fromSeconds, (sample) => sample.workerRssMb), unit: "%", target: atMost(10) },
    { scenario: `soak: PostgreSQL connections, largest minus smallest ${last}`, figure: Math.max(...connections) - Math.min(...connections), unit: "connections", target: atMost(2, "<= 2 (flat)") },
  ].map(finishRow);
}
