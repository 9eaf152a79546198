import type { IncomingMessage } from "node:http";
import type { WebSocket, WebSocketServer } from "ws";
import { callTRPCProcedure, isTrackedEnvelope, TRPCError } from "@trpc/server";
import { getWSConnectionHandler, jsonEncoder } from "@trpc/server/adapters/ws";
// As in event-stream.ts: the error shape tRPC's own WebSocket handler sends (the @trpc version is pinned).
import { getErrorShape } from "@trpc/server/unstable-core-do-not-import";
import { webSocketContext, type ApiContext, type ApiServices } from "./context";
import { answerFor } from "./field-errors";
import { appRouter } from "./root";
import { isRecord, type ReportError } from "./beside-trpc";

/** The procedure served here; every other message goes to tRPC's own WebSocket handler. */
const path = "jobs.events";
const { transformer } = appRouter._def._config;
/** A socket holding more than this unsent is not read from until it has flushed (see `serve`). */
const highWaterBytes = 64 * 1024;
const open = 1;

type MessageId = string | number;

/** A failed call, for the server's log (tRPC's own messages carry no path when they fail before one is known). */

/**
 * WebSocket connections, served by tRPC's own handler (one per connection)
 * except for `jobs.events` subscriptions, which are answered here in tRPC's
 * wire protocol (`started`, `data` with the tracked id, `stopped`, an error
 * with the router's shape; `subscription.stop` and `lastEventId` as tRPC
 * reads them), so the unmodified `wsLink` is the client. The procedure runs
 * as tRPC runs it (middlewares, input validation, the same generator), through
 * `callTRPCProcedure`; only the framing and the loop differ.
 *
 * Why: with 1,000 sockets watching runs at 10 Hz, tRPC's per-subscription
 * loop (a promise race per message, the response transformed, spread and
 * JSON-encoded again for every socket) took about 35% of the API's CPU and
 * held deliveries for hundreds of milliseconds. Here an event is encoded once
 * for every socket that carries it and written as one text frame per socket.
 *
 * The routing hook is the connection's decoder (tRPC's `experimental_encoder`):
 * the messages it takes are answered here and left out of what it hands tRPC.
 */
export class EventSockets {
  constructor(
    private readonly wss: WebSocketServer,
    private readonly services: ApiServices,
    private readonly onError: ReportError,
    private readonly keepAlive: { pingMs: number; pongWaitMs: number },
  ) {
    wss.on("connection", (client, req) => this.connect(client, req));
  }

  /** Ask every client to reconnect (elsewhere, or here after a restart), as tRPC's `broadcastReconnectNotification` does. */
  broadcastReconnect(): void {
    const notice = JSON.stringify({ id: null, method: "reconnect" });
    for (const client of this.wss.clients) if (client.readyState === open) client.send(notice);
  }

  /** tRPC's handler for one connection, its decoder routing `jobs.events` here. */
  private connect(client: WebSocket, req: IncomingMessage): void {
    const connection = new EventSocket(client, this.onError);
    getWSConnectionHandler({
      wss: this.wss,
      router: appRouter,
      createContext: ({ info }) => connection.contextReady(webSocketContext(this.services, info.connectionParams)),
      keepAlive: { enabled: true, ...this.keepAlive },
      onError: this.onError,
      experimental_encoder: { encode: jsonEncoder.encode, decode: (data) => connection.route(jsonEncoder.decode(data)) },
    })(client, req);
  }
}

/** One connection's `jobs.events` subscriptions. */
class EventSocket {
  private readonly subscriptions = new Map<MessageId, AbortController>();
  private resolveContext: ((ctx: ApiContext) => void) | null = null;
  /** The connection's context, made by tRPC's handler from the connection parameters (its first message). */
  private readonly context = new Promise<ApiContext>((resolve) => (this.resolveContext = resolve));

  constructor(
    private readonly client: WebSocket,
    private readonly onError: ReportError,
  ) {
    client.once("close", () => {
      for (const subscription of this.subscriptions.values()) subscription.abort();
    });
  }

  contextReady(ctx: ApiContext): ApiContext {
    this.resolveContext?.(ctx);
    return ctx;
  }

  /** What tRPC's handler should see of a decoded message: all of it but the messages answered here. */
  route(decoded: unknown): unknown {
    if (Array.isArray(decoded)) return decoded.filter((message) => !this.take(message));
    return this.take(decoded) ? [] : decoded;
  }

  /** Answer the message here if it subscribes to `jobs.events` or stops such a subscription. */
  private take(message: unknown): boolean {
    if (!isRecord(message) || (typeof message.id !== "string" && typeof message.id !== "number")) return false;
    const { id, method, params } = message;
    const jsonrpc = message.jsonrpc === "2.0" ? "2.0" : undefined;
    if (method === "subscription.stop") {
      const subscription = this.subscriptions.get(id);
      subscription?.abort();
      return subscription !== undefined;
    }
    if (method !== "subscription" || !isRecord(params) || params.path !== path) return false;
    if (params.lastEventId !== undefined && typeof params.lastEventId !== "string") return false;
    void this.serve(id, jsonrpc, withLastEventId(params.input, params.lastEventId));
    return true;
  }

  private async serve(id: MessageId, jsonrpc: "2.0" | undefined, input: unknown): Promise<void> {
    const stop = new AbortController();
    let ctx: ApiContext | undefined;
    try {
      if (this.subscriptions.has(id)) throw new TRPCError({ code: "BAD_REQUEST", message: `Duplicate id ${id}` });
      this.subscriptions.set(id, stop);
      // `started` goes out once the subscription listens (or before whatever comes first), as the SSE
      // stream's `connected` does: a client that has seen it misses nothing committed afterwards.
      let started = false;
      const start = () => {
        if (started) return;
        started = true;
        this.sendJson({ id, jsonrpc, result: { type: "started" } });
      };
      ctx = { ...(await this.context), onListening: start };
      const iterable = await callTRPCProcedure({ router: appRouter, path, type: "subscription", ctx, signal: stop.signal, batchIndex: 0, getRawInput: async () => input });
      if (!isAsyncIterable(iterable)) throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: `${path} did not return an async iterable` });
      if (this.client.readyState !== open) return;
      const prefix = `{"id":${JSON.stringify(id)}${jsonrpc ? `,"jsonrpc":"2.0"` : ""},"result":`;
      for await (const value of iterable) {
        if (stop.signal.aborted) break;
        start();
        const frame = frameOf(prefix, value);
        // A socket that is not draining is not read from: the hub keeps only the latest progress of each run meanwhile.
        if (this.client.bufferedAmount < highWaterBytes) this.client.send(frame, { binary: false });
        else await sent(this.client, frame, stop.signal);
      }
      start();
      this.sendJson({ id, jsonrpc, result: { type: "stopped" } });
    } catch (cause) {
      const error = answerFor(cause);
      this.onError({ error, path });
      const shape = getErrorShape({ config: appRouter._def._config, ctx, error, input, path, type: "subscription" });
      this.sendJson({ id, jsonrpc, error: transformer.output.serialize(shape) });
    } finally {
      if (this.subscriptions.get(id) === stop) this.subscriptions.delete(id);
    }
  }

  private sendJson(message: unknown): void {
    if (this.client.readyState === open) this.client.send(JSON.stringify(message));
  }
}

/** Send the frame; resolves once the socket has written it (and so everything before it), or the subscription stops. */
function sent(client: WebSocket, frame: Buffer, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done);
    client.send(frame, { binary: false }, done);
  });
}

/**
 * A message's result part (`"result":{…}}` after the socket's own id), encoded
 * once however many sockets carry it: the procedure yields the same message
 * object (and event id) to every subscriber of an event. The frame of the
 * common prefix (every wsLink numbers its first operation 1) is kept as well.
 */
const encoded = new WeakMap<object, { id: string; result: string; frames: Map<string, Buffer> }>();

function frameOf(prefix: string, value: unknown): Buffer {
  if (!isTrackedEnvelope(value)) return Buffer.from(`${prefix}${resultOf(value, undefined)}}`);
  const [id, data] = value;
  if (typeof data !== "object" || data === null) return Buffer.from(`${prefix}${resultOf(data, id)}}`);
  let entry = encoded.get(data);
  if (entry?.id !== id) {
    entry = { id, result: `${resultOf(data, id)}}`, frames: new Map() };
    encoded.set(data, entry);
  }
  let frame = entry.frames.get(prefix);
  if (!frame) {
    frame = Buffer.from(prefix + entry.result);
    if (entry.frames.size < 4) entry.frames.set(prefix, frame);
  }
  return frame;
}

/** The `result` of a data message, as tRPC's handler builds and transforms it. */
function resultOf(data: unknown, trackedId: string | undefined): string {
  const result = trackedId === undefined ? { type: "data", data } : { type: "data", id: trackedId, data: { id: trackedId, data } };
  return JSON.stringify({ ...result, data: transformer.output.serialize(result.data) });
}

/** `lastEventId` merged into the input, as tRPC's handler does. */
function withLastEventId(input: unknown, lastEventId: string | undefined): unknown {
  if (lastEventId === undefined) return input;
  return isRecord(input) ? { ...input, lastEventId } : (input ?? { lastEventId });
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}
