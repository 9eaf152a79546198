/**
 * `jobs.events` over SSE is served by its own stream (event-stream.ts), not
 * tRPC's: these check that it speaks tRPC's wire protocol byte for byte where
 * clients depend on it, on a real server, with raw requests and the real
 * tRPC client; and that many subscriptions opened at once share the token's
 * cap exactly. No worker runs: runs stay queued until a test cancels them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCClientError } from "@trpc/client";
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

/** A raw SSE request, read frame by frame (as an EventSource would, without one). */
async function openStream(path: string, headers: Record<string, string>) {
  const response = await fetch(`${api.url}/${path}`, { headers, signal: AbortSignal.timeout(10_000) });
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  if (!reader) throw new Error("no body");
  let text = "";
  return {
    response,
    /** Every frame up to and including the first that matches, waiting for more while none does. */
    async until(pattern: RegExp): Promise<string[]> {
      for (;;) {
        const frames = text.split("\n\n");
        const index = frames.findIndex((frame, at) => at < frames.length - 1 && pattern.test(frame));
        if (index >= 0) {
          const seen = frames.slice(0, index + 1);
          text = frames.slice(index + 1).join("\n\n");
          return seen;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended before a frame matching ${pattern}:\n${text}`);
        text += value;
      }
    },
    close: () => reader.cancel(),
  };
}

const inputOf = (input: unknown) => `jobs.events?input=${encodeURIComponent(JSON.stringify(input))}`;

describe("jobs.events over SSE, in tRPC's wire protocol", () => {
  it("sends connected with the client options, then each event as data with its id, then return when the run ends", async () => {
    const token = await issueTestToken(db, { ownerId: "alice" });
    const alice = createClient({ url: api.url, token });
    const { id } = await alice.jobs.submit.mutate({ type: "document.analyze", input: { text: "Nobody executes this run." } });

    const stream = await openStream(inputOf({ id }), { authorization: `Bearer ${token}` });
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get("content-type")).toBe("text/event-stream");
    const [connected, queued] = await stream.until(/^data: .*"kind":"queued"/);
    expect(connected).toBe('event: connected\ndata: {"reconnectAfterInactivityMs":25000}');
    const [, json, eventId] = /^data: (.*)\nid: (\d+)$/.exec(queued ?? "") ?? [];
    expect(JSON.parse(json ?? "null")).toMatchObject({ id: eventId, runId: id, kind: "queued", status: "queued" });

    await alice.jobs.cancel.mutate({ id });
    const rest = await stream.until(/^event: return\n/);
    expect(rest.map((frame) => frame.split("\n")[0])).toEqual([expect.stringMatching(/"kind":"cancelled"/), "event: return"]);
  });

  it("resumes after the EventSource's own Last-Event-ID header, as tRPC's handler does", async () => {
    const token = await issueTestToken(db, { ownerId: "alice" });
    const alice = createClient({ url: api.url, token });
    const { id } = await alice.jobs.submit.mutate({ type: "document.analyze", input: { text: "Nobody executes this run." } });
    const first = await openStream(inputOf({ id }), { authorization: `Bearer ${token}` });
    const queuedId = /\nid: (\d+)$/.exec((await first.until(/\nid: /)).at(-1) ?? "")?.[1];
    await first.close();
    expect(queuedId).toMatch(/^\d+$/);

    const resumed = await openStream(inputOf({ id }), { authorization: `Bearer ${token}`, "last-event-id": queuedId ?? "" });
    await alice.jobs.cancel.mutate({ id });
    const frames = await resumed.until(/^event: return\n/);
    // The queued event is not sent again: the first data frame is the cancellation.
    expect(frames.filter((frame) => frame.startsWith("data: ")).map((frame) => JSON.parse(frame.split("\n")[0]?.slice(6) ?? "null").kind)).toEqual(["cancelled"]);
  });

  it("answers a refused stream with serialized-error carrying the router's error shape", async () => {
    const stream = await openStream(inputOf({ id: "00000000-0000-4000-8000-000000000000" }), { authorization: "Bearer cvy_not-a-token" });
    const frames = await stream.until(/^event: serialized-error/);
    const error = JSON.parse(/^event: serialized-error\ndata: (.*)$/.exec(frames.at(-1) ?? "")?.[1] ?? "null");
    expect(error).toMatchObject({ code: -32001, data: { code: "UNAUTHORIZED", httpStatus: 401, path: "jobs.events" } });
    expect(error.data).not.toHaveProperty("stack");
  });

  it("delivers to the real tRPC client with tracked ids", async () => {
    const token = await issueTestToken(db, { ownerId: "alice" });
    const alice = createClient({ url: api.url, token });
    const { id } = await alice.jobs.submit.mutate({ type: "document.analyze", input: { text: "Nobody executes this run." } });
    const received = await new Promise<{ id: string; kind: string }[]>((resolve, reject) => {
      const seen: { id: string; kind: string }[] = [];
      alice.jobs.events.subscribe(
        { id },
        {
          onData: (tracked) => {
            seen.push({ id: tracked.id, kind: tracked.data.kind });
            if (tracked.data.kind === "queued") void alice.jobs.cancel.mutate({ id });
          },
          onComplete: () => resolve(seen),
          onError: reject,
        },
      );
    });
    expect(received.map((event) => event.kind)).toEqual(["queued", "cancelled"]);
    expect(Number(received[1]?.id)).toBeGreaterThan(Number(received[0]?.id));
  });
});

describe("subscriptions opened at once", () => {
  it("share the token's cap exactly: the first ones open, the rest are refused with TOO_MANY_REQUESTS", async () => {
    const token = await issueTestToken(db, { ownerId: "bob", maxSubscriptions: 20 });
    const bob = createClient({ url: api.url, token });
    const { id } = await bob.jobs.submit.mutate({ type: "document.analyze", input: { text: "Nobody executes this run." } });
    const unsubscribers: (() => void)[] = [];
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, () =>
        new Promise<unknown>((resolve) => {
          const subscription = bob.jobs.events.subscribe(
            { id },
            { onData: () => resolve("open"), onError: resolve },
          );
          unsubscribers.push(() => subscription.unsubscribe());
        }),
      ),
    );
    for (const unsubscribe of unsubscribers) unsubscribe();
    const refused = outcomes.filter((outcome) => outcome !== "open");
    expect(outcomes.filter((outcome) => outcome === "open")).toHaveLength(20);
    expect(refused).toHaveLength(10);
    for (const error of refused) {
      expect(error).toBeInstanceOf(TRPCClientError);
      expect(error).toMatchObject({ data: { code: "TOO_MANY_REQUESTS" }, message: "this token already has 20 subscriptions open, its limit: close one first" });
    }
  });
});
