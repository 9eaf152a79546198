/**
 * `jobs.events` over WebSocket is answered beside tRPC's handler
 * (event-sockets.ts): these check, with a raw socket on a real server, the
 * messages tRPC's `wsLink` depends on (started, data with the tracked id,
 * stopped, errors with the router's shape, subscription.stop, lastEventId),
 * and that everything else on the same socket still reaches tRPC. No worker
 * runs: runs stay queued until a test cancels them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createTestDatabase } from "@conveyor/db/testing";
import { createClient } from "./client";
import { startApiServer, type ApiServer } from "./server";
import { issueTestToken } from "./testing/tokens";

const { db, url: databaseUrl } = await createTestDatabase();
let api: ApiServer;

beforeAll(async () => {
  api = await startApiServer({ databaseUrl, port: 0 });
}, 60_000);
afterAll(() => api?.close());

interface Received {
  id?: unknown;
  result?: { type: string; id?: string; data?: unknown };
  error?: { code: number; data: { code: string; path?: string } };
}

/** A raw socket that sends its token as wsLink does, collecting every message it receives. */
async function openSocket(token: string) {
  const socket = new WebSocket(`${api.wsUrl}?connectionParams=1`);
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  socket.send(JSON.stringify({ method: "connectionParams", data: { token } }));
  const received: Received[] = [];
  const waiters = new Set<() => void>();
  socket.on("message", (data, isBinary) => {
    expect(isBinary).toBe(false);
    received.push(JSON.parse(data.toString()));
    for (const wake of waiters) wake();
  });
  return {
    send: (message: unknown) => socket.send(JSON.stringify(message)),
    /** Every message received so far, once one matches (within 10 s). */
    until(match: (message: Received) => boolean): Promise<Received[]> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!received.some(match)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve([...received]);
        };
        const timer = setTimeout(() => (waiters.delete(check), reject(new Error(`no matching message among ${JSON.stringify(received)}`))), 10_000);
        waiters.add(check);
        check();
      });
    },
    close: () => socket.close(),
  };
}

async function queuedRun(ownerId: string) {
  const token = await issueTestToken(db, { ownerId });
  const client = createClient({ url: api.url, token });
  const { id } = await client.jobs.submit.mutate({ type: "document.analyze", input: { text: "Nobody executes this run." } });
  return { token, client, id };
}

describe("jobs.events over WebSocket, in tRPC's wire protocol", () => {
  it("sends started, each event as data with its tracked id, then stopped when the run ends", async () => {
    const { token, client, id } = await queuedRun("alice");
    const socket = await openSocket(token);
    socket.send({ id: 7, method: "subscription", params: { path: "jobs.events", input: { id } } });
    const first = await socket.until((message) => message.result?.type === "data");
    expect(first[0]).toEqual({ id: 7, result: { type: "started" } });
    const data = first[1];
    expect(data?.result?.id).toMatch(/^\d+$/);
    expect(data?.result?.data).toMatchObject({ id: data?.result?.id, data: { id: data?.result?.id, runId: id, kind: "queued" } });

    await client.jobs.cancel.mutate({ id });
    const all = await socket.until((message) => message.result?.type === "stopped");
    expect(all.slice(2).map((message) => message.result?.type)).toEqual(["data", "stopped"]);
    expect(all[2]?.result?.data).toMatchObject({ data: { kind: "cancelled" } });
    socket.close();
  });

  it("resumes after lastEventId and stops on subscription.stop; queries on the same socket still reach tRPC", async () => {
    const { token, id } = await queuedRun("alice");
    const socket = await openSocket(token);
    socket.send({ id: 1, method: "subscription", params: { path: "jobs.events", input: { id } } });
    const queuedId = (await socket.until((message) => message.result?.type === "data")).at(-1)?.result?.id;
    socket.send({ id: 2, method: "subscription", params: { path: "jobs.events", input: { id }, lastEventId: queuedId } });
    socket.send({ id: 3, method: "query", params: { path: "jobs.get", input: { id } } });
    await socket.until((message) => message.id === 3 && message.result?.type === "data");
    // `started` goes out once the subscription listens, which may be after the query's answer.
    const answered = await socket.until((message) => message.id === 2 && message.result?.type === "started");
    expect(answered.find((message) => message.id === 3)?.result?.data).toMatchObject({ id, status: "queued" });
    // The resumed subscription replays nothing: its run's only event was already seen.
    expect(answered.filter((message) => message.id === 2).map((message) => message.result?.type)).toEqual(["started"]);

    socket.send({ id: 1, method: "subscription.stop" });
    const stopped = await socket.until((message) => message.id === 1 && message.result?.type === "stopped");
    expect(stopped.filter((message) => message.id === 1).map((message) => message.result?.type)).toEqual(["started", "data", "stopped"]);
    socket.close();
  });

  it("answers a refused subscription with the router's error shape", async () => {
    const { id } = await queuedRun("alice");
    const socket = await openSocket("cvy_not-a-token");
    socket.send({ id: 1, method: "subscription", params: { path: "jobs.events", input: { id } } });
    const [error] = await socket.until((message) => message.error !== undefined);
    expect(error).toMatchObject({ id: 1, error: { code: -32001, data: { code: "UNAUTHORIZED", path: "jobs.events" } } });
    expect(error?.error?.data).not.toHaveProperty("stack");
    socket.close();
  });
});
