import { createClient } from "@conveyor/api/client";
import { closeDatabase, createDatabase } from "@conveyor/db";
import { freePort } from "@conveyor/db/free-port";
import { startApiProcess } from "../api-process";
import { freshDatabase } from "../databases";
import { redisAnswers } from "../redis";
import { startChild } from "../processes";
import { postJson, submitLoop, webhookInput } from "../submit-loop";
import { benchToken } from "../token";

export interface SubmitResult {
  conveyorPerSecond: number;
  bullmqPerSecond?: number;
  graphilePerSecond: number;
}

export interface SubmitOptions {
  count: number;
  clients: number;
  /**
   * How each process reaches its server, given the server's own URL: the
   * identity, or a delaying proxy's URL (the round-trips scenario).
   */
  viaPostgres?: (url: string) => string;
  viaRedis?: (url: string) => string;
}

/**
 * Single submits over HTTP, each server in its own process, all driven by
 * the same client loop: Conveyor's `jobs.submit` (authenticated, validated,
 * rate-limited through a token whose limits stay out of the way), a bare
 * endpoint calling BullMQ's `queue.add`, and one calling graphile-worker's `addJob`.
 */
export async function submitThroughput(serverUrl: string, redisUrl: string, options: SubmitOptions): Promise<SubmitResult> {
  const viaPostgres = options.viaPostgres ?? ((url) => url);
  const viaRedis = options.viaRedis ?? ((url) => url);
  const conveyorPerSecond = await conveyorSubmits(serverUrl, options.count, options.clients, viaPostgres);
  const graphilePerSecond = await peerSubmits("src/peers/graphile-http-peer.ts", options, async () => {
    const database = await freshDatabase(serverUrl, "submitpeer", "graphile");
    return { env: { DATABASE_URL: viaPostgres(database.url) }, drop: database.drop };
  });
  const bullmqPerSecond = (await redisAnswers(redisUrl))
    ? await peerSubmits("src/peers/bullmq-http-peer.ts", options, async () => ({ env: { REDIS_URL: viaRedis(redisUrl) }, drop: async () => {} }))
    : undefined;
  return { conveyorPerSecond, graphilePerSecond, ...(bullmqPerSecond === undefined ? {} : { bullmqPerSecond }) };
}

/**
 * `jobs.submit` runs per second from `clients` concurrent clients, sending
 * the request the peers get (`postJson`: the same client, the same body) with
 * the token, so the figures compare the servers rather than the clients, which
 * share this machine's two cores with them (the tRPC client costs about twice
 * the CPU per call of a bare fetch). `BENCH_CLIENT=trpc` sends them through
 * one tRPC client each instead, as separate services would.
 */
export async function conveyorSubmits(serverUrl: string, count: number, clients: number, viaPostgres: (url: string) => string = (url) => url): Promise<number> {
  const database = await freshDatabase(serverUrl, "submit", "conveyor");
  const db = createDatabase(database.url, { max: 2 });
  const api = await startApiProcess(viaPostgres(database.url));
  try {
    const token = await benchToken(db);
    if (process.env.BENCH_CLIENT === "trpc") {
      const trpc = Array.from({ length: clients }, () => createClient({ url: api.trpcUrl, token }));
      return await submitLoop(count, trpc, (client, n) => client.jobs.submit.mutate({ type: "webhook.deliver", input: webhookInput(n) }));
    }
    const url = `${api.trpcUrl}/jobs.submit`;
    const authorization = { authorization: `Bearer ${token}` };
    return await submitLoop(count, Array.from({ length: clients }, () => url), (target, n) => postJson(target, { type: "webhook.deliver", input: webhookInput(n) }, authorization));
  } finally {
    await api.stop();
    await closeDatabase(db);
    await database.drop();
  }
}

async function peerSubmits(entry: string, options: SubmitOptions, prepare: () => Promise<{ env: Record<string, string>; drop(): Promise<void> }>): Promise<number> {
  const backend = await prepare();
  const peer = await startHttpPeer(entry, backend.env);
  try {
    return await submitLoop(options.count, Array.from({ length: options.clients }, () => peer.url), (target, n) => postJson(target, { type: "webhook.deliver", input: webhookInput(n) }));
  } finally {
    await peer.stop();
    await backend.drop();
  }
}

/** A peer's process serving HTTP (an endpoint of `src/peers/`), on a free port; resolves once it listens. */
export async function startHttpPeer(entry: string, env: Record<string, string>, path = "/submit"): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const peer = await startChild(entry, { ...env, PORT: String(port) }, "peer listening");
  return { url: `http://127.0.0.1:${port}${path}`, stop: () => peer.stop() };
}
