import { closeDatabase, createDatabase, readRunEvents, submit, systemViewer } from "@conveyor/db";
import { startApiProcess } from "../api-process";
import { benchCatalog } from "../catalog";
import { startClientProcess } from "../client-process";
import { freshDatabase } from "../databases";
import { startChild, workerEntry, type ChildHandle } from "../processes";
import { summarise, until, type Percentiles } from "../stats";
import { subscribersReport } from "../subscribers-report";
import { benchToken } from "../token";

export interface FanOutResult extends Percentiles {
  subscribers: number;
  transport: "sse" | "websocket";
  /** Subscriptions that received their run's completion. */
  completedStreams: number;
  apiRssMb: number;
  apiCpuPercent: number;
}

/**
 * `runs` ticker runs report progress every `intervalMs`; `subscribers`
 * subscriptions receive them through the API. Three processes besides the
 * bench: the API, the worker, and the subscribers (bench/src/subscribers-process.ts),
 * so the API's RSS and CPU are its own. Latency: ctx.progress() → event received.
 */
export async function progressDelivery(
  serverUrl: string,
  options: { runs: number; subscribers: number; ticks: number; intervalMs: number; transport: "sse" | "websocket" },
): Promise<FanOutResult> {
  const database = await freshDatabase(serverUrl, "progress", "conveyor");
  const db = createDatabase(database.url, { max: 4 });
  const children: ChildHandle[] = [];
  try {
    const api = await startApiProcess(database.url);
    children.push(api);
    const token = await benchToken(db);
    // The worker runs before anything is submitted, as a deployed one does (a worker started just as
    // 100 runs fall due measured its own start-up in the first ticks); the runs start at `startAt`,
    // after every subscription is open (checked below).
    const worker = await startChild(workerEntry, { DATABASE_URL: database.url, BENCH_CONCURRENCY: String(Math.max(10, options.runs)) }, "ready");
    children.push(worker);
    const startAt = new Date(Date.now() + 3_000 + options.subscribers * 12);
    const ids: string[] = [];
    for (let i = 0; i < options.runs; i++) {
      const { id } = await submit(db, benchCatalog, {
        type: "bench.ticker",
        input: { ticks: options.ticks, intervalMs: options.intervalMs },
        options: { runAt: startAt },
      });
      ids.push(id);
    }
    const subscribers = startClientProcess("src/subscribers-process.ts", {
      BENCH_API_URL: api.trpcUrl,
      BENCH_TOKEN: token,
      BENCH_RUN_IDS: ids.join(","),
      BENCH_SUBSCRIBERS: String(options.subscribers),
      BENCH_TRANSPORT: options.transport,
    });
    try {
      await subscribers.lineSeen("subscribed", 60_000);
      if (Date.now() >= startAt.getTime()) {
        throw new Error(`the ${options.subscribers} subscriptions took longer to open than the runs' lead time (${startAt.toISOString()}): raise it`);
      }
      let peakRss = 0;
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, api.rssMb())), 100);
      const cpuBefore = api.cpuSeconds();
      const windowStart = performance.now();
      await until("every ticker run to complete", async () => {
        const [row] = await db.$client<{ done: number }[]>`select /* bench */ count(*)::int as done from conveyor.runs where status = 'completed'`;
        return (row?.done ?? 0) >= options.runs;
      }, 180_000, 100);
      // Streams end right after their run's completion event; allow them a few seconds to arrive.
      const finished = setTimeout(() => subscribers.send("finish"), 10_000);
      const report = subscribersReport.parse(JSON.parse(await subscribers.lastLine()));
      clearTimeout(finished);
      const cpuPercent = ((api.cpuSeconds() - cpuBefore) / ((performance.now() - windowStart) / 1000)) * 100;
      clearInterval(sampler);
      const stored = await readRunEvents(db, systemViewer, ids[0] ?? "", null);
      if (!stored.some((event) => event.kind === "completed")) throw new Error("ticker run did not complete");
      return {
        ...summarise(report.samples),
        subscribers: options.subscribers,
        transport: options.transport,
        completedStreams: report.completed,
        apiRssMb: peakRss,
        apiCpuPercent: cpuPercent,
      };
    } finally {
      subscribers.kill();
    }
  } finally {
    for (const child of children.reverse()) await child.stop();
    await closeDatabase(db);
    await database.drop();
  }
}
