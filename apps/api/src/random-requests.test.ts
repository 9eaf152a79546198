/**
 * Property tests (fast-check) against the real HTTP server and PostgreSQL:
 * random JSON and random bytes at every procedure never get a 5xx or leave a
 * partial write; a subscriber that disconnects at random points and resumes
 * from its last event id receives the server's events exactly once, in order.
 * No worker runs: what a request writes stays where it was written.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { WebSocket } from "ws";
import { z } from "zod";
import { catalog } from "@conveyor/jobs";
import { createTestDatabase } from "@conveyor/db/testing";
import { createClient } from "./client";
import { appRouter } from "./root";
import { startApiServer, type ApiServer } from "./server";
import { issueTestToken } from "./testing/tokens";

const { db, url: databaseUrl } = await createTestDatabase();
let api: ApiServer;
let adminToken = "";

beforeAll(async () => {
  api = await startApiServer({ databaseUrl, port: 0 });
  adminToken = await issueTestToken(db, { ownerId: "fuzz-admin", role: "admin" });
}, 60_000);
afterAll(() => api?.close());

/** A procedure's kind (query, mutation, subscription), read off the router at run time. */
function procedureType(procedure: unknown): string {
  if ((typeof procedure !== "function" && typeof procedure !== "object") || procedure === null || !("_def" in procedure)) return "unknown";
  const def = procedure._def;
  return typeof def === "object" && def !== null && "type" in def && typeof def.type === "string" ? def.type : "unknown";
}
const procedures = Object.entries(appRouter._def.procedures).map(([path, procedure]) => ({ path, type: procedureType(procedure) }));

/** Row counts of every table a procedure can write, and the rows that break a run's invariants. */
async function snapshot() {
  const [row] = await db.$client<{ runs: number; events: number; jobs: number; tokens: number; audit: number; broken: number }[]>`
    select (select count(*)::int from conveyor.runs) as runs,
           (select count(*)::int from conveyor.run_events) as events,
           (select count(*)::int from graphile_worker._private_jobs) as jobs,
           (select count(*)::int from conveyor.api_tokens) as tokens,
           (select count(*)::int from conveyor.audit_log) as audit,
           -- A partial write: a run without its queued event, or a waiting run without its job.
           (select count(*)::int from conveyor.runs r
             where not exists (select 1 from conveyor.run_events e where e.run_id = r.id and e.kind = 'queued')
                or (r.status in ('queued', 'scheduled') and not exists (select 1 from graphile_worker._private_jobs j where j.key = 'run:' || r.id))) as broken`;
  if (!row) throw new Error("no counts");
  return row;
}

interface Sent {
  status: number;
  body: string;
}

/** One request as a client would send it: a mutation's input as the body, a query's in `?input=`. */
async function send(path: string, type: string, body: string): Promise<Sent> {
  const headers: Record<string, string> = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
  if (type === "mutation") {
    const response = await fetch(`${api.url}/${path}`, { method: "POST", headers, body, signal: AbortSignal.timeout(10_000) });
    return { status: response.status, body: await response.text() };
  }
  const url = `${api.url}/${path}?input=${encodeURIComponent(body)}`;
  if (type === "query") {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
    return { status: response.status, body: await response.text() };
  }
  // A subscription may be accepted and stay open: read its first frames, then hang up.
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = setTimeout(() => controller.abort(), 300);
  try {
    while (reader && !/\n\n(event: serialized-error|data: )/.test(text) && !text.includes("event: serialized-error")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
  } catch {
    // hung up by the deadline
  } finally {
    clearTimeout(deadline);
    controller.abort();
  }
  return { status: response.status, body: text };
}

/** Random input shaped loosely like each procedure's, so validation beyond the first field is reached too. */
function inputFor(path: string): fc.Arbitrary<unknown> {
  const anyJson = fc.jsonValue();
  const types = fc.constantFrom(...Object.keys(catalog), "no.such.type");
  const options = fc.record({ priority: fc.oneof(fc.constantFrom("high", "normal", "low"), anyJson), runAt: fc.oneof(fc.date({ noInvalidDate: true }).map((date) => date.toISOString()), anyJson), idempotencyKey: anyJson }, { requiredKeys: [] });
  // Inputs near the contracts', so some are accepted and others fail on a later field.
  const analyze = fc.record({ type: fc.constant("document.analyze"), input: fc.record({ text: fc.string({ maxLength: 60 }), title: fc.option(fc.string({ maxLength: 30 })) }, { requiredKeys: ["text"] }) });
  const webhook = fc.record({
    type: fc.constant("webhook.deliver"),
    input: fc.record({ url: fc.oneof(fc.webUrl(), fc.string()), payload: anyJson, secret: fc.string({ minLength: 10, maxLength: 40 }), headers: fc.dictionary(fc.string({ maxLength: 10 }), fc.string()) }, { requiredKeys: ["url", "payload"] }),
  });
  if (path === "jobs.submit") return fc.oneof(anyJson, fc.record({ type: types, input: anyJson, options }, { requiredKeys: ["type"] }), analyze, webhook);
  if (path === "tokens.create") return fc.oneof(anyJson, fc.record({ ownerId: fc.string({ maxLength: 20 }), role: fc.constantFrom("user", "admin", "root"), name: fc.string({ maxLength: 20 }) }, { requiredKeys: ["ownerId"] }));
  if (path === "jobs.submitMany") return fc.oneof(anyJson, fc.record({ items: fc.array(fc.oneof(fc.record({ type: types, input: anyJson, options }, { requiredKeys: ["type"] }), analyze, webhook), { maxLength: 4 }) }));
  if (path.startsWith("jobs.") || path.startsWith("tokens.")) return fc.oneof(anyJson, fc.record({ id: fc.oneof(fc.uuid(), anyJson) }), fc.dictionary(fc.string(), anyJson));
  return anyJson;
}

/** What a request must never get: a server error, or a body that exposes one. */
function expectHandled(sent: Sent, what: string) {
  expect(sent.status, `${what} answered ${sent.status}: ${sent.body.slice(0, 300)}`).toBeLessThan(500);
  expect(sent.body, what).not.toContain("INTERNAL_SERVER_ERROR");
}

describe("random requests at every procedure", () => {
  it("covers the whole router", () => {
    expect(procedures.map((procedure) => procedure.path)).toEqual(expect.arrayContaining(["jobs.submit", "jobs.events", "tokens.create", "audit.list"]));
    expect(procedures.filter((procedure) => procedure.type === "unknown")).toEqual([]);
  });

  for (const { path, type } of procedures) {
    it(`${path} (${type}): random JSON and bytes get no 5xx and leave no partial write`, async () => {
      const statuses = new Set<number>();
      const body = fc.oneof(
        { weight: 3, arbitrary: inputFor(path).map((input) => JSON.stringify(input) ?? "null") },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString("latin1")) },
        { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 100 }) },
      );
      await fc.assert(
        fc.asyncProperty(body, async (payload) => {
          const before = await snapshot();
          const sent = await send(path, type, payload);
          statuses.add(sent.status);
          expectHandled(sent, `${path} with ${JSON.stringify(payload).slice(0, 200)}`);
          const after = await snapshot();
          expect(after.broken).toBe(0);
          // A refused request writes nothing at all.
          if (sent.status >= 400 || sent.body.includes("serialized-error")) expect({ ...after, broken: 0 }).toEqual({ ...before, broken: 0 });
        }),
        { numRuns: type === "subscription" ? 30 : 60 },
      );
      // The procedure was reached (a wrong URL would answer 404 to everything).
      expect([...statuses].some((status) => status !== 404), `${path} answered only ${[...statuses].join(", ")}`).toBe(true);
    }, 120_000);
  }
});

/** A raw SSE reader of `jobs.events` (as an EventSource reads it), resuming from a `Last-Event-ID`. */
async function openEvents(input: unknown, lastEventId: string | null): Promise<EventReader> {
  const headers: Record<string, string> = { authorization: `Bearer ${adminToken}` };
  if (lastEventId !== null) headers["last-event-id"] = lastEventId;
  const controller = new AbortController();
  const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const response = await fetch(`${api.url}/jobs.events${query}`, { headers, signal: controller.signal });
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  if (!reader) throw new Error("no body");
  let text = "";
  let connected = false;
  return {
    /** Until the server says the stream is live (its `connected` frame). */
    async live(): Promise<void> {
      while (!connected) {
        const { value, done } = await reader.read();
        if (done) throw new Error("the stream ended before it was connected");
        text += value;
        if (/(^|\n\n)event: connected\n/.test(text)) connected = true;
      }
    },
    /** The next frame: an event with its id, or the end of the stream. */
    async next(): Promise<EventFrame> {
      for (;;) {
        const end = text.indexOf("\n\n");
        if (end >= 0) {
          const frame = text.slice(0, end);
          text = text.slice(end + 2);
          if (frame.startsWith("event: return")) return "return";
          const match = /^data: (.*)\nid: (\d+)$/.exec(frame);
          if (match?.[1] && match[2]) {
            const event = JSON.parse(match[1]);
            return { id: match[2], runId: String(event.runId), kind: String(event.kind) };
          }
          if (frame.startsWith("event: serialized-error")) throw new Error(frame);
          if (frame.startsWith("event: connected")) connected = true;
          continue; // pings
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("the stream ended without a return frame");
        text += value;
      }
    },
    close: () => controller.abort(),
  };
}

type EventFrame = { id: string; runId: string; kind: string } | "return";
type EventReader = { live(): Promise<void>; next(): Promise<EventFrame>; close(): void };

/** The same over a WebSocket in tRPC's protocol (as wsLink speaks it): `started`, `data` with the tracked id, `stopped`. */
async function openSocketEvents(input: unknown, lastEventId: string | null): Promise<EventReader> {
  const socket = new WebSocket(`${api.wsUrl}?connectionParams=1`);
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  socket.send(JSON.stringify({ method: "connectionParams", data: { token: adminToken } }));
  const messages: unknown[] = [];
  let wake: (() => void) | null = null;
  socket.on("message", (data) => {
    messages.push(JSON.parse(data.toString()));
    wake?.();
  });
  socket.on("close", () => wake?.());
  socket.send(JSON.stringify({ id: 1, method: "subscription", params: { path: "jobs.events", input, ...(lastEventId === null ? {} : { lastEventId }) } }));
  let started = false;
  const take = async (): Promise<unknown> => {
    while (messages.length === 0) {
      if (socket.readyState > WebSocket.OPEN) throw new Error("the socket closed without a stopped message");
      await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
    }
    return messages.shift();
  };
  const read = async (): Promise<EventFrame | "started"> => {
    const message = eventMessage.parse(await take());
    if (message.error) throw new Error(JSON.stringify(message.error));
    if (message.result?.type === "started") return "started";
    if (message.result?.type === "stopped") return "return";
    if (message.result?.type === "data" && message.result.id && message.result.data) {
      return { id: message.result.id, runId: message.result.data.data.runId, kind: message.result.data.data.kind };
    }
    throw new Error(`unexpected message ${JSON.stringify(message)}`);
  };
  let early: EventFrame | null = null;
  return {
    async live() {
      while (!started) {
        const frame = await read();
        if (frame === "started") started = true;
        else early = frame;
      }
    },
    async next() {
      if (early) {
        const frame = early;
        early = null;
        return frame;
      }
      for (;;) {
        const frame = await read();
        if (frame === "started") started = true;
        else return frame;
      }
    },
    close: () => socket.close(),
  };
}

const eventMessage = z.object({
  // A data message carries the tracked envelope: { id, data: the event }.
  result: z.object({ type: z.string(), id: z.string().optional(), data: z.object({ data: z.object({ runId: z.string(), kind: z.string() }) }).optional() }).optional(),
  error: z.unknown().optional(),
});

describe("a subscriber that disconnects at random points", () => {
  it("receives every event of the run exactly once, in order, resuming from its last event id (SSE and WebSocket)", async () => {
    const client = createClient({ url: api.url, token: adminToken });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 6 }),
        fc.integer({ min: 3, max: 25 }),
        fc.boolean(),
        fc.constantFrom("sse", "websocket"),
        async (disconnectAfter, logLines, allRuns, transport) => {
          const open = transport === "sse" ? openEvents : openSocketEvents;
          // The stream of all runs carries what happens after it connects, so it connects first; the
          // stream of one run replays the run's history, so it may connect once the run exists.
          let stream = allRuns ? await open(undefined, null) : null;
          await stream?.live();
          const { id } = await client.jobs.submit.mutate({ type: "document.analyze", input: { text: "Nobody executes this run." } });
          stream ??= await open({ id }, null);
          const input = allRuns ? undefined : { id };

          // The events arrive while the subscriber comes and goes: log lines in small bursts, then the cancel.
          const writing = (async () => {
            for (let n = 0; n < logLines; n++) {
              await db.$client`insert into conveyor.run_events (run_id, kind, data) values (${id}, 'log', ${JSON.stringify({ level: "info", message: `line ${n}` })}::jsonb)`;
              if (n % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
            }
            await client.jobs.cancel.mutate({ id });
          })();

          const received: string[] = [];
          const gaps = [...disconnectAfter];
          let lastId: string | null = null;
          let sinceConnect = 0;
          for (;;) {
            const frame = await stream.next();
            // The stream of one run ends with the run; the stream of all runs is read until its cancellation.
            if (frame === "return" || (frame.runId === id && frame.kind === "cancelled" && (received.push(frame.id), true))) break;
            if (frame.runId === id) received.push(frame.id);
            lastId = frame.id;
            sinceConnect++;
            if (gaps.length > 0 && sinceConnect >= (gaps[0] ?? 0)) {
              gaps.shift();
              stream.close();
              stream = await open(input, lastId);
              sinceConnect = 0;
            }
          }
          stream.close();
          await writing;
          const stored = await db.$client<{ id: string }[]>`select e.id::text as id from conveyor.run_events e where e.run_id = ${id} order by e.id`;
          expect(received.join(" ")).toBe(stored.map((row) => row.id).join(" "));
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 20) },
    );
  }, 120_000);
});
