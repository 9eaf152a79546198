import { createClient } from "@conveyor/api/client";
import { closeDatabase, createDatabase } from "@conveyor/db";
import { freePort } from "@conveyor/db/free-port";
import { startApiProcess } from "../api-process";
import { freshDatabase } from "../databases";
import { startChild, type ChildHandle } from "../processes";
import { databaseName, startStatementServer, type StatementCounts } from "../statement-counts";
import { clientLoop, webhookInput } from "../submit-loop";
import { benchToken } from "../token";
import { bullmqProcessing, conveyorProcessing, drainConveyor, type ProcessingResult } from "./processing";
import { submitThroughput, type SubmitResult } from "./submit";

export interface DelayedResult {
  delayMs: number;
  conveyorProcessing: ProcessingResult;
  bullmqProcessing?: ProcessingResult;
  submit: SubmitResult;
}

/**
 * The processing (Conveyor's best setting, BullMQ c10) and submit scenarios
 * again, with `delayMs` added each way between every process and its server:
 * each server gets a delaying TCP proxy in its own process, and the worker,
 * the API and the peers connect through it. The bench's own polls go direct.
 */
export async function withDelay(serverUrl: string, redisUrl: string, options: { delayMs: number; runs: number; submits: number; clients: number }): Promise<DelayedResult> {
  const proxies: ChildHandle[] = [];
  try {
    const postgresProxy = await startProxy(new URL(serverUrl), options.delayMs);
    proxies.push(postgresProxy.child);
    const redisProxy = await startProxy(new URL(redisUrl), options.delayMs);
    proxies.push(redisProxy.child);
    const viaPostgres = (url: string) => postgresProxy.rewrite(url);
    const viaRedis = (url: string) => redisProxy.rewrite(url);
    const conveyor = await conveyorProcessing(serverUrl, options.runs, 100, 500, { viaPostgres });
    const bull = await bullmqProcessing(viaRedis(redisUrl), options.runs, 10);
    const submit = await submitThroughput(serverUrl, redisUrl, { count: options.submits, clients: options.clients, viaPostgres, viaRedis });
    return { delayMs: options.delayMs, conveyorProcessing: conveyor, ...(bull ? { bullmqProcessing: bull } : {}), submit };
  } finally {
    for (const proxy of proxies) await proxy.stop();
  }
}

async function startProxy(target: URL, delayMs: number): Promise<{ child: ChildHandle; rewrite(url: string): string }> {
  const port = await freePort();
  const child = await startChild("src/delay-proxy-process.ts", {
    TARGET_HOST: target.hostname,
    TARGET_PORT: target.port || (target.protocol === "redis:" ? "6379" : "5432"),
    PROXY_PORT: String(port),
    DELAY_MS: String(delayMs),
  }, "proxy listening");
  return {
    child,
    rewrite(url) {
      const rewritten = new URL(url);
      rewritten.hostname = "127.0.0.1";
      rewritten.port = String(port);
      return rewritten.toString();
    },
  };
}

export interface StatementResult {
  /** How pg_stat_statements was read (for the report's notes). */
  source: string;
  processedRuns: number;
  processing: StatementCounts;
  submits: number;
  submit: StatementCounts;
}

/**
 * Statements per processed run and per single submit, from
 * pg_stat_statements on an embedded PostgreSQL of the bench's own: reset
 * after the runs are committed and before the worker starts (so its start-up
 * statements, a few dozen, are counted and amortised over the runs), or
 * after the token is made; summed after the drain (or the submits), per database.
 */
export async function statementsPerRun(options: { runs: number; submits: number; clients: number }): Promise<StatementResult> {
  const server = await startStatementServer();
  try {
    const processingDb = await freshDatabase(server.url, "statements", "conveyor");
    let processing: StatementCounts;
    try {
      await drainConveyor(processingDb.url, { count: options.runs, concurrency: 100, localQueue: 500, beforeWorker: server.reset });
      processing = await server.count(databaseName(processingDb.url));
    } finally {
      await processingDb.drop();
    }
    const submitDb = await freshDatabase(server.url, "statements", "conveyor");
    let submit: StatementCounts;
    try {
      const db = createDatabase(submitDb.url, { max: 2 });
      const api = await startApiProcess(submitDb.url);
      try {
        const token = await benchToken(db);
        const clients = Array.from({ length: options.clients }, () => createClient({ url: api.trpcUrl, token }));
        await server.reset();
        await clientLoop(options.submits, clients, (client, n) => client.jobs.submit.mutate({ type: "webhook.deliver", input: webhookInput(n) }));
        submit = await server.count(databaseName(submitDb.url));
      } finally {
        await api.stop();
        await closeDatabase(db);
      }
    } finally {
      await submitDb.drop();
    }
    return { source: "pg_stat_statements (track=top, track_utility=on) on an embedded PostgreSQL 18", processedRuns: options.runs, processing, submits: options.submits, submit };
  } finally {
    await server.stop();
  }
}
