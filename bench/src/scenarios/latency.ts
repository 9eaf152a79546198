import { closeDatabase, createDatabase, readRunEvents, submit, systemViewer } from "@conveyor/db";
import { createClient } from "@conveyor/api/client";
import { benchCatalog, nowMs } from "../catalog";
import { freshDatabase } from "../databases";
import { benchToken } from "../token";
import { apiRoot, startChild, workerEntry, type ChildHandle } from "../processes";
import { percentile, until } from "../stats";
import { freePort } from "@conveyor/db/free-port";

export interface LatencyResult {
  p50: number;
  p95: number;
  p99: number;
  samples: number;
}

function summarise(samples: number[]): LatencyResult {
  return { p50: percentile(samples, 50), p95: percentile(samples, 95), p99: percentile(samples, 99), samples: samples.length };
}

/** Submit at a steady rate; each run's handler notes when it started. */
export async function submitToStart(serverUrl: string, perSecond: number, count: number): Promise<LatencyResult> {
  const database = await freshDatabase(serverUrl, "latency", "conveyor");
  const db = createDatabase(database.url, { max: 20 });
  const worker = await startChild(workerEntry, { DATABASE_URL: database.url, BENCH_CONCURRENCY: "20" }, "ready");
  try {
    const submittedAt = new Map<string, number>();
    const pending: Promise<void>[] = [];
    const firstAt = performance.now();
    for (let i = 0; i < count; i++) {
      const due = firstAt + (i * 1000) / perSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const at = nowMs();
      pending.push(submit(db, benchCatalog, { type: "bench.noop", input: { n: i } }).then(({ id }) => void submittedAt.set(id, at)));
    }
    await Promise.all(pending);
    const samples: number[] = [];
    await until("every run to complete", async () => {
      const rows = await db.$client<{ id: string; output: { startedAt: number } | null }[]>`
        select id, output from conveyor.runs where status = 'completed'`;
      if (rows.length < count) return false;
      for (const row of rows) {
        const at = submittedAt.get(row.id);
        if (at !== undefined && row.output) samples.push(row.output.startedAt - at);
      }
      return true;
    }, 120_000, 50);
    return summarise(samples);
  } finally {
    await worker.stop();
    await closeDatabase(db);
    await database.drop();
  }
}

export interface FanOutResult extends LatencyResult {
  subscribers: number;
  transport: "sse" | "websocket";
  /** Subscriptions that received their run's completion. */
  completedStreams: number;
  apiRssMb: number;
  apiCpuPercent: number;
}

/**
 * `runs` ticker runs report progress every `intervalMs`; `subscribers`
 * subscriptions (spread evenly over the runs, each on its own connection, as
 * as many browsers would be) receive them through the API, running in its own
 * process. Latency: ctx.progress() → event received.
 */
export async function progressDelivery(
  serverUrl: string,
  options: { runs: number; subscribers: number; ticks: number; intervalMs: number; transport: "sse" | "websocket" },
): Promise<FanOutResult> {
  const database = await freshDatabase(serverUrl, "progress", "conveyor");
  const db = createDatabase(database.url, { max: 4 });
  const port = await freePort();
  const children: ChildHandle[] = [];
  try {
    const api = await startChild("src/main.ts", { DATABASE_URL: database.url, PORT: String(port) }, "api listening", apiRoot);
    children.push(api);
    const url = `http://127.0.0.1:${port}/trpc`;
    // SSE: every subscription is its own HTTP stream. WebSocket: one socket per client, so one client each.
    const token = await benchToken(db);
    const sse = createClient({ url, token });
    const clientFor = () => (options.transport === "sse" ? sse : createClient({ url, token, subscriptions: "websocket" }));
    // Submit first with a start a little later, so every subscription is open before the first tick.
    const startAt = new Date(Date.now() + 3_000 + options.subscribers * 3);
    const ids: string[] = [];
    for (let i = 0; i < options.runs; i++) {
      const { id } = await submit(db, benchCatalog, {
        type: "bench.ticker",
        input: { ticks: options.ticks, intervalMs: options.intervalMs },
        options: { runAt: startAt },
      });
      ids.push(id);
    }
    const samples: number[] = [];
    let finished = 0;
    const subscriptions = Array.from({ length: options.subscribers }, (_, i) =>
      clientFor().jobs.events.subscribe(
        { id: ids[i % ids.length] ?? "" },
        {
          onData: ({ data }) => {
            const sentAt = data.progress?.data;
            if (typeof sentAt === "object" && sentAt !== null && "sentAt" in sentAt && typeof sentAt.sentAt === "number") {
              samples.push(nowMs() - sentAt.sentAt);
            }
          },
          onComplete: () => void finished++,
        },
      ),
    );
    const worker = await startChild(workerEntry, {
      DATABASE_URL: database.url,
      BENCH_CONCURRENCY: String(Math.max(10, options.runs)),
    }, "ready");
    children.push(worker);
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, api.rssMb())), 100);
    const cpuBefore = api.cpuSeconds();
    const windowStart = performance.now();
    await until("every ticker run to complete", async () => {
      const [row] = await db.$client<{ done: number }[]>`select count(*)::int as done from conveyor.runs where status = 'completed'`;
      return (row?.done ?? 0) >= options.runs;
    }, 180_000, 100);
    // Streams end right after their run's completion event; allow them a few seconds to arrive.
    await until("every subscription to see its run finish", async () => finished >= options.subscribers, 10_000, 50).catch(() => {});
    const cpuPercent = ((api.cpuSeconds() - cpuBefore) / ((performance.now() - windowStart) / 1000)) * 100;
    clearInterval(sampler);
    for (const subscription of subscriptions) subscription.unsubscribe();
    const stored = await readRunEvents(db, systemViewer, ids[0] ?? "", null);
    if (!stored.some((event) => event.kind === "completed")) throw new Error("ticker run did not complete");
    return { ...summarise(samples), subscribers: options.subscribers, transport: options.transport, completedStreams: finished, apiRssMb: peakRss, apiCpuPercent: cpuPercent };
  } finally {
    for (const child of children.reverse()) await child.stop();
    await closeDatabase(db);
    await database.drop();
  }
}
