import { createServer, type IncomingMessage, type Server } from "node:http";

/**
 * The smallest HTTP JSON endpoint a team would put in front of a queue
 * library: POST a `{ type, input }` body, get `{ id }` back. No
 * authentication, no validation, no limits: the peers' best case.
 */
export async function serveJsonSubmits(port: number, add: (type: string, input: unknown) => Promise<string>): Promise<{ url: string }> {
  const server = createServer((request, response) => {
    readBody(request)
      .then(async (text) => {
        const body: unknown = JSON.parse(text);
        if (typeof body !== "object" || body === null || !("type" in body) || typeof body.type !== "string") throw new Error("type is required");
        const id = await add(body.type, "input" in body ? body.input : null);
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id }));
      })
      .catch((error: unknown) => {
        response.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: String(error) }));
      });
  });
  return { url: `${await listenOnLoopback(server, port)}/submit` };
}

/** Listen on 127.0.0.1 at `port` (0: a free port); resolves with the server's origin, e.g. http://127.0.0.1:40123. */
export async function listenOnLoopback(server: Server, port: number): Promise<string> {
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error(`expected a TCP address, got ${String(address)}`);
  return `http://127.0.0.1:${address.port}`;
}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString("utf8");
}
