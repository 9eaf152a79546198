import type { AddressInfo } from "node:net";
import { createHTTPServer } from "@trpc/server/adapters/standalone";
import { applyWSSHandler } from "@trpc/server/adapters/ws";
import { WebSocketServer } from "ws";
import { closeDatabase, createDatabase } from "@conveyor/db";
import { appRouter } from "./root";
import { EventHub } from "./event-hub";
import type { ApiContext } from "./context";

export interface ApiServerOptions {
  databaseUrl: string;
  /** 0 picks a free port (default: 3000). */
  port?: number;
  host?: string;
  /** Largest request body in bytes (default: 12 MB). */
  maxBodyBytes?: number;
  /** Origins allowed to call the API from a browser on another origin (default: none). */
  corsOrigins?: readonly string[];
}

export interface ApiServer {
  /** Base URL of the tRPC endpoint, e.g. http://127.0.0.1:3000/trpc */
  url: string;
  /** The same procedures over one WebSocket, e.g. ws://127.0.0.1:3000/trpc */
  wsUrl: string;
  close(): Promise<void>;
}

/** Serve the tRPC API at /trpc over HTTP, with SSE subscriptions fed by Postgres LISTEN. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const db = createDatabase(options.databaseUrl);
  const events = new EventHub(db, options.databaseUrl);
  await events.start();
  const context: ApiContext = { db, events };
  const allowed = new Set(options.corsOrigins ?? []);

  const server = createHTTPServer({
    router: appRouter,
    basePath: "/trpc/",
    maxBodySize: options.maxBodyBytes ?? 12 * 1024 * 1024,
    createContext: () => context,
    middleware: (req, res, next) => {
      const origin = req.headers.origin;
      if (origin && allowed.has(origin)) {
        res.setHeader("access-control-allow-origin", origin);
        res.setHeader("vary", "origin");
        res.setHeader("access-control-allow-headers", "content-type, authorization, trpc-accept");
        res.setHeader("access-control-allow-methods", "GET, POST, OPTIONS");
        if (req.method === "OPTIONS") {
          res.writeHead(204).end();
          return;
        }
      }
      next();
    },
    onError: ({ error, path }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`[api] ${path ?? "?"}:`, error.cause ?? error);
    },
  });

  // Subscriptions are also served over WebSocket on the same port: each message costs the
  // server far less than through the SSE stream, which matters with many watchers (see BENCHMARKS.md).
  const wss = new WebSocketServer({ server, path: "/trpc", maxPayload: options.maxBodyBytes ?? 12 * 1024 * 1024 });
  const websockets = applyWSSHandler({
    wss,
    router: appRouter,
    createContext: () => context,
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
  });

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
      websockets.broadcastReconnectNotification();
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await events.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeDatabase(db);
    },
  };
}
