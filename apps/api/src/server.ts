import type { AddressInfo } from "node:net";
import { createHTTPServer } from "@trpc/server/adapters/standalone";
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

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 3000, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}/trpc`,
    async close() {
      await events.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeDatabase(db);
    },
  };
}
