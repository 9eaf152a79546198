/**
 * The operations endpoints every process serves: `/metrics` (Prometheus
 * text), `/healthz` (liveness: the process answers) and `/readyz`
 * (readiness: the database answers and no migration is pending).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface Readiness {
  ready: boolean;
  /** Why not, for people reading the probe's answer. */
  checks: Record<string, boolean | string>;
}

export interface OpsEndpoints {
  registry: Registry;
  readiness: () => Promise<Readiness>;
}

/** Answer an operations request; returns false for any other path, which the caller then serves. */
export function handleOpsRequest(req: IncomingMessage, res: ServerResponse, endpoints: OpsEndpoints): boolean {
  const path = (req.url ?? "").split("?")[0];
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  if (path === "/metrics") {
    endpoints.registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": endpoints.registry.contentType, "cache-control": "no-store" }).end(text),
      (error: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${String(error)}`),
    );
    return true;
  }
  if (path === "/healthz") {
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end('{"status":"alive"}');
    return true;
  }
  if (path === "/readyz") {
    endpoints.readiness().then(
      (readiness) =>
        res
          .writeHead(readiness.ready ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" })
          .end(JSON.stringify({ status: readiness.ready ? "ready" : "not ready", checks: readiness.checks })),
      (error: unknown) =>
        res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ status: "not ready", error: String(error) })),
    );
    return true;
  }
  return false;
}

/** A small HTTP server of its own for the operations endpoints (workers have no other server). */
export async function serveOps(endpoints: OpsEndpoints, port: number, host: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (!handleOpsRequest(req, res, endpoints)) res.writeHead(404, { "content-type": "text/plain" }).end("not found");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
