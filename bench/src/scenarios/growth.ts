import { createClient } from "@conveyor/api/client";
import { closeDatabase, createDatabase, pruneRuns } from "@conveyor/db";
import { startApiProcess } from "../api-process";
import { benchCatalog } from "../catalog";
import { freshDatabase } from "../databases";
import { seedFinishedRuns } from "../seed-history";
import { summarise, type Percentiles } from "../stats";
import { benchToken } from "../token";
import { drainConveyor } from "./processing";

export interface GrowthFigures {
  /** Runs per second at the best setting (c100, localQueue 500). */
  processing: number;
  list: { firstPage: Percentiles; byStatus: Percentiles; byType: Percentiles };
  stats: Percentiles;
}

export interface GrowthResult {
  empty: GrowthFigures;
  grown: GrowthFigures;
  /** Processing while the prune of a day's runs ran alongside, on the grown database. */
  processingDuringPrune: number;
  /** Runs the prune deleted, how long it took, and how long the drain beside it took (the prune starts with the drain). */
  pruned: { runs: number; seconds: number; drainSeconds: number };
  seedSeconds: number;
}

/**
 * The same measurements on an empty database and on one holding `history`
 * finished runs with their events (finished over the last 8 days): processing
 * at the best setting; jobs.list (first page, by status, by type) and
 * queues.stats through the API over HTTP. Then, on the grown database, the
 * hourly prune (pruneRuns with the bench catalogue: the ~1/8 older than the
 * 7-day retention) alongside another drain.
 */
export async function growth(serverUrl: string, options: { history: number; runs: number; calls: number }): Promise<GrowthResult> {
  const empty = await onEmptyDatabase(serverUrl, options);
  const database = await freshDatabase(serverUrl, "growth", "conveyor");
  try {
    const seededAt = performance.now();
    await seedFinishedRuns(database.url, options.history);
    const seedSeconds = (performance.now() - seededAt) / 1000;
    const grown = await figuresOn(database.url, options);
    const sql = createDatabase(database.url, { max: 2 });
    try {
      let pruned = { runs: 0, seconds: 0 };
      const during = await drainConveyor(database.url, {
        count: options.runs,
        concurrency: 100,
        localQueue: 500,
        alongside: async () => {
          const startedAt = performance.now();
          const { deleted } = await pruneRuns(sql.$client, benchCatalog);
          pruned = { runs: Object.values(deleted).reduce((sum, n) => sum + n, 0), seconds: (performance.now() - startedAt) / 1000 };
        },
      });
      return {
        empty,
        grown,
        processingDuringPrune: during.perSecond,
        pruned: { ...pruned, drainSeconds: options.runs / during.perSecond },
        seedSeconds,
      };
    } finally {
      await closeDatabase(sql);
    }
  } finally {
    await database.drop();
  }
}

async function onEmptyDatabase(serverUrl: string, options: { runs: number; calls: number }): Promise<GrowthFigures> {
  const database = await freshDatabase(serverUrl, "growth", "conveyor");
  try {
    return await figuresOn(database.url, options);
  } finally {
    await database.drop();
  }
}

async function figuresOn(databaseUrl: string, options: { runs: number; calls: number }): Promise<GrowthFigures> {
  const processing = (await drainConveyor(databaseUrl, { count: options.runs, concurrency: 100, localQueue: 500 })).perSecond;
  const db = createDatabase(databaseUrl, { max: 2 });
  const api = await startApiProcess(databaseUrl);
  try {
    const client = createClient({ url: api.trpcUrl, token: await benchToken(db) });
    return {
      processing,
      list: {
        firstPage: await timeCalls(options.calls, () => client.jobs.list.query({})),
        byStatus: await timeCalls(options.calls, () => client.jobs.list.query({ status: "failed" })),
        byType: await timeCalls(options.calls, () => client.jobs.list.query({ type: "bench.ticker" })),
      },
      stats: await timeCalls(options.calls, () => client.queues.stats.query()),
    };
  } finally {
    await api.stop();
    await closeDatabase(db);
  }
}

/** One call at a time, as one dashboard user would make them; the first few warm the caches and plans. */
async function timeCalls(calls: number, call: () => Promise<unknown>): Promise<Percentiles> {
  for (let i = 0; i < 5; i++) await call();
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const startedAt = performance.now();
    await call();
    samples.push(performance.now() - startedAt);
  }
  return summarise(samples);
}
