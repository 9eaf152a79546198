import { closeDatabase, createDatabase, submitMany } from "@conveyor/db";
import { catalog } from "@conveyor/jobs";
import { createClient } from "@conveyor/api/client";
import { startApiServer } from "@conveyor/api/server";
import { freshDatabase } from "../databases";
import { webhookInput } from "../submit-loop";
import { benchToken } from "../token";

export interface EnqueueResult {
  inProcessBatchedPerSecond: number;
  httpBatchedPerSecond: number;
}

const webhook = (n: number) => ({ type: "webhook.deliver" as const, input: webhookInput(n) });

/**
 * Batched submits: runs per second written by submitMany in-process and by
 * jobs.submitMany over HTTP (single submits are the submit scenario's).
 */
export async function enqueueThroughput(serverUrl: string, options: { batched: number; batchSize: number }): Promise<EnqueueResult> {
  const database = await freshDatabase(serverUrl, "enqueue", "conveyor");
  const db = createDatabase(database.url, { max: 10 });
  // Only what went wrong is printed: a failed request should say why, not just "internal error".
  const api = await startApiServer({
    databaseUrl: database.url,
    port: 0,
    log: ({ level, ...fields }) => void (level === "info" ? undefined : console.error(`[bench api] ${JSON.stringify(fields)}`)),
  });
  const token = await benchToken(db);
  try {
    let startedAt = performance.now();
    for (let done = 0; done < options.batched; done += options.batchSize) {
      await submitMany(db, catalog, Array.from({ length: options.batchSize }, (_, i) => webhook(done + i)));
    }
    const inProcessBatchedPerSecond = options.batched / ((performance.now() - startedAt) / 1000);

    const client = createClient({ url: api.url, token });
    startedAt = performance.now();
    for (let done = 0; done < options.batched; done += options.batchSize) {
      await client.jobs.submitMany.mutate({ items: Array.from({ length: options.batchSize }, (_, i) => webhook(done + i)) });
    }
    const httpBatchedPerSecond = options.batched / ((performance.now() - startedAt) / 1000);
    return { inProcessBatchedPerSecond, httpBatchedPerSecond };
  } finally {
    await api.close();
    await closeDatabase(db);
    await database.drop();
  }
}
