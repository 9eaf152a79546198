import type { IncomingMessage, ServerResponse } from "node:http";
import { callTRPCProcedure, isTrackedEnvelope, TRPCError } from "@trpc/server";
// The one internal of tRPC used here: the error shape its own SSE stream sends, so an error reads
// the same through this stream (the exact @trpc version is pinned for every package).
import { getErrorShape } from "@trpc/server/unstable-core-do-not-import";
import { httpContext, type ApiContext, type ApiServices } from "./context";
import { answerFor } from "./field-errors";
import { appRouter } from "./root";
import { isRecord, queryInput, type ReportError } from "./beside-trpc";

/** The procedure served here; every other path, and this one when batched, goes through tRPC's own handler. */
const path = "jobs.events";
const streamPath = `/trpc/${path}`;

const sseConfig = appRouter._def._config.sse;
const connectedFrame = Buffer.from(`event: connected\ndata: ${JSON.stringify(sseConfig?.client ?? {})}\n\n`);
const pingFrame = Buffer.from("event: ping\ndata: \n\n");
const returnFrame = Buffer.from("event: return\ndata: \n\n");
/** A ping goes out after this long without a frame, as tRPC's own stream does (default there: 1 s). */
const pingMs = sseConfig?.ping?.enabled ? (sseConfig.ping.intervalMs ?? 1_000) : null;

/**
 * `jobs.events` over SSE without tRPC's web-streams pipeline, speaking its
 * wire protocol exactly (`connected` first, then `data`/`id` frames, `ping`
 * when quiet, `return` at the end, `serialized-error` with the router's error
 * shape), so the unmodified `httpSubscriptionLink` is the client, resumption
 * by `lastEventId` included. The procedure itself runs as tRPC runs it
 * (middlewares, input validation, the same generator), through
 * `callTRPCProcedure`; only the transport differs.
 *
 * Why: with 1,000 subscribers tRPC 11's SSE stream spent about 250 µs of CPU
 * per message per connection (ReadableStream → TransformStream →
 * TextEncoderStream, one chunk per line, then one `res.write` per chunk);
 * here a message is one frame, serialised once per event for every stream
 * that carries it, and written once per stream (see BENCHMARKS.md). A stream
 * whose socket is not draining is not read from: its subscription keeps only
 * the latest progress of each run meanwhile, so a slow reader gets that
 * rather than a backlog buffered in this process.
 */
export class EventStreams {
  private readonly open = new Set<OpenStream>();
  private readonly pinger: NodeJS.Timeout | null;

  constructor(
    private readonly services: ApiServices,
    private readonly onError: ReportError,
  ) {
    // One timer for every stream: each check pings the streams that sent nothing since the previous one.
    this.pinger = pingMs === null ? null : setInterval(() => this.ping(), pingMs / 2);
    this.pinger?.unref();
  }

  /** Serve the request if it is a `jobs.events` stream; false leaves it to tRPC's handler. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== "GET" || !req.url) return false;
    const url = new URL(req.url, "http://localhost");
    if (url.pathname !== streamPath || url.searchParams.has("batch")) return false;
    void this.serve(req, res, url.searchParams);
    return true;
  }

  stop(): void {
    if (this.pinger) clearInterval(this.pinger);
  }

  private async serve(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    const aborted = new AbortController();
    res.once("close", () => aborted.abort());
    const stream: OpenStream = { res, wrote: false, connected: false };
    this.open.add(stream);
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
      connection: "keep-alive",
    });
    // `connected` goes out once the subscription listens (or before whatever comes first): a client
    // that has seen it misses nothing committed afterwards, which the stream of all runs (no backlog) needs.
    const connect = () => {
      if (stream.connected) return;
      stream.connected = true;
      write(stream, connectedFrame);
    };
    const ctx: ApiContext = { ...httpContext(this.services, req), onListening: connect };
    let input: unknown;
    try {
      const iterable = await callTRPCProcedure({
        router: appRouter,
        path,
        type: "subscription",
        ctx,
        signal: aborted.signal,
        batchIndex: 0,
        getRawInput: async () => (input = readInput(req, query)),
      });
      if (!isAsyncIterable(iterable)) throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: `${path} did not return an async iterable` });
      for await (const value of iterable) {
        if (aborted.signal.aborted) break;
        connect();
        if (!write(stream, frameOf(value))) await drained(res, aborted.signal);
      }
      connect();
      // A dropped connection (client gone, or this API stopping) is not an end: the client resumes it.
      if (!aborted.signal.aborted) write(stream, returnFrame);
    } catch (cause) {
      connect();
      if (!aborted.signal.aborted) this.sendError(stream, cause, input, ctx);
    } finally {
      this.open.delete(stream);
      if (!res.destroyed) res.end();
    }
  }

  private sendError(stream: OpenStream, cause: unknown, input: unknown, ctx: ApiContext): void {
    const error = answerFor(cause);
    this.onError({ error, path });
    const shape = getErrorShape({ config: appRouter._def._config, ctx, error, input, path, type: "subscription" });
    write(stream, Buffer.from(`event: serialized-error\ndata: ${JSON.stringify(shape)}\n\n`));
  }

  private ping(): void {
    for (const stream of this.open) {
      // Nothing before `connected`, which tRPC's clients expect first.
      if (!stream.wrote && stream.connected) write(stream, pingFrame);
      stream.wrote = false;
    }
  }
}

interface OpenStream {
  res: ServerResponse;
  /** Whether a frame went out since the last ping check. */
  wrote: boolean;
  /** Whether the `connected` frame went out. */
  connected: boolean;
}

function write(stream: OpenStream, frame: Buffer): boolean {
  stream.wrote = true;
  if (stream.res.destroyed) return true;
  return stream.res.write(frame);
}

/** The socket took everything written so far, or the stream ended. */
function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    res.on("drain", done);
    signal.addEventListener("abort", done);
  });
}

/** The call's input as tRPC's HTTP handler reads it: `?input=` JSON, with the EventSource's own Last-Event-ID merged in. */
function readInput(req: IncomingMessage, query: URLSearchParams): unknown {
  const input = queryInput(query);
  const header = req.headers["last-event-id"];
  const lastEventId = (typeof header === "string" ? header : undefined) ?? query.get("lastEventId") ?? query.get("Last-Event-Id");
  if (!lastEventId) return input;
  return isRecord(input) ? { ...input, lastEventId } : (input ?? { lastEventId });
}

/**
 * Every message is serialised once into its frame, however many streams
 * carry it: the procedure yields the same message object (and event id) to
 * each subscriber of an event.
 */
const frames = new WeakMap<object, { id: string; frame: Buffer }>();

function frameOf(value: unknown): Buffer {
  if (!isTrackedEnvelope(value)) return Buffer.from(`data: ${JSON.stringify(value)}\n\n`);
  const [id, data] = value;
  if (typeof data !== "object" || data === null) return Buffer.from(`data: ${JSON.stringify(data)}\nid: ${id}\n\n`);
  const cached = frames.get(data);
  if (cached?.id === id) return cached.frame;
  const frame = Buffer.from(`data: ${JSON.stringify(data)}\nid: ${id}\n\n`);
  frames.set(data, { id, frame });
  return frame;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}
