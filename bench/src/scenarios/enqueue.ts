import { closeDatabase, createDatabase, submitMany } from "@conveyor/db";
import { catalog } from "@conveyor/jobs";
import { createClient } from "@conveyor/api/client";
import { startApiServer } from "@conveyor/api/server";
import { freshDatabase } from "../databases";
import { benchToken } from "../token";

export interface EnqueueResult {
  inProcessBatchedPerSecond: number;
  httpSinglePerSecond: number;
  httpBatchedPerSecond: number;
}

const webhook = (n: number) => ({ type: "webhook.deliver" as const, input: { url: "http://127.0.0.1:9/hook", payload: { n } } });

/** Runs per second written by submitMany in-process, by jobs.submit over HTTP from concurrent clients, and by jobs.submitMany over HTTP. */
export async function enqueueThroughput(serverUrl: string, options: { batched: number; batchSize: number; single: number; clients: number }): Promise<EnqueueResult> {
  const database = await freshDatabase(serverUrl, "enqueue", "conveyor");
  const db = createDatabase(database.url, { max: 10 });
  const api = await startApiServer({ databaseUrl: database.url, port: 0 });
  const token = await benchToken(db);
  try {
    let startedAt = performance.now();
    for (let done = 0; done < options.batched; done += options.batchSize) {
      await submitMany(db, catalog, Array.from({ length: options.batchSize }, (_, i) => webhook(done + i)));
    }
    const inProcessBatchedPerSecond = options.batched / ((performance.now() - startedAt) / 1000);

    const clients = Array.from({ length: options.clients }, () => createClient({ url: api.url, token }));
    let next = 0;
    startedAt = performance.now();
    await Promise.all(
      clients.map(async (client) => {
        while (next < options.single) {
          next++;
          await client.jobs.submit.mutate(webhook(next));
        }
      }),
    );
    const httpSinglePerSecond = options.single / ((performance.now() - startedAt) / 1000);

    const client = clients[0] ?? createClient({ url: api.url, token });
    startedAt = performance.now();
    for (let done = 0; done < options.batched; done += options.batchSize) {
      await client.jobs.submitMany.mutate({ items: Array.from({ length: options.batchSize }, (_, i) => webhook(done + i)) });
    }
    const httpBatchedPerSecond = options.batched / ((performance.now() - startedAt) / 1000);
    return { inProcessBatchedPerSecond, httpSinglePerSecond, httpBatchedPerSecond };
  } finally {
    await api.close();
    await closeDatabase(db);
    await database.drop();
  }
}
