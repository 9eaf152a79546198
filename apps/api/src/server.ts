import type { AddressInfo } from "node:net";
import { createServer } from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { WebSocketServer } from "ws";
import { closeDatabase, createDatabase, defaultLimits, pendingMigrations, type LimitDefaults } from "@conveyor/db";
import { appRouter } from "./root";
import { EventHub } from "./event-hub";
import { EventStreams } from "./event-stream";
import { EventSockets } from "./event-sockets";
import { httpContext, type ApiServices } from "./context";
import { silent, type Log } from "./logger";
import { SubscriptionLeases } from "./subscription-leases";
import { SubmitBatcher } from "./submit-batcher";
import { CountCompaction } from "./count-compaction";
import { ProcedureCalls } from "./procedure-calls";
import { retryAfterHeaders, type ReportError } from "./beside-trpc";
import { TokenChecks } from "./token-checks";
import { ApiMetrics } from "./api-metrics";
import { handleOpsRequest, type OpsEndpoints } from "@conveyor/observability";

export interface ApiServerOptions {
  databaseUrl: string;
  /** 0 picks a free port (default: 3000). */
  port?: number;
  host?: string;
  /** Largest request body (and WebSocket message) in bytes (default: 10 MB). */
  maxBodyBytes?: number;
  /** Origins allowed to call the API from a browser on another origin (default: none). */
  corsOrigins?: readonly string[];
  /** Connections in the API's pool for queries and mutations (default: 10; two more are its LISTEN and the event reader). */
  dbPoolSize?: number;
  /** Limits for tokens that set none of their own. */
  limits?: Partial<LimitDefaults>;
  /**
   * How often open subscriptions renew their leases, which is also how soon
   * they end after their token is revoked or expires (default: 20 s; at most 30 s).
   */
  leaseRenewalMs?: number;
  /**
   * How long a query or mutation waits for PostgreSQL before it is answered SERVICE_UNAVAILABLE
   * (default: 10 s): across a partition the database does not refuse, it never answers.
   */
  databaseTimeoutMs?: number;
  /** Where structured log lines go (default: nowhere; `main.ts` writes JSON lines to stdout). */
  log?: Log;
}

/** Headers on every answer: JSON only, never framed, sniffed, cached or sent on as a referrer. */
const securityHeaders: Record<string, string> = {
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

export interface ApiServer {
  /** Base URL of the tRPC endpoint, e.g. http://127.0.0.1:3000/trpc */
  url: string;
  /** The same procedures over one WebSocket, e.g. ws://127.0.0.1:3000/trpc */
  wsUrl: string;
  close(): Promise<void>;
}

/**
 * Serve the tRPC API at /trpc over HTTP (subscriptions over SSE) and over
 * WebSocket on the same port, with events fed by Postgres LISTEN.
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const db = createDatabase(options.databaseUrl, { max: options.dbPoolSize ?? 10 });
  const events = new EventHub(options.databaseUrl);
  await events.start();
  const limits: LimitDefaults = { ...defaultLimits, ...options.limits };
  const leases = new SubscriptionLeases(db, limits, options.leaseRenewalMs);
  leases.start();
  const log = options.log ?? silent;
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const metrics = new ApiMetrics(db, () => events.subscriberCount);
  const compaction = new CountCompaction(db.$client, log);
  const submits = new SubmitBatcher(db.$client, limits, () => compaction.written());
  const tokens = new TokenChecks(db);
  await tokens.start();
  const databaseTimeoutMs = options.databaseTimeoutMs ?? 10_000;
  const services: ApiServices = { db, events, leases, limits, tokens, submits, metrics, maxBodyBytes, databaseTimeoutMs, log };
  const ops: OpsEndpoints = {
    registry: metrics.registry,
    readiness: async () => {
      const pending = await pendingMigrations(db.$client).catch(() => null);
      const checks = { database: pending !== null, migrations: pending === 0, listening: events.isListening };
      return { ready: checks.database && checks.migrations && checks.listening, checks };
    },
  };
  const allowed = new Set(options.corsOrigins ?? []);
  const reportError: ReportError = ({ error, path }) => {
    // Never the input: it may hold secrets.
    if (error.code === "INTERNAL_SERVER_ERROR") {
      log({ level: "error", message: "procedure failed", procedure: path ?? null, ...describeFailure(error) });
    } else if (error.code === "UNAUTHORIZED" || error.code === "TOO_MANY_REQUESTS" || error.code === "FORBIDDEN" || error.code === "SERVICE_UNAVAILABLE") {
      log({ level: "warn", message: "request refused", procedure: path ?? null, code: error.code, reason: error.message });
    }
  };
  const eventStreams = new EventStreams(services, reportError);
  const procedureCalls = new ProcedureCalls(services, reportError);

  // tRPC's own handler, for what is not answered beside it (see below).
  const trpcHandler = createHTTPHandler({
    router: appRouter,
    basePath: "/trpc/",
    maxBodySize: maxBodyBytes,
    createContext: ({ req }) => httpContext(services, req),
    responseMeta: ({ errors }) => ({ headers: retryAfterHeaders(errors) }),
    onError: reportError,
  });
  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(securityHeaders)) res.setHeader(name, value);
    // /metrics, /healthz and /readyz: for Prometheus and orchestrators, without a token (keep them off the public network).
    if (handleOpsRequest(req, res, ops)) return;
    const origin = req.headers.origin;
    if (origin && allowed.has(origin)) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("vary", "origin");
      res.setHeader("access-control-allow-headers", "content-type, authorization, trpc-accept, last-event-id");
      res.setHeader("access-control-allow-methods", "GET, POST, OPTIONS");
      res.setHeader("access-control-expose-headers", "retry-after");
      res.setHeader("access-control-max-age", "600");
    }
    if (req.method === "OPTIONS") {
      // A preflight: allowed origins get the headers above; every other origin is refused.
      res.writeHead(origin && allowed.has(origin) ? 204 : 403).end();
      return;
    }
    // `jobs.events` over SSE, then plain queries and mutations, are answered beside tRPC's handler in its
    // wire protocol, for their CPU (see event-stream.ts and procedure-calls.ts); it takes everything else.
    if (eventStreams.handle(req, res) || procedureCalls.handle(req, res)) return;
    trpcHandler(req, res);
  });

  // Subscriptions are also served over WebSocket on the same port, for services watching many runs;
  // `jobs.events` there is answered beside tRPC's handler, in its wire protocol (see event-sockets.ts).
  const wss = new WebSocketServer({ server, path: "/trpc", maxPayload: maxBodyBytes });
  const websockets = new EventSockets(wss, services, reportError, { pingMs: 30_000, pongWaitMs: 5_000 });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 3000, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}/trpc`,
    wsUrl: `ws://${host}:${address.port}/trpc`,
    async close() {
      // Clients reconnect (elsewhere, or here after a restart) and resume from their last event id.
      websockets.broadcastReconnect();
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      leases.stop();
      // Drop the SSE streams before the hub stops: a stream that merely ended would look finished to its
      // client, while a dropped one is resumed (with its last event id) through another API process.
      server.closeAllConnections();
      eventStreams.stop();
      await events.stop();
      await tokens.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Changes left unfolded are still counted (reads add them) and the workers fold them.
      await compaction.stop();
      await closeDatabase(db);
    },
  };
}

/**
 * What to log of an unexpected failure: the error's class and, for a
 * database error, its SQLSTATE and PostgreSQL's own message. Not the
 * wrapping message of a query builder, which quotes the statement's
 * parameters (inputs, secrets).
 */
function describeFailure(error: Error): Record<string, unknown> {
  let innermost: unknown = error;
  while (innermost instanceof Error && innermost.cause instanceof Error) innermost = innermost.cause;
  if (innermost instanceof Error && "code" in innermost && typeof innermost.code === "string" && /^[0-9A-Z]{5}$/.test(innermost.code)) {
    // PostgreSQL quotes offending values in double quotes ("invalid input syntax for type uuid: \"…\""): keep them out.
    return { error: innermost.name, sqlstate: innermost.code, detail: innermost.message.replace(/"[^"]*"/g, '"…"') };
  }
  return { error: innermost instanceof Error ? innermost.name : typeof innermost, stack: innermost instanceof Error ? innermost.stack?.split("\n").slice(1, 4).join(" | ") : null };
}
